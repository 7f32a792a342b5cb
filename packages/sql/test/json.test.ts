/**
 * The JSON rules of docs/persistence.md ("What a state may hold: JSON"), held alike by every
 * backend — memory, a real SQLite file and PostgreSQL: a value must come back as it went in, so
 * `undefined` inside an array (`[1, undefined]`, which JSON would turn into `[1, null]`) is
 * refused with a `PersistenceError` whose message names the key, before anything is written; `null` inside an
 * array is kept; a top-level key holding `undefined` reads back absent.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, type Layer } from "effect"
import { Application, Graph, Persistence } from "@teasel/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SqlPersistence } from "../src/index.js"
import { createSchema, dropSchema, pgLayer, schemaName } from "./pg.js"

const dir = mkdtempSync(join(tmpdir(), "teasel-json-"))
const schema = schemaName("json")

beforeAll(() => createSchema(schema))
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await dropSchema(schema)
})

const backends: ReadonlyArray<{ readonly name: string; readonly layer: () => Layer.Layer<Persistence.Persistence, unknown> }> = [
  { name: "memory", layer: () => Persistence.layerMemory },
  { name: "SQLite", layer: () => SqlPersistence.layerSqlite({ filename: join(dir, "json.db") }) },
  { name: "PostgreSQL", layer: () => pgLayer(schema) }
]

const unique = (label: string) => `${label}-${crypto.randomUUID()}`

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (reason === undefined || reason._tag !== "Fail") throw new Error(`expected a typed failure: ${String(exit.cause)}`)
  return reason.error
}

interface Doc {
  readonly n: number
  readonly xs: ReadonlyArray<unknown>
  readonly extra?: unknown
}
const step = (appId: string, sequenceId: number, state: object): Persistence.Step => ({
  appId,
  partitionKey: "",
  sequenceId,
  action: "put",
  next: "put",
  state,
  parentId: undefined,
  createdAt: 1_700_000_000_000 + sequenceId
})

describe.each(backends)("the JSON rules on $name", (backend) => {
  const run = <A, E>(effect: Effect.Effect<A, E, Persistence.Persistence>) =>
    Effect.runPromise(Effect.provide(effect, backend.layer()) as Effect.Effect<A, unknown>)

  it("a step producing [1, undefined] fails with a PersistenceError naming the key; the application stays at its last saved step", async () => {
    const id = unique("holey")
    // Step 1 stores a valid array; step 2 puts undefined into it.
    const put = (s: Doc): Doc => ({ n: s.n + 1, xs: s.n === 0 ? [1, null] : [1, undefined] })
    const graph = Graph.make({ actions: { put }, transitions: [["put", "put", (s) => s.n < 2]], entrypoint: "put" })
    const out = await run(Effect.gen(function*() {
      const exit = yield* Effect.exit(Application.run(Application.make({ graph, state: { n: 0, xs: [] }, id })))
      const store = yield* Persistence.Persistence
      return { exit, latest: yield* store.load({ appId: id, partitionKey: "" }), loaded: yield* Application.load({ graph, id, state: { n: -1, xs: [] } }) }
    }))
    const error = failureOf(out.exit)
    expect(error).toMatchObject({ _tag: "PersistenceError", appId: id, sequenceId: 2 })
    expect(error.message).toContain(`"xs"`)
    expect(out.latest).toMatchObject({ sequenceId: 1, state: { n: 1, xs: [1, null] } })
    expect([out.loaded.sequenceId, out.loaded.state]).toEqual([1, { n: 1, xs: [1, null] }])
  })

  it("a first step holding undefined in an array, at any depth, is refused and nothing is written", async () => {
    const cases: ReadonlyArray<readonly [string, object]> = [
      ["xs", { n: 1, xs: [1, undefined] }],
      ["xs", { n: 1, xs: [undefined] }],
      ["deep", { n: 1, xs: [], deep: { rows: [{ tags: ["a", undefined, "c"] }] } }],
      // A hole reads as undefined, and JSON would write it as null.
      ["xs", { n: 1, xs: [1, , 3] }] // eslint-disable-line no-sparse-arrays
    ]
    for (const [key, state] of cases) {
      const id = unique("first")
      const out = await run(Effect.gen(function*() {
        const store = yield* Persistence.Persistence
        const error = yield* Effect.flip(store.save(step(id, 1, state)))
        return { error, saved: yield* store.load({ appId: id, partitionKey: "" }) }
      }))
      expect(out.error, JSON.stringify(state)).toMatchObject({ _tag: "PersistenceError", appId: id, sequenceId: 1 })
      expect(out.error.message).toContain(`"${key}"`)
      expect(out.saved).toBeUndefined()
    }
  })

  it("a later step that puts undefined into an array is refused; the step before it is kept", async () => {
    const id = unique("later")
    const out = await run(Effect.gen(function*() {
      const store = yield* Persistence.Persistence
      yield* store.save(step(id, 1, { n: 1, xs: [1, 2] }))
      const error = yield* Effect.flip(store.save(step(id, 2, { n: 2, xs: [1, undefined] })))
      return { error, saved: yield* store.load({ appId: id, partitionKey: "" }) }
    }))
    expect(out.error).toMatchObject({ _tag: "PersistenceError", appId: id, sequenceId: 2 })
    expect(out.error.message).toContain(`"xs"`)
    expect(out.saved).toMatchObject({ sequenceId: 1, state: { n: 1, xs: [1, 2] } })
  })

  it("null inside an array round-trips; a top-level undefined key reads back absent", async () => {
    const id = unique("ok")
    const out = await run(Effect.gen(function*() {
      const store = yield* Persistence.Persistence
      yield* store.save(step(id, 1, { n: 1, xs: [1, null, [null]], extra: undefined }))
      return yield* store.load({ appId: id, partitionKey: "" })
    }))
    expect(out?.state).toEqual({ n: 1, xs: [1, null, [null]] })
    expect(Object.keys(out?.state as object).sort()).toEqual(["n", "xs"])
  })
})
