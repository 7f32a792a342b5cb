/**
 * A `SqlClient` for SQLite over Node's built-in `node:sqlite` (`DatabaseSync`).
 *
 * No published SQLite driver runs on Effect 4.1, and Node 22 ships SQLite, so this module is a
 * small driver of our own: one connection shared through a semaphore, a bounded cache of prepared
 * statements, `BEGIN IMMEDIATE` transactions (so two processes writing the same file wait for each
 * other instead of failing to upgrade a read lock), WAL journaling and a busy timeout.
 *
 * Durability: with `journal_mode=WAL`, `synchronous=NORMAL` loses nothing that was committed when
 * the *process* crashes (the WAL is in the operating system's cache); only a power loss or an
 * operating-system crash can lose the last transactions. Choose `synchronous: "FULL"` to be safe
 * against those too, at the cost of an fsync per commit.
 *
 * @since 0.1.0
 */
import { mkdirSync } from "node:fs"
import { dirname, resolve } from "node:path"
import type { DatabaseSync, StatementSync } from "node:sqlite"
import { Context, Effect, Layer, type Scope, Semaphore, Stream } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { SqlClient, SqlError, Statement } from "effect/sql"
import type { SqlConnection } from "effect/sql"
import { Lru } from "./internal/lru.js"

/**
 * Settings of a SQLite client.
 *
 * @example
 * ```ts
 * import { SqliteClient } from "@teasel/sql"
 * const config: SqliteClient.SqliteClientConfig = { filename: "data/app.db", synchronous: "FULL", busyTimeout: 10_000 }
 * SqliteClient.layer(config)
 * ```
 * @category models
 * @since 0.1.0
 */
export interface SqliteClientConfig {
  /** The database file (its parent directories are created), or `":memory:"`. */
  readonly filename: string
  /** Open the file read-only. Default `false`. */
  readonly readonly?: boolean | undefined
  /**
   * `PRAGMA synchronous`: `"NORMAL"` (default; with WAL, durable against process crashes) or
   * `"FULL"` (also durable against power loss, one fsync per commit).
   */
  readonly synchronous?: "NORMAL" | "FULL" | undefined
  /** How long a statement waits for another connection's lock, in milliseconds. Default 5000. */
  readonly busyTimeout?: number | undefined
  /** How many prepared statements are kept. Default 200. */
  readonly prepareCacheSize?: number | undefined
  /** Skip `PRAGMA journal_mode=WAL` (keep SQLite's rollback journal). Default `false`. */
  readonly disableWAL?: boolean | undefined
}

/**
 * A `SqlClient` backed by `node:sqlite`, with the settings it was opened with.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqliteClient } from "@teasel/sql"
 * const file = Effect.map(Effect.service(SqliteClient.SqliteClient), (sql) => sql.config.filename)
 * ```
 * @category models
 * @since 0.1.0
 */
export interface SqliteClient extends SqlClient.SqlClient {
  readonly config: SqliteClientConfig
  /**
   * Runs `f` synchronously in one `BEGIN IMMEDIATE` transaction, holding the database's lock:
   * committed when `f` returns, rolled back when it throws (its `SqlError` fails the effect).
   * Inside `withTransaction` of this client, `f` runs in a savepoint of that transaction instead.
   *
   * For short writes of a few statements, which pay no per-statement Effect, span or compilation
   * cost: statements are prepared once and bound positionally.
   */
  readonly transactionSync: <A>(f: (connection: SyncConnection) => A) => Effect.Effect<A, SqlError.SqlError>
  /**
   * Runs `f` synchronously with the connection, holding the database's lock, in no transaction
   * of its own: each statement commits by itself (inside `withTransaction` of this client, it is
   * part of that transaction). For reads of a statement or two.
   */
  readonly withConnectionSync: <A>(f: (connection: SyncConnection) => A) => Effect.Effect<A, SqlError.SqlError>
}

/**
 * The connection as `transactionSync` lends it: plain synchronous calls, statements prepared once
 * and cached, every error thrown as a `SqlError`. Numbers are read as numbers (not `BigInt`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqliteClient } from "@teasel/sql"
 * const count = Effect.flatMap(Effect.service(SqliteClient.SqliteClient), (sql) =>
 *   sql.transactionSync((conn: SqliteClient.SyncConnection) => {
 *     conn.run("INSERT INTO notes (body) VALUES (?)", ["hello"])
 *     return conn.all<{ n: number }>("SELECT count(*) AS n FROM notes", [])[0]!.n
 *   }))
 * ```
 * @category models
 * @since 0.1.0
 */
export interface SyncConnection {
  /** Runs a statement, ignoring any rows it returns; returns the number of rows it changed. */
  readonly run: (sql: string, params: ReadonlyArray<SqlValue>) => number
  /** Runs a statement and returns its rows. */
  readonly all: <A extends object>(sql: string, params: ReadonlyArray<SqlValue>) => ReadonlyArray<A>
  /**
   * Runs `f` in a savepoint: what it wrote is undone when it throws, and the error is rethrown;
   * the enclosing transaction goes on.
   */
  readonly savepoint: <A>(f: () => A) => A
}

/**
 * A value a statement of `SyncConnection` is bound to.
 *
 * @example
 * ```ts
 * import type { SqliteClient } from "@teasel/sql"
 * const params: ReadonlyArray<SqliteClient.SqlValue> = ["a", 1, null]
 * ```
 * @category models
 * @since 0.1.0
 */
export type SqlValue = string | number | bigint | null | Uint8Array

/**
 * The SQLite client service (the same value is also provided as `SqlClient.SqlClient`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqliteClient } from "@teasel/sql"
 * const program = Effect.gen(function*() {
 *   const sql = yield* SqliteClient.SqliteClient
 *   return yield* sql<{ n: number }>`SELECT 1 AS n`
 * }).pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" })))
 * ```
 * @category services
 * @since 0.1.0
 */
export const SqliteClient: Context.Service<SqliteClient, SqliteClient> = Context.Service<SqliteClient>(
  "@teasel/sql/SqliteClient"
)

/**
 * Opens a SQLite database and builds a `SqlClient` over it; the database closes with the scope.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as Reactivity from "effect/reactivity/Reactivity"
 * import { SqliteClient } from "@teasel/sql"
 * const rows = Effect.scoped(Effect.gen(function*() {
 *   const sql = yield* SqliteClient.make({ filename: ":memory:" })
 *   return yield* sql<{ n: number }>`SELECT 1 + 1 AS n`
 * })).pipe(Effect.provide(Reactivity.layer))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  config: SqliteClientConfig
): Effect.Effect<SqliteClient, SqlError.SqlError, Scope.Scope | Reactivity.Reactivity> =>
  Effect.gen(function*() {
    const connection = yield* Effect.acquireRelease(
      Effect.try({
        try: () => open(config),
        catch: (cause) => sqlError(cause, `Failed to open SQLite database "${config.filename}"`, "open")
      }),
      (conn) => Effect.sync(() => conn.close())
    )
    const semaphore = lockOf(config.filename)
    const { acquirer, borrower, onCommitFailure, transactionAcquirer } = SqlClient.makeSqliteAcquirers({
      connection: Effect.succeed(connection),
      semaphore
    })
    const client = yield* SqlClient.make({
      acquirer,
      borrower,
      transactionAcquirer,
      onCommitFailure,
      compiler: Statement.makeCompilerSqlite(),
      driver: "teasel-sqlite",
      beginTransaction: "BEGIN IMMEDIATE",
      prepareTransactionControls: true,
      releaseSavepoint: (name) => `RELEASE SAVEPOINT ${name}`,
      spanAttributes: [["db.system.name", "sqlite"]]
    })
    /** Runs `run` holding the lock: a free lock is taken without queueing, a busy one waited for. */
    const locked = <A>(
      run: () => A,
      inClientTransaction: () => A
    ): Effect.Effect<A, SqlError.SqlError> =>
      Effect.withFiber((fiber) => {
        // Inside withTransaction of this client, the transaction holds the lock and this very
        // connection: waiting for the lock would wait for ourselves.
        if (Context.getOrUndefined(fiber.context, client.transactionService) !== undefined) {
          return syncResult(inClientTransaction)
        }
        const withLock = Effect.suspend(() => syncResult(run))
        return Effect.flatMap(
          semaphore.withPermitsIfAvailable(1)(withLock),
          (taken) => taken._tag === "Some" ? Effect.succeed(taken.value) : semaphore.withPermit(withLock)
        )
      })
    const transactionSync = <A>(f: (connection: SyncConnection) => A) =>
      locked(() => connection.transaction(f), () => connection.sync.savepoint(() => f(connection.sync)))
    const withConnectionSync = <A>(f: (connection: SyncConnection) => A) =>
      locked(() => f(connection.sync), () => f(connection.sync))
    return Object.assign(client, { config, transactionSync, withConnectionSync }) as SqliteClient
  })

const syncResult = <A>(f: () => A): Effect.Effect<A, SqlError.SqlError> => {
  try {
    return Effect.succeed(f())
  } catch (cause) {
    return Effect.fail(asSqlError(cause, "execute"))
  }
}

/**
 * A layer providing `SqliteClient` and `SqlClient.SqlClient` for the given database.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqlClient } from "effect/sql"
 * import { SqliteClient } from "@teasel/sql"
 * const program = Effect.gen(function*() {
 *   const sql = yield* SqlClient.SqlClient
 *   yield* sql`CREATE TABLE IF NOT EXISTS notes (body TEXT)`
 * }).pipe(Effect.provide(SqliteClient.layer({ filename: "data/notes.db" })))
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer = (config: SqliteClientConfig): Layer.Layer<SqliteClient | SqlClient.SqlClient, SqlError.SqlError> =>
  Layer.effectContext(
    Effect.map(make(config), (client) =>
      Context.make(SqliteClient, client).pipe(Context.add(SqlClient.SqlClient, client)))
  ).pipe(Layer.provide(Reactivity.layer))

/**
 * One lock per database file in this process, shared by every client opened on it. SQLite's busy
 * timeout waits synchronously: a client blocked on another client's lock in the same thread
 * would block the very thread that must release it. Sharing the lock makes it wait
 * asynchronously instead.
 */
const fileLocks = new Map<string, Semaphore.Semaphore>()

const lockOf = (filename: string): Semaphore.Semaphore => {
  if (filename === ":memory:" || filename === "" || filename.startsWith("file:")) return Semaphore.makeUnsafe(1)
  const path = resolve(filename)
  let lock = fileLocks.get(path)
  if (lock === undefined) {
    lock = Semaphore.makeUnsafe(1)
    fileLocks.set(path, lock)
  }
  return lock
}

/** The connection, and a way to close it. */
interface SqliteConnection extends SqlConnection.Connection {
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

const open = (config: SqliteClientConfig): SqliteConnection => {
  const { filename } = config
  if (filename !== ":memory:" && filename !== "" && !filename.startsWith("file:") && config.readonly !== true) {
    mkdirSync(dirname(filename), { recursive: true })
  }
  const db: DatabaseSync = new (loadSqlite().DatabaseSync)(filename, { readOnly: config.readonly ?? false })
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(config.busyTimeout ?? 5000))}`)
    if (config.disableWAL !== true && config.readonly !== true) db.exec("PRAGMA journal_mode = WAL")
    db.exec(`PRAGMA synchronous = ${config.synchronous === "FULL" ? "FULL" : "NORMAL"}`)
  } catch (cause) {
    db.close()
    throw cause
  }
  return makeConnection(db, config.prepareCacheSize ?? 200)
}

const makeConnection = (db: DatabaseSync, cacheSize: number): SqliteConnection => {
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
    Effect.withFiber((fiber) => {
      const safeIntegers = fiber.getRef(SqlClient.SafeIntegers)
      try {
        return Effect.succeed(f(safeIntegers))
      } catch (cause) {
        return Effect.fail(sqlError(cause, `Failed to ${operation} statement`, operation))
      }
    })

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
const asSqlError = (cause: unknown, operation: string): SqlError.SqlError =>
  SqlError.isSqlError(cause) ? cause : sqlError(cause, `Failed to ${operation} statement`, operation)

const sqlError = (cause: unknown, message: string, operation: string): SqlError.SqlError => {
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
