/**
 * Persistence in a SQL database: SQLite (the embedded default) or PostgreSQL, or any Effect
 * `SqlClient`.
 *
 * Storage grows with what changed, not with steps × state size: each step stores a small row
 * (application, step number, action, next action, parent, fork origin, time) and only the
 * top-level state keys whose value changed since the application's previous step; a removed key
 * is recorded as removed. A step's state is read back as the latest version of each key at or
 * before it. States are encoded with `Persistence.encodeState`, so what is stored and what is
 * refused is exactly what the in-memory layer stores and refuses. (The tables: `internal/schema.ts`;
 * the deltas: `internal/delta.ts`.)
 *
 * Each save is one transaction; the step's primary key (application, step number) makes a second
 * write of the same step fail with a `PersistenceError` of reason `Conflict`, whichever process
 * attempts it. On SQLite (through `SqliteClient`), saves requested together, as a fan-out's
 * children request theirs, share one transaction (group commit): each caller still gets its own
 * outcome, and only once its step is committed. There, saves and reads are plain prepared
 * statements run synchronously (`SqliteClient.transactionSync`). (How: `internal/saveStep.ts`,
 * `internal/loadStep.ts`.)
 *
 * @since 0.1.0
 */
import { Duration, Effect, type Layer } from "effect"
import { Persistence, PersistenceError } from "@teasel/core"
import type { Migrator, SqlError } from "effect/sql"
import { SqlClient } from "effect/sql"
import type { Known } from "./internal/delta.js"
import { runner, sqliteOf } from "./internal/dialect.js"
import { corrupt } from "./internal/integrity.js"
import * as Layers from "./internal/layers.js"
import * as LoadStep from "./internal/loadStep.js"
import { Lru } from "./internal/lru.js"
import { backend, listFailed } from "./internal/persistenceError.js"
import * as SaveStep from "./internal/saveStep.js"
import { migrate } from "./internal/schema.js"
import { wallClockSleep } from "./internal/sqliteConnection.js"
import * as Statements from "./internal/statements.js"
import type * as SqliteClient from "./SqliteClient.js"

/**
 * Settings of the SQL persistence.
 *
 * @example
 * ```ts
 * import { SqlPersistence } from "@teasel/sql"
 * const options: SqlPersistence.Options = { cacheSize: 10_000 }
 * SqlPersistence.layerSqlite({ filename: "data/teasel.db", ...options })
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /**
   * How many applications' latest states are remembered, to store the next step as a delta
   * without reading the previous one back. Default 4096. An application not remembered stores its
   * next step in full.
   */
  readonly cacheSize?: number | undefined
  /**
   * The most the remembered states may weigh together, measured as the length of their JSON.
   * Default 32 MiB (`32 * 1024 * 1024`). The least recently used are forgotten first; a state
   * heavier than the whole budget is not remembered (its next step is stored in full). A finished
   * application (no next action) is forgotten at once.
   */
  readonly cacheBytes?: number | undefined
  /**
   * The longest value of a state key that is saved, in bytes of its JSON (UTF-8). Default 256 MiB.
   * A longer one fails the save with a `PersistenceError` of reason `TooLarge` naming the key:
   * nothing is saved that could not be loaded. With `layerPg`, the client's `maxMessageSize`
   * defaults to this plus 1 MiB (a PostgreSQL client given to `layer` must allow as much).
   */
  readonly maxValueBytes?: number | undefined
  /**
   * How long a save may take before it fails with a `PersistenceError` of reason `Timeout`
   * (a lock another session holds, a frozen server): its transaction is abandoned, so nothing of
   * the step is written. Default 30 seconds on PostgreSQL and other networked clients; on SQLite
   * through `SqliteClient`, where a save runs synchronously and the wait for another writer is
   * bounded by the client's `busyTimeout`, saves are timed only when this is given.
   */
  readonly saveTimeout?: Duration.Input | undefined
}

/**
 * The default `maxValueBytes`: 256 MiB of JSON per state key.
 *
 * @example
 * ```ts
 * import { SqlPersistence } from "@teasel/sql"
 * SqlPersistence.layerSqlite({ filename: "data/teasel.db", maxValueBytes: SqlPersistence.DEFAULT_MAX_VALUE_BYTES / 4 })
 * ```
 * @category models
 * @since 0.2.0
 */
export const DEFAULT_MAX_VALUE_BYTES: number = 256 * 1024 * 1024

/**
 * Everything building the persistence can fail with: the database, or creating its tables.
 *
 * @example
 * ```ts
 * import type { Layer } from "effect"
 * import type { Persistence } from "@teasel/core"
 * import { SqlPersistence } from "@teasel/sql"
 * const store: Layer.Layer<Persistence.Persistence, SqlPersistence.LayerError> =
 *   SqlPersistence.layerSqlite({ filename: "data/teasel.db" })
 * ```
 * @category models
 * @since 0.1.0
 */
export type LayerError = SqlError.SqlError | Migrator.MigrationError

/**
 * The persistence service over the `SqlClient` in context; creates its tables on first use.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Persistence } from "@teasel/core"
 * import { SqliteClient, SqlPersistence } from "@teasel/sql"
 * const program = Effect.gen(function*() {
 *   const store = yield* SqlPersistence.make({ cacheSize: 100 })
 *   return yield* store.list("")
 * }).pipe(Effect.provide(SqliteClient.layer({ filename: "data/teasel.db" })))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  options: Options = {}
): Effect.Effect<Persistence.Persistence["Service"], LayerError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* migrate
    const run = runner(sql)
    // What this process knows of each application's latest step: the next is stored as a delta.
    const known = new Lru<string, Known>(options.cacheSize ?? 4096, options.cacheBytes ?? 32 * 1024 * 1024, weightOf)
    const sqlite = yield* sqliteOf
    const save = SaveStep.make({ sql, sqlite, known, maxValueBytes: options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES })
    const timeout = Duration.fromInputUnsafe(options.saveTimeout ?? "30 seconds")
    const timeoutMillis = Duration.toMillis(timeout)
    // A race with a timer costs two fibers per save, as much as a SQLite save itself: on SQLite,
    // where a save runs synchronously and waiting for another writer's lock is bounded by
    // `busyTimeout` (waited on timers, interruptible), saves are timed only when `saveTimeout` is
    // given; on a networked database, always.
    const timed = sqlite === undefined || options.saveTimeout !== undefined
    return Persistence.Persistence.of({
      // Timed by the event loop's timers, not the fiber's Clock: a program under TestClock
      // moves its clock while the database takes real time.
      save: !timed ? save : (step) =>
        Effect.raceFirst(
          save(step),
          Effect.andThen(
            wallClockSleep(timeoutMillis),
            Effect.fail(
              new PersistenceError({
                reason: new Persistence.Timeout({ timeoutMillis }),
                appId: step.appId,
                partitionKey: step.partitionKey,
                sequenceId: step.sequenceId,
                message: `Application "${step.appId}" (step ${step.sequenceId}): the database did not complete the save within ${
                  Duration.format(timeout)
                } (saveTimeout); nothing of the step was written`
              })
            )
          )
        ),
      load: LoadStep.make({ sql, sqlite, known }),
      saveFailure: (failure) =>
        refused(failure) ?? run(Statements.insertFailure(failure)).pipe(
          Effect.asVoid,
          Effect.mapError((error) => backend(failure, "record the failed step", error))
        ),
      list: (partitionKey) =>
        refused({ appId: "", partitionKey }) ?? run<SummaryRow>(Statements.selectLatestSteps(partitionKey)).pipe(
          Effect.map((rows) =>
            rows.map((row): Persistence.Summary => ({
              appId: row.app_id,
              partitionKey,
              parentId: row.parent_id ?? undefined,
              sequenceId: Number(row.seq),
              action: row.action ?? undefined,
              next: row.next ?? undefined,
              updatedAt: Number(row.created_at)
            }))
          ),
          Effect.mapError((error) => listFailed(partitionKey, error)),
          Effect.flatMap((summaries) => {
            // A latest step whose number is not a whole number is damaged: never listed as a step.
            const bad = summaries.find((s) => !Number.isSafeInteger(s.sequenceId) || s.sequenceId < 1)
            return bad === undefined
              ? Effect.succeed(summaries)
              : Effect.fail(corrupt({ appId: bad.appId, partitionKey }, "its latest step number is not a whole number"))
          })
        )
    })
  })

const layers = Layers.make(Persistence.Persistence, make)

/**
 * The persistence layer over the `SqlClient` in context: SQLite or PostgreSQL (its SQL needs
 * `INSERT ... ON CONFLICT DO NOTHING`, so MySQL and SQL Server clients are not supported).
 *
 * @example
 * ```ts
 * import { Array as Arr, Effect, Layer, Redacted } from "effect"
 * import { PgClient } from "@effect/sql-pg"
 * import { Application } from "@teasel/core"
 * import { SqlPersistence } from "@teasel/sql"
 * declare const app: Application.Application<{ n: number }, "a">
 * const store = SqlPersistence.layer.pipe(Layer.provide(PgClient.layer({ url: Redacted.make("postgres://localhost/app") })))
 * Application.run(app).pipe(Effect.provide(store))
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Persistence.Persistence, LayerError, SqlClient.SqlClient> = layers.layer

/**
 * SQLite persistence in a file (its parent directories are created), over `node:sqlite` with WAL
 * journaling: nothing a completed step saved is lost if the process crashes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Graph } from "@teasel/core"
 * import { SqlPersistence } from "@teasel/sql"
 * const inc = (s: { count: number }) => ({ count: s.count + 1 })
 * const graph = Graph.make({ actions: { inc }, transitions: [["inc", "inc"]], entrypoint: "inc" })
 * const program = Effect.gen(function*() {
 *   const app = yield* Application.load({ graph, id: "counter", state: { count: 0 } })
 *   return yield* Application.run(app, { haltAfter: ["inc"] })
 * }).pipe(Effect.provide(SqlPersistence.layerSqlite({ filename: "data/teasel.db" })))
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerSqlite: (
  options: SqliteClient.SqliteClientConfig & Options
) => Layer.Layer<Persistence.Persistence, LayerError> = layers.layerSqlite

/**
 * PostgreSQL persistence (through `@effect/sql-pg`), at `url`; other settings of the connection
 * pool may be given beside it (for example `startupParameters: { search_path: "teasel" }`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application } from "@teasel/core"
 * import { SqlPersistence } from "@teasel/sql"
 * declare const app: Application.Application<{ n: number }, "a">
 * Application.run(app).pipe(Effect.provide(SqlPersistence.layerPg({ url: "postgres://postgres@127.0.0.1:5432/app" })))
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerPg: (
  options: Layers.PgOptions & Options
) => Layer.Layer<Persistence.Persistence, LayerError> = layers.layerPg

/**
 * The failed attempts recorded for an application, oldest first (the `Persistence` service only
 * writes them; this reads them back).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqliteClient, SqlPersistence } from "@teasel/sql"
 * const failures = SqlPersistence.failures({ appId: "counter", partitionKey: "" }).pipe(
 *   Effect.provide(SqliteClient.layer({ filename: "data/teasel.db" }))
 * )
 * ```
 * @category queries
 * @since 0.1.0
 */
export const failures = (query: {
  readonly appId: string
  readonly partitionKey: string
}): Effect.Effect<ReadonlyArray<Persistence.FailedStep>, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const rows = yield* runner(yield* SqlClient.SqlClient)<{ seq: unknown; action: string; error: string; created_at: unknown }>(
      Statements.selectFailures(query)
    )
    return rows.map((row) => ({
      appId: query.appId,
      partitionKey: query.partitionKey,
      sequenceId: Number(row.seq),
      action: row.action,
      error: row.error,
      createdAt: Number(row.created_at)
    }))
  })

/**
 * What a remembered state weighs: the length of its keys' JSON, read from their digests (a short
 * value is its own digest, a long one's digest starts with its length).
 */
const weightOf = (known: Known): number => {
  let total = 0
  for (const [key, d] of known.digests) {
    total += key.length + (d.startsWith("=") ? d.length - 1 : Number(d.slice(1, d.indexOf(":"))))
  }
  return total
}

/** The `InvalidId` failure for ids a database would not keep apart (as every backend refuses them). */
const refused = (where: { readonly appId: string; readonly partitionKey: string }) => {
  const invalid = Persistence.checkIds(where)
  return invalid === undefined ? undefined : Effect.fail(invalid)
}

interface SummaryRow {
  readonly app_id: string
  readonly seq: unknown
  readonly action: string | null
  readonly next: string | null
  readonly parent_id: string | null
  readonly created_at: unknown
}

