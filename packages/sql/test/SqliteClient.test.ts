import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Stream } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, describe, expect, it } from "vitest"
import { SqliteClient } from "../src/index.js"

const dir = mkdtempSync(join(tmpdir(), "teasel-sqlite-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const usingSqlite = <A, E>(
  config: SqliteClient.SqliteClientConfig,
  f: (sql: SqliteClient.SqliteClient) => Effect.Effect<A, E>
) => Effect.runPromise(Effect.flatMap(Effect.service(SqliteClient.SqliteClient), f).pipe(Effect.provide(SqliteClient.layer(config))))

const using = <A, E>(
  config: SqliteClient.SqliteClientConfig,
  f: (sql: SqlClient.SqlClient) => Effect.Effect<A, E>
) => Effect.runPromise(Effect.flatMap(Effect.service(SqlClient.SqlClient), f).pipe(Effect.provide(SqliteClient.layer(config))))

describe("SqliteClient", () => {
  it("opens a file in new directories with WAL, the chosen synchronous level and a short synchronous busy timeout", async () => {
    const filename = join(dir, "a", "b", "open.db")
    const pragmas = (synchronous?: "FULL") =>
      using({ filename, ...(synchronous ? { synchronous } : {}), busyTimeout: 1234 }, (sql) =>
        Effect.all([
          sql<{ journal_mode: string }>`PRAGMA journal_mode`,
          sql<{ synchronous: number }>`PRAGMA synchronous`,
          sql<{ timeout: number }>`PRAGMA busy_timeout`
        ]))
    const [[journal], [normal], [timeout]] = await pragmas()
    // SQLite waits synchronously only a few milliseconds; the rest of busyTimeout, asynchronously.
    expect([journal!.journal_mode, normal!.synchronous, timeout!.timeout]).toEqual(["wal", 1, 5])
    const [, [full]] = await pragmas("FULL")
    expect(full!.synchronous).toBe(2)
    expect(existsSync(filename)).toBe(true)
  })

  it("runs statements with parameters, as rows, values, raw results and streams", async () => {
    const out = await using({ filename: join(dir, "statements.db") }, (sql) =>
      Effect.gen(function*() {
        yield* sql`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB)`
        const raw = yield* sql`INSERT INTO t ${sql.insert([{ id: 1, name: "ä 🙂", data: new Uint8Array([1, 2]) }, { id: 2, name: null, data: null }])}`.raw
        const rows = yield* sql<{ id: number; name: string | null }>`SELECT id, name FROM t WHERE id IN ${sql.in([1, 2])} ORDER BY id`
        const values = yield* sql`SELECT id, name FROM t ORDER BY id`.values
        const streamed = yield* Stream.runCollect(sql<{ id: number }>`SELECT id FROM t ORDER BY id DESC`.stream)
        const unprepared = yield* sql<{ n: number }>`SELECT COUNT(*) AS n FROM t`.unprepared
        const big = yield* Effect.provideService(sql<{ id: bigint }>`SELECT id FROM t WHERE id = 1`, SqlClient.SafeIntegers, true)
        return { raw, rows, values, streamed: Array.from(streamed), unprepared, big }
      }))
    expect(out.raw).toMatchObject({ changes: 2 })
    expect(out.rows).toEqual([{ id: 1, name: "ä 🙂" }, { id: 2, name: null }])
    expect(Object.getPrototypeOf(out.rows[0])).toBe(Object.prototype)
    expect(out.values).toEqual([[1, "ä 🙂"], [2, null]])
    expect(out.streamed).toEqual([{ id: 2 }, { id: 1 }])
    expect(out.unprepared).toEqual([{ n: 2 }])
    expect(out.big).toEqual([{ id: 1n }])
  })

  it("commits and rolls back transactions, with savepoints for nested ones", async () => {
    const out = await using({ filename: join(dir, "tx.db") }, (sql) =>
      Effect.gen(function*() {
        yield* sql`CREATE TABLE t (n INTEGER PRIMARY KEY)`
        yield* sql.withTransaction(sql`INSERT INTO t VALUES (1)`)
        const failed = yield* Effect.exit(sql.withTransaction(Effect.andThen(sql`INSERT INTO t VALUES (2)`, Effect.fail("no"))))
        yield* sql.withTransaction(Effect.gen(function*() {
          yield* sql`INSERT INTO t VALUES (3)`
          yield* Effect.exit(sql.withTransaction(Effect.andThen(sql`INSERT INTO t VALUES (4)`, Effect.fail("inner"))))
        }))
        return { failed, rows: yield* sql<{ n: number }>`SELECT n FROM t ORDER BY n` }
      }))
    expect(Exit.isFailure(out.failed)).toBe(true)
    expect(out.rows).toEqual([{ n: 1 }, { n: 3 }])
  })

  it("reports a duplicate key as a UniqueViolation, for primary keys and unique constraints", async () => {
    const errors = await using({ filename: ":memory:" }, (sql) =>
      Effect.gen(function*() {
        yield* sql`CREATE TABLE t (a INTEGER, b INTEGER, c TEXT UNIQUE, PRIMARY KEY (a, b))`
        yield* sql`INSERT INTO t VALUES (1, 1, 'x')`
        return [
          yield* Effect.flip(sql`INSERT INTO t VALUES (1, 1, 'y')`),
          yield* Effect.flip(sql`INSERT INTO t VALUES (2, 2, 'x')`),
          yield* Effect.flip(sql`SELECT nope FROM t`)
        ]
      }))
    expect(errors.map((e) => e.reason._tag)).toEqual(["UniqueViolation", "UniqueViolation", "UnknownError"])
    expect(errors[2]!.message).toMatch(/no such column: nope/)
    expect(errors[0]!.message).toMatch(/UNIQUE constraint failed: t\.a, t\.b/)
  })

  it("two clients on one file in one process take turns instead of blocking each other", async () => {
    const filename = join(dir, "shared.db")
    await using({ filename }, (sql) => sql`CREATE TABLE t (n INTEGER)`)
    const writer = (from: number) =>
      using({ filename, busyTimeout: 200 }, (sql) =>
        Effect.forEach([0, 1, 2, 3, 4], (i) =>
          sql.withTransaction(Effect.gen(function*() {
            yield* sql`INSERT INTO t VALUES (${from + i})`
            yield* Effect.sleep(2) // holds the write lock across a yield to the event loop
          })), { discard: true }))
    await Promise.all([writer(0), writer(100)])
    const rows = await using({ filename }, (sql) => sql<{ n: number }>`SELECT COUNT(*) AS n FROM t`)
    expect(rows).toEqual([{ n: 10 }])
  })

  it("transactionSync commits what it wrote, rolls all of it back when it throws, with the error as a SqlError", async () => {
    const out = await usingSqlite({ filename: join(dir, "sync.db") }, (sql) =>
      Effect.gen(function*() {
        yield* sql`CREATE TABLE t (n INTEGER PRIMARY KEY, s TEXT)`
        const changed = yield* sql.transactionSync((conn) => conn.run("INSERT INTO t VALUES (?, ?), (?, ?)", [1, "a", 2, null]))
        const duplicate = yield* Effect.flip(sql.transactionSync((conn) => {
          conn.run("INSERT INTO t VALUES (?, ?)", [3, "c"])
          conn.run("INSERT INTO t VALUES (?, ?)", [1, "again"])
        }))
        const thrown = yield* Effect.flip(sql.transactionSync((conn) => {
          conn.run("INSERT INTO t VALUES (?, ?)", [4, "d"])
          throw new Error("changed my mind")
        }))
        // A savepoint undoes only its own writes.
        const kept = yield* sql.transactionSync((conn) => {
          conn.run("INSERT INTO t VALUES (?, ?)", [5, "e"])
          try {
            conn.savepoint(() => conn.run("INSERT INTO t VALUES (?, ?)", [5, "twice"]))
          } catch {
            conn.run("INSERT INTO t VALUES (?, ?)", [6, "f"])
          }
          return conn.all<{ n: number }>("SELECT n FROM t ORDER BY n", [])
        })
        const read = yield* sql.withConnectionSync((conn) => conn.all<{ n: number; s: string | null }>("SELECT n, s FROM t ORDER BY n", []))
        return { changed, duplicate, thrown, kept, read }
      }))
    expect(out.changed).toBe(2)
    expect(out.duplicate.reason._tag).toBe("UniqueViolation")
    expect(out.thrown.message).toMatch(/changed my mind/)
    expect(out.kept.map((r) => r.n)).toEqual([1, 2, 5, 6])
    expect(out.read).toEqual([{ n: 1, s: "a" }, { n: 2, s: null }, { n: 5, s: "e" }, { n: 6, s: "f" }])
  })

  it("inside withTransaction, transactionSync and withConnectionSync are part of that transaction", async () => {
    const out = await usingSqlite({ filename: join(dir, "sync-tx.db") }, (sql) =>
      Effect.gen(function*() {
        yield* sql`CREATE TABLE t (n INTEGER PRIMARY KEY)`
        let seen: ReadonlyArray<{ n: number }> = []
        const aborted = yield* Effect.exit(sql.withTransaction(Effect.gen(function*() {
          yield* sql`INSERT INTO t VALUES (1)`
          yield* sql.transactionSync((conn) => conn.run("INSERT INTO t VALUES (?)", [2]))
          seen = yield* sql.withConnectionSync((conn) => conn.all<{ n: number }>("SELECT n FROM t ORDER BY n", []))
          return yield* Effect.fail("abort")
        })))
        yield* sql.withTransaction(sql.transactionSync((conn) => conn.run("INSERT INTO t VALUES (?)", [3])))
        return { aborted, seen, rows: yield* sql<{ n: number }>`SELECT n FROM t ORDER BY n` }
      }))
    expect(Exit.isFailure(out.aborted)).toBe(true)
    expect(out.seen).toEqual([{ n: 1 }, { n: 2 }])
    expect(out.rows).toEqual([{ n: 3 }])
  })

  it("transactionSync waits for another client's transaction on the same file instead of failing busy", async () => {
    const filename = join(dir, "sync-shared.db")
    await using({ filename }, (sql) => sql`CREATE TABLE t (n INTEGER)`)
    const order: Array<string> = []
    let wrote!: () => void
    const holding = new Promise<void>((resolve) => (wrote = resolve))
    const holder = using({ filename, busyTimeout: 50 }, (sql) =>
      sql.withTransaction(Effect.gen(function*() {
        yield* sql`INSERT INTO t VALUES (1)`
        order.push("holder wrote")
        wrote()
        yield* Effect.sleep(100) // holds the write lock across yields to the event loop
        order.push("holder commits")
      })))
    const waiter = usingSqlite({ filename, busyTimeout: 50 }, (sql) =>
      Effect.andThen(Effect.promise(() => holding), sql.transactionSync((conn) => {
        order.push("waiter writes")
        conn.run("INSERT INTO t VALUES (?)", [2])
      })))
    await Promise.all([holder, waiter])
    expect(order).toEqual(["holder wrote", "holder commits", "waiter writes"])
    const rows = await using({ filename }, (sql) => sql<{ n: number }>`SELECT n FROM t ORDER BY n`)
    expect(rows).toEqual([{ n: 1 }, { n: 2 }])
  })
})
