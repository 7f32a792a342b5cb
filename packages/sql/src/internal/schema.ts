/**
 * The tables of `SqlPersistence`, created on first use by Effect's migrator. Migrations are
 * recorded in `teasel_migrations`; a new schema version is a new entry of `migrations`, never an
 * edit of an old one.
 *
 * - `teasel_apps`: one row per application of a partition; `id` is the short reference the other
 *   tables use, and its order is the order in which applications were first saved.
 * - `teasel_steps`: one row per completed step; `base` is the last step at or before it whose
 *   state was stored in full.
 * - `teasel_state_keys`: every top-level state key an application ever held (so that a step's
 *   state is read with one index lookup per key, whatever the number of steps).
 * - `teasel_state_values`: a key's JSON at the steps where it changed; `NULL` when it was removed.
 * - `teasel_failures`: failed attempts at steps.
 */
import { Effect } from "effect"
import { Migrator, SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql"
import { columnTypes } from "./dialect.js"

const v1 = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const { compact, id, int64 } = columnTypes(sql)
  const statements = [
    `CREATE TABLE teasel_apps (
      id ${id},
      partition_key TEXT NOT NULL,
      app_id TEXT NOT NULL,
      created_at ${int64} NOT NULL,
      UNIQUE (partition_key, app_id)
    )`,
    `CREATE TABLE teasel_steps (
      app ${int64} NOT NULL,
      seq INTEGER NOT NULL,
      base INTEGER NOT NULL,
      action TEXT,
      next TEXT,
      parent_id TEXT,
      forked_app TEXT,
      forked_seq INTEGER,
      created_at ${int64} NOT NULL,
      PRIMARY KEY (app, seq)
    )${compact}`,
    `CREATE TABLE teasel_state_keys (
      app ${int64} NOT NULL,
      name TEXT NOT NULL,
      seq INTEGER NOT NULL,
      pos INTEGER NOT NULL,
      PRIMARY KEY (app, name)
    )${compact}`,
    // Values may be large (megabytes): a rowid table keeps them out of the index's b-tree.
    `CREATE TABLE teasel_state_values (
      app ${int64} NOT NULL,
      name TEXT NOT NULL,
      seq INTEGER NOT NULL,
      json TEXT,
      PRIMARY KEY (app, name, seq)
    )`,
    `CREATE TABLE teasel_failures (
      partition_key TEXT NOT NULL,
      app_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      action TEXT NOT NULL,
      error TEXT NOT NULL,
      created_at ${int64} NOT NULL
    )`,
    `CREATE INDEX teasel_failures_app ON teasel_failures (partition_key, app_id, seq)`
  ]
  for (const statement of statements) yield* sql.unsafe(statement)
})

const migrations = Migrator.fromRecord({ "1_teasel_schema": v1 })

/** Creates or upgrades the tables; safe to run from several processes at once. */
export const migrate: Effect.Effect<void, SqlError.SqlError | Migrator.MigrationError, SqlClient.SqlClient> = Effect.asVoid(
  Migrator.make({})({ loader: migrations, table: "teasel_migrations" })
)
