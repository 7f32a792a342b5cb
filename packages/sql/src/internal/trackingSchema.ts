/**
 * The tables of `SqlTracking`, created on first use by Effect's migrator, recorded in
 * `teasel_tracking_migrations` (apart from persistence's, so either can be used without the
 * other). A new schema version is a new entry of `migrations`, never an edit of an old one.
 *
 * - `teasel_track_sessions`: one row per tracker (a process): when it was last seen alive and
 *   when it closed, so that a reader can tell a running application from one whose process died.
 * - `teasel_track_graphs`: the shapes of graphs (`Graph.Shape` as JSON), by digest: the
 *   thousand children of a fan-out share one row.
 * - `teasel_track_apps`: one row per application: project, parent and spawning step, graph,
 *   status, last step, the step running now, the last error, and the state it started with.
 * - `teasel_track_steps`: one row per step (the last attempt): status, start, duration, chunks,
 *   next action, error, and its state: in full (`full_state = 1`) every few steps, else the top-level
 *   keys that changed (`full_state = 0`, `{"set":{...},"unset":[...]}`).
 */
import { Effect } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql"
import { columnTypes } from "./dialect.js"

const v1 = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const { time } = columnTypes(sql)
  const statements = [
    `CREATE TABLE teasel_track_sessions (
      id TEXT PRIMARY KEY,
      pid INTEGER NOT NULL,
      started_at ${time} NOT NULL,
      last_seen ${time} NOT NULL,
      closed_at ${time}
    )`,
    `CREATE TABLE teasel_track_graphs (
      id TEXT PRIMARY KEY,
      shape TEXT NOT NULL
    )`,
    `CREATE TABLE teasel_track_apps (
      partition_key TEXT NOT NULL,
      app_id TEXT NOT NULL,
      project TEXT NOT NULL,
      parent_id TEXT,
      parent_seq INTEGER,
      graph TEXT NOT NULL,
      session TEXT NOT NULL,
      started_at ${time} NOT NULL,
      updated_at ${time} NOT NULL,
      status TEXT NOT NULL,
      last_seq INTEGER NOT NULL,
      last_action TEXT,
      next TEXT,
      running_seq INTEGER,
      running_action TEXT,
      error TEXT,
      initial_state TEXT,
      PRIMARY KEY (partition_key, app_id)
    )`,
    `CREATE INDEX teasel_track_apps_project ON teasel_track_apps (project, parent_id, started_at)`,
    `CREATE INDEX teasel_track_apps_parent ON teasel_track_apps (partition_key, parent_id, parent_seq)`,
    `CREATE INDEX teasel_track_apps_updated ON teasel_track_apps (updated_at)`,
    `CREATE TABLE teasel_track_steps (
      partition_key TEXT NOT NULL,
      app_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      action TEXT NOT NULL,
      status TEXT NOT NULL,
      started_at ${time} NOT NULL,
      duration_ms ${time},
      chunks INTEGER NOT NULL,
      next TEXT,
      full_state INTEGER,
      state TEXT,
      error TEXT,
      PRIMARY KEY (partition_key, app_id, seq)
    )`
  ]
  for (const statement of statements) yield* sql.unsafe(statement)
})

const migrations = Migrator.fromRecord({ "1_teasel_tracking": v1 })

/** Creates or upgrades the tracking tables; safe to run from several processes at once. */
export const migrate: Effect.Effect<void, SqlError.SqlError | Migrator.MigrationError, SqlClient.SqlClient> = Effect
  .asVoid(Migrator.make({})({ loader: migrations, table: "teasel_tracking_migrations" }))
