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
 *
 * Version 2 adds to `teasel_steps` who owns a child application (`parent_seq`, `parent_action`:
 * the parent's step and action that made it, beside `parent_id`) and `digest`, a digest of the
 * step's whole state (`integrity.ts`) that loading checks. Tables at a version newer than this
 * library knows are refused: `migrate` fails rather than read or write rows it does not understand.
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

// Steps saved at version 1 have NULL in these columns: their owner is their parent id alone, and
// their state is loaded unchecked.
const v2 = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  for (const column of ["parent_seq INTEGER", "parent_action TEXT", "digest TEXT"]) {
    yield* sql.unsafe(`ALTER TABLE teasel_steps ADD COLUMN ${column}`)
  }
})

/** The latest schema version this library knows. */
export const VERSION = 2

const migrations = Migrator.fromRecord({ "1_teasel_schema": v1, "2_teasel_integrity": v2 })

/** Fails when the tables are at a version newer than `VERSION` (a newer library made them). */
const checkVersion = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const [row] = yield* sql.unsafe<{ version: unknown }>("SELECT MAX(migration_id) AS version FROM teasel_migrations")
  const version = Number(row?.version ?? 0)
  if (!(version <= VERSION)) {
    return yield* new Migrator.MigrationError({
      kind: "BadState",
      message: `The Teasel tables are at schema version ${String(row?.version)}, newer than this version of @teasel/sql ` +
        `knows (${VERSION}): upgrade @teasel/sql rather than read or write rows it does not understand`
    })
  }
})

/**
 * Creates or upgrades the tables; safe to run from several processes at once. Fails with a
 * `MigrationError` (kind `BadState`) when they are at a version newer than this library knows.
 */
export const migrate: Effect.Effect<void, SqlError.SqlError | Migrator.MigrationError, SqlClient.SqlClient> = Effect.andThen(
  Migrator.make({})({ loader: migrations, table: "teasel_migrations" }),
  checkVersion
)
