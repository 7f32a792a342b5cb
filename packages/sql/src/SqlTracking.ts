/**
 * Tracking in a SQL database: every application, step, state and error that the step loop
 * records, kept where `teasel ui` (`@teasel/ui`) reads it. By default in the same SQLite file as
 * `SqlPersistence` (`.teasel/teasel.db` in the examples); any Effect `SqlClient` (PostgreSQL) works
 * too.
 *
 * Recording never waits for the database: `record` and `recordSteps` append to a buffer in
 * memory, and a fiber of the layer writes the buffer every `flushInterval` (100 ms by default) in
 * one transaction, and what is left when the layer closes. A step that does not wait gets no
 * `StepStarted` record (`stepStarted: "suspended"`); a group of fast steps (`recordSteps`) is taken
 * whole and stored as one row per step. A write that fails is logged and its records dropped: a
 * tracker's failure never fails an application. States are stored in full every few steps and in
 * between as the top-level keys that changed (see `internal/trackingWrite.ts`). Each run's
 * `ApplicationStopped` record sets the application's status (completed, halted, failed,
 * interrupted) as soon as it is written. `TrackingReader` reads it all back.
 *
 * @since 0.1.0
 */
import { Cause, Duration, Effect, type Layer, type Scope } from "effect"
import { Tracking } from "@teasel/core"
import type { Migrator } from "effect/sql"
import { SqlClient, type SqlError } from "effect/sql"
import { runner, sqliteOf, type Statement } from "./internal/dialect.js"
import * as Layers from "./internal/layers.js"
import * as Statements from "./internal/statements.js"
import { migrate } from "./internal/trackingSchema.js"
import * as Write from "./internal/trackingWrite.js"
import type * as SqliteClient from "./SqliteClient.js"

/**
 * Settings of the SQL tracker.
 *
 * @example
 * ```ts
 * import { SqlTracking } from "@teasel/sql"
 * const options: SqlTracking.Options = { flushInterval: "250 millis", fullStateEvery: 100 }
 * SqlTracking.layerSqlite({ filename: ".teasel/teasel.db", ...options })
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** How often the buffered records are written. Default 100 milliseconds. */
  readonly flushInterval?: Duration.Input | undefined
  /**
   * An application's state is stored in full every this many steps, and as the keys that changed
   * in between (reading a step's state reads at most this many rows). Default 32.
   */
  readonly fullStateEvery?: number | undefined
}

/**
 * Everything building the tracker can fail with: the database, or creating its tables.
 *
 * @example
 * ```ts
 * import type { Layer } from "effect"
 * import type { Tracking } from "@teasel/core"
 * import { SqlTracking } from "@teasel/sql"
 * const tracking: Layer.Layer<Tracking.Tracking, SqlTracking.LayerError> =
 *   SqlTracking.layerSqlite({ filename: ".teasel/teasel.db" })
 * ```
 * @category models
 * @since 0.1.0
 */
export type LayerError = SqlError.SqlError | Migrator.MigrationError

/** How often a live tracker says so, when it has nothing else to write. */
const HEARTBEAT_MS = 2_000

/** Records written per transaction: a long run's backlog is written in several, yielding between. */
const RECORDS_PER_TRANSACTION = 5_000

/** Failures of writes are logged at most this often. */
const WARN_EVERY_MS = 60_000

/**
 * The tracker over the `SqlClient` in context; creates its tables on first use. Its writer fiber
 * and its last write belong to the scope.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Tracking } from "@teasel/core"
 * import { SqliteClient, SqlTracking } from "@teasel/sql"
 * const tracking = Layer.effect(Tracking.Tracking, SqlTracking.make({ flushInterval: "1 second" })).pipe(
 *   Layer.provide(SqliteClient.layer({ filename: ".teasel/teasel.db" }))
 * )
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  options: Options = {}
): Effect.Effect<Tracking.Tracking["Service"], LayerError, SqlClient.SqlClient | Scope.Scope> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* migrate
    const direct = yield* sqliteOf
    const run = runner(sql)

    /** Runs statements in one transaction: synchronously on SQLite, through Effect SQL elsewhere. */
    const execute = (statements: ReadonlyArray<Statement>): Effect.Effect<void, SqlError.SqlError> =>
      direct !== undefined
        ? direct.transactionSync((conn) => {
          for (const s of statements) conn.run(s.sql, s.params)
        })
        : sql.withTransaction(Effect.forEach(statements, run, { discard: true }))

    const session = crypto.randomUUID()
    const now = () => performance.timeOrigin + performance.now()
    const started = now()
    yield* execute([Statements.openSession(session, process.pid, started)])

    const writer = Write.make({ session, fullStateEvery: Math.max(1, options.fullStateEvery ?? 32) })
    let buffer: Array<Write.Item> = []
    let lastBeat = started
    let lastWarning = -Infinity
    let dropped = 0

    const warn = (what: string, cause: unknown) => {
      const t = now()
      if (t - lastWarning < WARN_EVERY_MS) return
      lastWarning = t
      console.warn(
        `teasel: tracking could not write ${what} (${dropped} records dropped so far); the applications go on:`,
        cause
      )
    }

    /** Writes one batch; a failure is logged and the batch dropped. */
    const writeBatch = (records: ReadonlyArray<Write.Item>): Effect.Effect<void> =>
      Effect.suspend(() => {
        let statements: Array<Statement>
        try {
          statements = writer.statements(records)
        } catch (cause) {
          writer.forget()
          dropped += records.length
          warn(`${records.length} records`, cause)
          return Effect.void
        }
        const t = now()
        lastBeat = t
        statements.push(Statements.heartbeat(session, t))
        return Effect.catchCause(execute(statements), (cause) =>
          Effect.sync(() => {
            writer.forget()
            dropped += records.length
            warn(`${records.length} records`, Cause.squash(cause))
          }))
      })

    /** Writes everything buffered, a few thousand records per transaction. */
    const flush: Effect.Effect<void> = Effect.suspend(() => {
      if (buffer.length === 0) {
        const t = now()
        if (t - lastBeat < HEARTBEAT_MS) return Effect.void
        lastBeat = t
        return Effect.catchCause(execute([Statements.heartbeat(session, t)]), (cause) => Effect.sync(() => warn("its heartbeat", Cause.squash(cause))))
      }
      const records = buffer
      buffer = []
      if (records.length <= RECORDS_PER_TRANSACTION) return writeBatch(records)
      const batches: Array<ReadonlyArray<Write.Item>> = []
      for (let i = 0; i < records.length; i += RECORDS_PER_TRANSACTION) {
        batches.push(records.slice(i, i + RECORDS_PER_TRANSACTION))
      }
      return Effect.forEach(batches, (batch) => Effect.andThen(writeBatch(batch), Effect.yieldNow), { discard: true })
    })

    const interval = Duration.fromInputUnsafe(options.flushInterval ?? Duration.millis(100))
    // Registered before the writer fiber is forked, so it runs after that fiber is interrupted:
    // what is still buffered is written, then the session is closed.
    yield* Effect.addFinalizer(() =>
      Effect.andThen(
        Effect.uninterruptible(flush),
        Effect.ignore(execute([Statements.closeSession(session, now())]))
      )
    )
    // A flush is never interrupted halfway: the records it took from the buffer would be lost.
    yield* Effect.forkScoped(Effect.forever(Effect.andThen(Effect.sleep(interval), Effect.uninterruptible(flush))))

    return Tracking.Tracking.of({
      record: (record) => void buffer.push(record),
      // A group is buffered as it is: its rows are made when the batch is written.
      recordSteps: (group) => void buffer.push(group),
      stepStarted: "suspended"
    })
  })

const layers = Layers.make(Tracking.Tracking, make)

/**
 * The tracking layer over the `SqlClient` in context: SQLite or PostgreSQL.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Application, Persistence } from "@teasel/core"
 * import { SqliteClient, SqlPersistence, SqlTracking } from "@teasel/sql"
 * declare const app: Application.Application<{ n: number }, "a">
 * // Persistence and tracking on one connection to one file.
 * const layers = Layer.mergeAll(SqlPersistence.layer, SqlTracking.layer).pipe(
 *   Layer.provide(SqliteClient.layer({ filename: ".teasel/teasel.db" }))
 * )
 * Application.run(app).pipe(Effect.provide(layers))
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Tracking.Tracking, LayerError, SqlClient.SqlClient> = layers.layer

/**
 * Tracking in a SQLite file (its parent directories are created), over `node:sqlite`: by default
 * the file `SqlPersistence.layerSqlite` saves to, so one file holds both.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Application, Tracking } from "@teasel/core"
 * import { SqlPersistence, SqlTracking } from "@teasel/sql"
 * declare const app: Application.Application<{ n: number }, "a">
 * const filename = ".teasel/teasel.db"
 * Application.run(app).pipe(
 *   Effect.provide(Layer.mergeAll(SqlPersistence.layerSqlite({ filename }), SqlTracking.layerSqlite({ filename }))),
 *   Effect.provideService(Tracking.CurrentProject, "my-project")
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerSqlite: (
  options: SqliteClient.SqliteClientConfig & Options
) => Layer.Layer<Tracking.Tracking, LayerError> = layers.layerSqlite

/**
 * Tracking in PostgreSQL (through `@effect/sql-pg`), at `url`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application } from "@teasel/core"
 * import { SqlTracking } from "@teasel/sql"
 * declare const app: Application.Application<{ n: number }, "a">
 * Application.run(app).pipe(Effect.provide(SqlTracking.layerPg({ url: "postgres://postgres@127.0.0.1:5432/app" })))
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerPg: (
  options: Layers.PgOptions & Options
) => Layer.Layer<Tracking.Tracking, LayerError> = layers.layerPg
