/**
 * Saves made at once (the children of a fan-out) and saves made inside a transaction of the
 * caller's own, on a real SQLite file and a real PostgreSQL. On SQLite, saves arriving together
 * are written in one transaction (group commit): each caller must still be told its own outcome,
 * and only once its step is committed.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { Persistence, type PersistenceError } from "@teasel/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SqliteClient, SqlPersistence } from "../src/index.js"
import { createSchema, dropSchema, pgClient, pgLayer, schemaName } from "./pg.js"

interface Backend {
  readonly name: string
  /** A new persistence layer instance (a new connection, nothing remembered): a new process. */
  readonly persistence: () => Layer.Layer<Persistence.Persistence, unknown>
  /** Persistence over a client that is provided too, to open transactions on it. */
  readonly withClient: () => Layer.Layer<Persistence.Persistence | SqlClient.SqlClient, unknown>
}

const dir = mkdtempSync(join(tmpdir(), "teasel-sql-concurrent-"))
const file = join(dir, "store.db")
const schema = schemaName("concurrent")

beforeAll(() => createSchema(schema))
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await dropSchema(schema)
})

const backends: ReadonlyArray<Backend> = [
  {
    name: "SQLite",
    persistence: () => SqlPersistence.layerSqlite({ filename: file }),
    withClient: () => Layer.provideMerge(SqlPersistence.layer, SqliteClient.layer({ filename: file }))
  },
  {
    name: "PostgreSQL",
    persistence: () => pgLayer(schema),
    withClient: () => Layer.provideMerge(SqlPersistence.layer, pgClient(schema) as Layer.Layer<SqlClient.SqlClient>)
  }
]

const unique = (label: string) => `${label}-${crypto.randomUUID()}`

const stepOf = (appId: string, sequenceId: number, state: object): Persistence.Step => ({
  appId,
  partitionKey: "",
  sequenceId,
  action: "a",
  next: "a",
  state,
  parentId: undefined,
  createdAt: Date.now()
})

const errorOf = (exit: Exit.Exit<unknown, PersistenceError>): PersistenceError | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (reason === undefined || reason._tag !== "Fail") throw new Error(`expected a typed failure: ${String(exit.cause)}`)
  return reason.error
}

describe.each(backends)("concurrent saves on $name", (backend) => {
  const run = <A, E>(effect: Effect.Effect<A, E, Persistence.Persistence>) =>
    Effect.runPromise(Effect.provide(effect, backend.persistence()) as Effect.Effect<A, unknown>)

  it("saves made at once each get their own outcome: a conflict fails only its caller, the rest are committed", async () => {
    const taken = unique("taken")
    const twice = unique("twice")
    const others = Array.from({ length: 40 }, (_, i) => unique(`other${i}`))
    const exits = await run(Effect.gen(function*() {
      const store = yield* Persistence.Persistence
      yield* store.save(stepOf(taken, 1, { who: "earlier" }))
      // In one go: fresh applications around a step that is already saved, and one step saved twice.
      const saves = [
        ...others.slice(0, 20).map((id) => stepOf(id, 1, { id })),
        stepOf(taken, 1, { who: "again" }),
        stepOf(twice, 1, { who: "first" }),
        stepOf(twice, 1, { who: "second" }),
        ...others.slice(20).map((id) => stepOf(id, 1, { id }))
      ]
      return yield* Effect.forEach(saves, (step) => Effect.exit(store.save(step)), { concurrency: "unbounded" })
    }))
    const errors = exits.map(errorOf)
    expect(errors.slice(0, 20).concat(errors.slice(23))).toEqual(others.map(() => undefined))
    expect(errors[20]).toMatchObject({ reason: { _tag: "Conflict" }, appId: taken, sequenceId: 1 })
    const [first, second] = [errors[21], errors[22]]
    expect([first, second].filter((e) => e === undefined)).toHaveLength(1)
    expect(first ?? second).toMatchObject({ reason: { _tag: "Conflict" }, appId: twice, sequenceId: 1 })

    // A new connection reads what each caller was told: committed, or not saved.
    const read = await run(Persistence.Persistence.use((store) =>
      Effect.forEach([taken, twice, ...others], (appId) => store.load({ appId, partitionKey: "" }))
    ))
    expect(read[0]?.state).toEqual({ who: "earlier" })
    expect(read[1]?.state).toEqual({ who: first === undefined ? "first" : "second" })
    expect(read.slice(2).map((s) => s?.state)).toEqual(others.map((id) => ({ id })))
  })

  it("applications stepping side by side are each saved step after step", async () => {
    const ids = Array.from({ length: 30 }, (_, i) => unique(`side${i}`))
    await run(Persistence.Persistence.use((store) =>
      Effect.forEach(
        ids,
        (id) => Effect.forEach([1, 2, 3, 4], (n) => store.save(stepOf(id, n, { n, id })), { discard: true }),
        { concurrency: "unbounded", discard: true }
      )
    ))
    const read = await run(Persistence.Persistence.use((store) =>
      Effect.forEach(ids, (appId) =>
        Effect.forEach([2, 4], (sequenceId) => store.load({ appId, partitionKey: "", sequenceId })))
    ))
    expect(read.map((steps) => steps.map((s) => s?.state))).toEqual(ids.map((id) => [{ n: 2, id }, { n: 4, id }]))
  })

  it("a save inside the caller's transaction on the same client is part of it", async () => {
    const kept = unique("kept")
    const undone = unique("undone")
    const loaded = await Effect.runPromise(Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const store = yield* Persistence.Persistence
      yield* sql.withTransaction(store.save(stepOf(kept, 1, { n: 1 })))
      const aborted = yield* Effect.exit(
        sql.withTransaction(Effect.flatMap(store.save(stepOf(undone, 1, { n: 1 })), () => Effect.fail("abort")))
      )
      expect(Exit.isFailure(aborted)).toBe(true)
      return [yield* store.load({ appId: kept, partitionKey: "" }), yield* store.load({ appId: undone, partitionKey: "" })]
    }).pipe(Effect.provide(backend.withClient())) as Effect.Effect<ReadonlyArray<Persistence.Step | undefined>, unknown>)
    expect(loaded[0]?.state).toEqual({ n: 1 })
    expect(loaded[1]).toBeUndefined()
    // Rolled back with the transaction, the step can be saved afresh.
    await run(Persistence.Persistence.use((store) => store.save(stepOf(undone, 1, { n: 2 }))))
  })
})
