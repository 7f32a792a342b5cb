/**
 * A `SqlClient` for SQLite over Node's built-in `node:sqlite` (`DatabaseSync`).
 *
 * No published SQLite driver runs on Effect 4.1, and Node 22 ships SQLite, so this module is a
 * small driver of our own: one connection shared through a semaphore, a bounded cache of prepared
 * statements, `BEGIN IMMEDIATE` transactions (so two processes writing the same file wait for each
 * other instead of failing to upgrade a read lock), WAL journaling and a busy timeout waited without
 * blocking the event loop (`busyTimeout`). This module is
 * the client (its lock, its synchronous calls, its layer); the connection it drives is
 * `internal/sqliteConnection.ts`.
 *
 * Durability: with `journal_mode=WAL`, `synchronous=NORMAL` loses nothing that was committed when
 * the *process* crashes (the WAL is in the operating system's cache); only a power loss or an
 * operating-system crash can lose the last transactions. Choose `synchronous: "FULL"` to be safe
 * against those too, at the cost of an fsync per commit.
 *
 * @since 0.1.0
 */
import { resolve } from "node:path"
import { Context, Effect, Layer, type Scope, Semaphore } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { SqlClient, type SqlError, Statement } from "effect/sql"
import { open, retryBusy, sqlError, syncResult } from "./internal/sqliteConnection.js"

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
  /**
   * How long a statement waits for another connection's lock, in milliseconds. Default 5000.
   * SQLite itself waits only a few milliseconds (synchronously); the rest is waited on the Effect
   * scheduler, between attempts 1 ms apart doubling up to 50 ms, so the event loop runs meanwhile
   * and the wait can be interrupted. Past it, the statement fails with a `SqlError` of reason
   * `LockTimeoutError`.
   */
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
        // Another process's lock is waited for on the Effect scheduler, never synchronously.
        const withLock = retryBusy(Effect.suspend(() => syncResult(run)), config.busyTimeout ?? 5000)
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
