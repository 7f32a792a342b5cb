/**
 * Waiting for the database without freezing the process: another connection's write lock on a
 * SQLite file is waited for on the Effect scheduler (timers run meanwhile, the waiting save can
 * be interrupted), and a PostgreSQL save that cannot complete (another session holds a lock it
 * needs) times out with a tagged error, can be interrupted, and leaves nothing half-written.
 * No clock is read: progress is counted in `setImmediate` callbacks.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DatabaseSync } from "node:sqlite"
import { Deferred, Effect, Exit, Fiber, type Layer } from "effect"
import { SqlClient } from "effect/sql"
import { Persistence } from "@teasel/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SqlPersistence } from "../src/index.js"
import { createSchema, dropSchema, pgClient, pgUrl, schemaName } from "./pg.js"

const dir = mkdtempSync(join(tmpdir(), "teasel-waiting-"))
const schema = schemaName("waiting")

beforeAll(() => createSchema(schema))
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await dropSchema(schema)
})

const stepOf = (appId: string, sequenceId: number): Persistence.Step => ({
  appId,
  partitionKey: "",
  sequenceId,
  action: "inc",
  next: "inc",
  state: { count: sequenceId },
  parentId: undefined,
  createdAt: 1
})

/** Resolves once `n` `setImmediate` callbacks have run: the event loop is turning. */
const immediates = (n: number): Effect.Effect<number> =>
  Effect.promise(() =>
    new Promise<number>((resolve) => {
      let ticks = 0
      const tick = () => (++ticks >= n ? resolve(ticks) : setImmediate(tick))
      setImmediate(tick)
    })
  )

const persistence = Effect.service(Persistence.Persistence)

describe("SQLite: another connection's write lock", () => {
  /** A second connection to the file, holding `BEGIN IMMEDIATE` until released. */
  const holdLock = (filename: string) => {
    const other = new DatabaseSync(filename)
    other.exec("BEGIN IMMEDIATE")
    let open = true
    return {
      release: () => {
        if (!open) return
        open = false
        other.exec("COMMIT")
        other.close()
      }
    }
  }

  it("is waited for without blocking the event loop; the save completes once it is released", async () => {
    const filename = join(dir, "wait.db")
    const layer = SqlPersistence.layerSqlite({ filename, busyTimeout: 60_000 })
    const result = await Effect.runPromise(
      Effect.gen(function*() {
        const p = yield* persistence
        yield* p.save(stepOf("locked", 1))
        const lock = holdLock(filename)
        try {
          const fiber = yield* Effect.forkChild(p.save(stepOf("locked", 2)))
          // 200 turns of the event loop while the lock is held: none would run if the save waited
          // synchronously.
          const ticks = yield* immediates(200)
          const waiting = fiber.pollUnsafe() === undefined
          lock.release()
          yield* Fiber.join(fiber)
          const loaded = yield* p.load({ appId: "locked", partitionKey: "" })
          return { ticks, waiting, loaded: loaded?.sequenceId }
        } finally {
          lock.release()
        }
      }).pipe(Effect.provide(layer))
    )
    expect(result).toEqual({ ticks: 200, waiting: true, loaded: 2 })
  })

  it("a save waiting for it can be interrupted, and nothing of it is written", async () => {
    const filename = join(dir, "interrupt.db")
    const layer = SqlPersistence.layerSqlite({ filename, busyTimeout: 60_000 })
    const result = await Effect.runPromise(
      Effect.gen(function*() {
        const p = yield* persistence
        yield* p.save(stepOf("stuck", 1))
        const lock = holdLock(filename)
        let exit: Exit.Exit<void, unknown>
        try {
          const fiber = yield* Effect.forkChild(p.save(stepOf("stuck", 2)))
          yield* immediates(50)
          exit = yield* Fiber.interrupt(fiber).pipe(Effect.andThen(Fiber.await(fiber)))
        } finally {
          lock.release()
        }
        const loaded = yield* p.load({ appId: "stuck", partitionKey: "" })
        return { interrupted: Exit.hasInterrupts(exit), loaded: loaded?.sequenceId }
      }).pipe(Effect.provide(layer))
    )
    expect(result).toEqual({ interrupted: true, loaded: 1 })
  })

  it("past busyTimeout the save fails with a PersistenceError, and the layer goes on", async () => {
    const filename = join(dir, "gives-up.db")
    const layer = SqlPersistence.layerSqlite({ filename, busyTimeout: 20 })
    const result = await Effect.runPromise(
      Effect.gen(function*() {
        const p = yield* persistence
        yield* p.save(stepOf("busy", 1))
        const lock = holdLock(filename)
        let failed: Exit.Exit<void, Persistence.PersistenceError>
        try {
          failed = yield* Effect.exit(p.save(stepOf("busy", 2)))
        } finally {
          lock.release()
        }
        yield* p.save(stepOf("busy", 2))
        return { failed, loaded: (yield* p.load({ appId: "busy", partitionKey: "" }))?.sequenceId }
      }).pipe(Effect.provide(layer))
    )
    const reason = Exit.isFailure(result.failed) ? result.failed.cause.reasons[0] : undefined
    expect(reason?._tag === "Fail" ? reason.error._tag : undefined).toBe("PersistenceError")
    expect(result.loaded).toBe(2)
  })
})

describe("PostgreSQL: a save that cannot complete", () => {
  const layerOf = (options: SqlPersistence.Options): Layer.Layer<Persistence.Persistence, unknown> =>
    SqlPersistence.layerPg({ url: pgUrl, connectTimeout: "5 seconds", startupParameters: { search_path: schema }, ...options })

  /**
   * Runs `f` while another session holds `ACCESS EXCLUSIVE` locks on the step tables (every save
   * waits for them); the locks are released (the session's transaction rolled back) afterwards,
   * whatever `f` did.
   */
  const whileLocked = <A, E, R>(f: Effect.Effect<A, E, R>) =>
    Effect.gen(function*() {
      const locked = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(
        Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) =>
          sql.withTransaction(
            Effect.gen(function*() {
              yield* sql.unsafe("LOCK TABLE teasel_steps, teasel_apps IN ACCESS EXCLUSIVE MODE")
              yield* Deferred.succeed(locked, undefined)
              yield* Deferred.await(release)
            })
          )).pipe(Effect.provide(pgClient(schema)), Effect.ignore)
      )
      yield* Deferred.await(locked)
      return yield* f.pipe(
        Effect.ensuring(Effect.andThen(Deferred.succeed(release, undefined), Fiber.await(holder)))
      )
    })

  it("times out with reason Timeout, and load afterwards gives the previous step", async () => {
    const result = await Effect.runPromise(
      Effect.gen(function*() {
        const p = yield* persistence
        yield* p.save(stepOf("frozen", 1))
        const exit = yield* whileLocked(Effect.exit(p.save(stepOf("frozen", 2))))
        const loaded = yield* p.load({ appId: "frozen", partitionKey: "" })
        return { exit, loaded: loaded?.sequenceId }
      }).pipe(Effect.provide(layerOf({ saveTimeout: "300 millis" })))
    )
    const reason = Exit.isFailure(result.exit) ? result.exit.cause.reasons[0] : undefined
    const error = reason?._tag === "Fail" ? reason.error : undefined
    expect(error?.reason).toEqual(new Persistence.Timeout({ timeoutMillis: 300 }))
    expect(error?.appId).toBe("frozen")
    expect(result.loaded).toBe(1)
  })

  it("a waiting save can be interrupted, and nothing of it is written", async () => {
    const result = await Effect.runPromise(
      Effect.gen(function*() {
        const p = yield* persistence
        yield* p.save(stepOf("held", 1))
        const exit = yield* whileLocked(Effect.gen(function*() {
          const fiber = yield* Effect.forkChild(p.save(stepOf("held", 2)))
          yield* immediates(50)
          yield* Fiber.interrupt(fiber)
          return yield* Fiber.await(fiber)
        }))
        const loaded = yield* p.load({ appId: "held", partitionKey: "" })
        return { interrupted: Exit.hasInterrupts(exit), loaded: loaded?.sequenceId }
      }).pipe(Effect.provide(layerOf({})))
    )
    expect(result).toEqual({ interrupted: true, loaded: 1 })
  })
})
