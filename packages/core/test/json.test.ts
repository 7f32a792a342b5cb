/**
 * The JSON rules of docs/persistence.md on the memory store and in `encodeState`, which every
 * backend shares: `undefined` inside an array (which JSON would write as `null`) is refused, naming
 * the key; `null` inside an array is kept; a top-level `undefined` key reads back absent.
 * (`@teasel/sql`'s `test/json.test.ts` checks the same on SQLite and PostgreSQL.)
 */
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { Application, Graph, Persistence } from "../src/index.js"

const where = { appId: "j", partitionKey: "", sequenceId: 1 }

describe("the JSON rules: undefined inside an array", () => {
  it("encodeState refuses [1, undefined] at any depth, naming the top-level key", () => {
    for (const [key, state] of [
      ["xs", { xs: [1, undefined] }],
      ["xs", { xs: [undefined] }],
      ["deep", { ok: 1, deep: { rows: [{ tags: ["a", undefined] }] } }],
      ["xs", { xs: [1, , 3] }] // eslint-disable-line no-sparse-arrays
    ] as const) {
      let thrown: unknown
      try {
        Persistence.encodeState(state, where)
      } catch (error) {
        thrown = error
      }
      expect(thrown, JSON.stringify(state)).toMatchObject({ _tag: "PersistenceError", appId: "j", sequenceId: 1 })
      expect((thrown as Persistence.PersistenceError).message).toContain(`"${key}"`)
    }
  })

  it("encodeState keeps null inside arrays and drops a top-level undefined key", () => {
    expect(Persistence.encodeState({ xs: [1, null], gone: undefined }, where)).toEqual({ xs: "[1,null]" })
  })

  it("an action producing [1, undefined] fails its step on the memory store, which keeps the step before", async () => {
    interface Doc {
      readonly n: number
      readonly xs: ReadonlyArray<number | null | undefined>
    }
    const put = (s: Doc): Doc => ({ n: s.n + 1, xs: s.n === 0 ? [1, null] : [1, undefined] })
    const graph = Graph.make({ actions: { put }, transitions: [["put", "put", (s) => s.n < 2]], entrypoint: "put" })
    const out = await Effect.runPromise(Effect.gen(function*() {
      const exit = yield* Effect.exit(Application.run(Application.make({ graph, state: { n: 0, xs: [] }, id: "holey" })))
      const loaded = yield* Application.load({ graph, id: "holey", state: { n: -1, xs: [] } })
      return { exit, loaded }
    }).pipe(Effect.provide(Persistence.layerMemory)))
    if (Exit.isSuccess(out.exit)) throw new Error(`expected the step to fail, got ${JSON.stringify(out.exit.value.state)}`)
    const error = out.exit.cause.reasons.find((r) => r._tag === "Fail")
    expect(error?._tag === "Fail" ? error.error : undefined).toMatchObject({ _tag: "PersistenceError", appId: "holey", sequenceId: 2 })
    expect([out.loaded.sequenceId, out.loaded.state]).toEqual([1, { n: 1, xs: [1, null] }])
  })
})
