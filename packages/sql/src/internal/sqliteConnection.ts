/**
 * The connection under `SqliteClient`: a `node:sqlite` database opened with the client's
 * settings, its prepared statements cached, serving both Effect SQL (`SqlConnection.Connection`)
 * and the synchronous calls of `transactionSync` / `withConnectionSync` (`SyncConnection`), with
 * every error turned into a `SqlError` (a duplicate key into a `UniqueViolation`).
 */
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import type { DatabaseSync, StatementSync } from "node:sqlite"
import { Effect, Stream } from "effect"
import { SqlClient, SqlError } from "effect/sql"
import type { SqlConnection } from "effect/sql"
import type { SqliteClientConfig, SqlValue, SyncConnection } from "../SqliteClient.js"
import { Lru } from "./lru.js"

/** The connection, and a way to close it. */
export interface SqliteConnection extends SqlConnection.Connection {
  readonly close: () => void
  readonly sync: SyncConnection
  /** Runs `f` in `BEGIN IMMEDIATE` ... `COMMIT`, rolling back when it throws; the caller holds the lock. */
  readonly transaction: <A>(f: (connection: SyncConnection) => A) => A
}

let sqlite: typeof import("node:sqlite") | undefined

/**
 * `node:sqlite`, loaded on first use. Node 22 prints an ExperimentalWarning when the module is
 * first loaded; that one warning is dropped (the module is what this driver is for), others pass.
 */
const loadSqlite = (): typeof import("node:sqlite") => {
  if (sqlite !== undefined) return sqlite
  const emitWarning = process.emitWarning
  process.emitWarning = function(this: unknown, warning: string | Error, ...rest: Array<any>) {
    const type = typeof rest[0] === "string" ? rest[0] : rest[0]?.type
    const name = typeof warning === "string" ? type : warning.name
    const message = typeof warning === "string" ? warning : warning.message
    if (name === "ExperimentalWarning" && /SQLite/i.test(message)) return
    return (emitWarning as (...args: Array<any>) => void).call(this, warning, ...rest)
  } as typeof process.emitWarning
  try {
    sqlite = process.getBuiltinModule("node:sqlite") as typeof import("node:sqlite")
  } finally {
    process.emitWarning = emitWarning
  }
  return sqlite
}

/** Opens the database (its parent directories are created) with the client's settings. */
export const open = (config: SqliteClientConfig): SqliteConnection => {
  const { filename } = config
  if (filename !== ":memory:" && filename !== "" && !filename.startsWith("file:") && config.readonly !== true) {
    mkdirSync(dirname(filename), { recursive: true })
  }
  const db: DatabaseSync = new (loadSqlite().DatabaseSync)(filename, { readOnly: config.readonly ?? false })
  try {
    // SQLite's busy timeout waits synchronously, blocking the event loop: only a short wait here,
    // the rest of `busyTimeout` on the Effect scheduler (`retryBusy`).
    db.exec(`PRAGMA busy_timeout = ${Math.min(SYNC_BUSY_MS, Math.max(0, Math.floor(config.busyTimeout ?? 5000)))}`)
    if (config.disableWAL !== true && config.readonly !== true) db.exec("PRAGMA journal_mode = WAL")
    db.exec(`PRAGMA synchronous = ${config.synchronous === "FULL" ? "FULL" : "NORMAL"}`)
  } catch (cause) {
    db.close()
    throw cause
  }
  return makeConnection(db, config.prepareCacheSize ?? 200, config.busyTimeout ?? 5000)
}

/** How long one statement waits synchronously for another connection's lock, in milliseconds. */
export const SYNC_BUSY_MS = 5

/** The first and the longest pause between two attempts at a busy database, in milliseconds. */
const FIRST_PAUSE_MS = 1
const LONGEST_PAUSE_MS = 50

/**
 * Sleeps `ms` milliseconds of real time (a timer of the event loop), whatever `Clock` the fiber
 * has: waiting for a database is real waiting, also in a program run under `TestClock`.
 * Interruptible: the timer is cleared.
 */
export const wallClockSleep = (ms: number): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), ms)
    return Effect.sync(() => clearTimeout(timer))
  })

/** Whether a statement failed because another connection holds the lock (`SQLITE_BUSY`, `SQLITE_LOCKED`). */
export const isBusy = (error: SqlError.SqlError): boolean => error.reason._tag === "LockTimeoutError"

/**
 * `attempt` again while it fails with a busy database, pausing on the Effect scheduler between
 * attempts (1 ms, doubling up to 50 ms) so that the event loop runs meanwhile, until the pauses
 * reach `budgetMs`; then its last error. Each pause is interruptible, even in an uninterruptible
 * region: a busy attempt wrote nothing, so there is nothing to protect while waiting.
 */
export const retryBusy = <A>(
  attempt: Effect.Effect<A, SqlError.SqlError>,
  budgetMs: number
): Effect.Effect<A, SqlError.SqlError> => {
  const loop = (waited: number, pause: number): Effect.Effect<A, SqlError.SqlError> =>
    Effect.catchIf(attempt, (error) => isBusy(error) && waited < budgetMs, () => {
      const next = Math.min(pause, budgetMs - waited)
      return Effect.andThen(
        Effect.interruptible(wallClockSleep(next)),
        Effect.suspend(() => loop(waited + next + SYNC_BUSY_MS, Math.min(pause * 2, LONGEST_PAUSE_MS)))
      )
    })
  return loop(0, FIRST_PAUSE_MS)
}

const makeConnection = (db: DatabaseSync, cacheSize: number, busyTimeout: number): SqliteConnection => {
  const cache = new Lru<string, StatementSync>(cacheSize)
  const prepare = (sql: string): StatementSync => {
    let statement = cache.get(sql)
    if (statement === undefined) {
      statement = db.prepare(sql)
      cache.set(sql, statement)
    }
    return statement
  }

  const attempt = <A>(operation: string, f: (safeIntegers: boolean) => A): Effect.Effect<A, SqlError.SqlError> =>
    retryBusy(
      Effect.withFiber((fiber) => {
        const safeIntegers = fiber.getRef(SqlClient.SafeIntegers)
        try {
          return Effect.succeed(f(safeIntegers))
        } catch (cause) {
          return Effect.fail(sqlError(cause, `Failed to ${operation} statement`, operation))
        }
      }),
      busyTimeout
    )

  const rows = (statement: StatementSync, params: ReadonlyArray<unknown>, safeIntegers: boolean) => {
    statement.setReadBigInts(safeIntegers)
    if (statement.columns().length > 0) {
      // node:sqlite rows have a null prototype; hand out plain objects.
      return statement.all(...(params as Array<any>)).map((row) => ({ ...row }))
    }
    statement.run(...(params as Array<any>))
    return []
  }

  const values = (statement: StatementSync, params: ReadonlyArray<unknown>, safeIntegers: boolean) => {
    statement.setReadBigInts(safeIntegers)
    statement.setReturnArrays(true)
    try {
      if (statement.columns().length > 0) {
        return statement.all(...(params as Array<any>)) as unknown as ReadonlyArray<ReadonlyArray<unknown>>
      }
      statement.run(...(params as Array<any>))
      return []
    } finally {
      statement.setReturnArrays(false)
    }
  }

  const transform = <A>(
    effect: Effect.Effect<ReadonlyArray<A>, SqlError.SqlError>,
    transformRows: (<B extends object>(rows: ReadonlyArray<B>) => ReadonlyArray<B>) | undefined
  ) => transformRows === undefined ? effect : Effect.map(effect, (r) => transformRows(r as Array<any>) as ReadonlyArray<A>)

  const sync: SyncConnection = {
    run: (sql, params) => {
      try {
        const statement = prepare(sql)
        statement.setReadBigInts(false)
        return Number(statement.run(...(params as Array<SqlValue>)).changes)
      } catch (cause) {
        throw asSqlError(cause, "execute")
      }
    },
    all: <A extends object>(sql: string, params: ReadonlyArray<SqlValue>) => {
      try {
        const statement = prepare(sql)
        statement.setReadBigInts(false)
        return statement.all(...(params as Array<SqlValue>)) as unknown as ReadonlyArray<A>
      } catch (cause) {
        throw asSqlError(cause, "execute")
      }
    },
    savepoint: (f) => {
      sync.run("SAVEPOINT teasel_sync", [])
      let result
      try {
        result = f()
      } catch (error) {
        sync.run("ROLLBACK TO SAVEPOINT teasel_sync", [])
        sync.run("RELEASE SAVEPOINT teasel_sync", [])
        throw error
      }
      sync.run("RELEASE SAVEPOINT teasel_sync", [])
      return result
    }
  }

  const transaction = <A>(f: (connection: SyncConnection) => A): A => {
    // A transaction left open by a failed rollback (effect/sql's own path poisons the connection
    // then): end it before beginning ours.
    if (db.isTransaction) sync.run("ROLLBACK", [])
    sync.run("BEGIN IMMEDIATE", [])
    let result: A
    try {
      result = f(sync)
      sync.run("COMMIT", [])
    } catch (error) {
      if (db.isTransaction) {
        try {
          db.exec("ROLLBACK")
        } catch {
          // Still open: the next transaction rolls it back first.
        }
      }
      throw error
    }
    return result
  }

  let open = true
  return {
    sync,
    transaction,
    close: () => {
      cache.clear()
      if (open) db.close()
      open = false
    },
    execute: (sql, params, transformRows) =>
      transform(attempt("execute", (safe) => rows(prepare(sql), params, safe)), transformRows),
    executeUnprepared: (sql, params, transformRows) =>
      transform(attempt("execute", (safe) => rows(db.prepare(sql), params, safe)), transformRows),
    executeRaw: (sql, params) =>
      attempt("execute", (safe) => {
        const statement = prepare(sql)
        statement.setReadBigInts(safe)
        if (statement.columns().length > 0) return statement.all(...(params as Array<any>))
        return statement.run(...(params as Array<any>))
      }),
    executeValues: (sql, params) => attempt("execute", (safe) => values(prepare(sql), params, safe)),
    executeValuesUnprepared: (sql, params) => attempt("execute", (safe) => values(db.prepare(sql), params, safe)),
    executeStream: (sql, params, transformRows) =>
      // A statement of its own: a cached one could be re-run by another query mid-iteration.
      Stream.unwrap(attempt("execute", (safe) => {
        const statement = db.prepare(sql)
        statement.setReadBigInts(safe)
        const iterator = statement.iterate(...(params as Array<any>))
        const rows = Stream.fromIterable({ [Symbol.iterator]: () => iterator }).pipe(
          Stream.map((row) => ({ ...(row as object) }))
        )
        return transformRows === undefined
          ? rows
          : Stream.flatMap(rows, (row) => Stream.fromIterable(transformRows([row])))
      }))
  }
}

/** SQLite's extended result codes for a duplicate key: the unique and primary-key constraints. */
const SQLITE_CONSTRAINT_UNIQUE = 2067
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555

/** A thrown error as a `SqlError` (unchanged when it is one already). */
export const asSqlError = (cause: unknown, operation: string): SqlError.SqlError =>
  SqlError.isSqlError(cause) ? cause : sqlError(cause, `Failed to ${operation} statement`, operation)

/** A failure of `node:sqlite` as a `SqlError`, classified. */
export const sqlError = (cause: unknown, message: string, operation: string): SqlError.SqlError => {
  const errcode = typeof cause === "object" && cause !== null ? (cause as { errcode?: unknown }).errcode : undefined
  const detail = cause instanceof Error ? `${message}: ${cause.message}` : message
  if (errcode === SQLITE_CONSTRAINT_UNIQUE || errcode === SQLITE_CONSTRAINT_PRIMARYKEY) {
    const constraint = cause instanceof Error
      ? (/constraint failed: (.*)$/.exec(cause.message)?.[1] ?? "unknown")
      : "unknown"
    return new SqlError.SqlError({
      reason: new SqlError.UniqueViolation({ cause, message: detail, operation, constraint })
    })
  }
  // node:sqlite puts SQLite's result code in `errcode`; Effect's classifier reads `errno`.
  const classified = typeof errcode === "number" ? { cause, errno: errcode, message: detail } : cause
  return new SqlError.SqlError({ reason: SqlError.classifySqliteError(classified, { message: detail, operation }) })
}

/** The value of `f`, or its thrown error as a `SqlError`. */
export const syncResult = <A>(f: () => A): Effect.Effect<A, SqlError.SqlError> => {
  try {
    return Effect.succeed(f())
  } catch (cause) {
    return Effect.fail(asSqlError(cause, "execute"))
  }
}
