/**
 * Tracking in a SQL database: every application, step, state and error that the step loop
 * records, kept where `teasel ui` (`@teasel/ui`) reads it. By default in the same SQLite file as
 * `SqlPersistence` (`.teasel/teasel.db` in the examples); any Effect `SqlClient` (PostgreSQL) works
 * too.
 *
 * Recording never waits for the database: `record` and `recordSteps` append to a buffer in
 * memory, and a fiber of the layer writes the buffer every `flushInterval` (100 ms by default), or
 * as soon as it holds a few thousand steps, in transactions of a few thousand records, and what is
 * left when the layer closes. The buffer is bounded (`maxBuffered`): past it, records are dropped. A step that does not wait gets no
 * `StepStarted` record (`stepStarted: "suspended"`); a group of fast steps (`recordSteps`) is taken
 * whole and stored as one row per step. A write that fails is tried again record by record, and a
 * record that fails alone is logged and dropped: a tracker's failure never fails an application,
 * and one bad record costs no other its row. A state that cannot be written as JSON (nested too
 * deep) is recorded as `{ "teasel:unrecorded": "<why>" }`. States are stored in full every few steps and in
 * between as the top-level keys that changed (see `internal/trackingWrite.ts`). Each run's
 * `ApplicationStopped` record sets the application's status (completed, halted, failed,
 * interrupted) as soon as it is written. `TrackingReader` reads it all back.
 *
 * @since 0.1.0
 */
import { Cause, Deferred, Duration, Effect, type Layer, type Scope } from "effect"
import { Tracking } from "@teasel/core"
import type { Migrator } from "effect/sql"
import { SqlClient, type SqlError } from "effect/sql"
import { isPg, runner, sqliteOf, type Statement } from "./internal/dialect.js"
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
  /**
   * The most steps and records held in memory waiting to be written. Default 100,000. The buffer
   * is written as soon as it holds a few thousand (without waiting for `flushInterval`); when the
   * database cannot keep up and it is full, new records are dropped (counted, and logged once a
   * minute) rather than growing the process's memory.
   */
  readonly maxBuffered?: number | undefined
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

/** Step rows per upsert on PostgreSQL. */
const PG_STEPS_PER_STATEMENT = 1_000

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

    const writer = Write.make({
      session,
      fullStateEvery: Math.max(1, options.fullStateEvery ?? 32),
      // A statement is a round trip on PostgreSQL: a batch in a few (12 values a row, of 65,535).
      ...(isPg(sql) ? { stepsPerStatement: PG_STEPS_PER_STATEMENT } : {})
    })
    const maxBuffered = Math.max(1, options.maxBuffered ?? 100_000)
    let buffer: Array<Write.Item> = []
    /** How many steps and records the buffer holds. */
    let buffered = 0
    /** Completed to write the buffer before the interval is over (it holds a transaction's worth). */
    let wake = Deferred.makeUnsafe<void>()
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

    /**
     * Writes one batch. When it fails, its records are written again one by one (each in a
     * transaction of its own), so that one bad record costs only itself: a record that fails
     * alone is logged and dropped.
     */
    const writeBatch = (records: ReadonlyArray<Write.Item>): Effect.Effect<void> =>
      Effect.suspend(() => {
        const failed = (cause: unknown): Effect.Effect<void> => {
          // The states remembered for deltas may not have been written: the next ones in full.
          writer.forget()
          if (records.length > 1) return Effect.forEach(records, (record) => writeBatch([record]), { discard: true })
          dropped += 1
          warn("a record", cause)
          return Effect.void
        }
        let statements: Array<Statement>
        try {
          statements = writer.statements(records)
        } catch (cause) {
          return failed(cause)
        }
        const t = now()
        lastBeat = t
        statements.push(Statements.heartbeat(session, t))
        return Effect.catchCause(execute(statements), (cause) => failed(Cause.squash(cause)))
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
      buffered = 0
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
    // It runs every `interval`, or sooner when the buffer holds a transaction's worth.
    const pause = Effect.suspend(() => Effect.raceFirst(Effect.sleep(interval), Deferred.await(wake)))
    yield* Effect.forkScoped(Effect.forever(
      Effect.andThen(pause, Effect.suspend(() => {
        wake = Deferred.makeUnsafe<void>()
        return Effect.uninterruptible(flush)
      }))
    ))

    /** Buffers `item` (`size` steps or records), or drops it when the buffer is full. */
    const push = (item: Write.Item, size: number): void => {
      if (buffered + size > maxBuffered && buffer.length > 0) {
        dropped += size
        warn(`${size} records`, `its buffer is full (maxBuffered ${maxBuffered}): the database does not keep up`)
        return
      }
      buffer.push(item)
      buffered += size
      if (buffered >= RECORDS_PER_TRANSACTION) Deferred.doneUnsafe(wake, Effect.void)
    }

    return Tracking.Tracking.of({
      record: (record) => push(record, 1),
      // A group is buffered as it is: its rows are made when the batch is written.
      recordSteps: (group) => push(group, Math.max(1, group.actions.length)),
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
