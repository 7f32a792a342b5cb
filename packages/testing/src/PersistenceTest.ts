/**
 * The conformance suite every `Persistence` backend must pass: ours (memory, SQLite, PostgreSQL)
 * and third parties'. Call `suite(name, layer)` from a vitest test file.
 *
 * It registers vitest tests, so it imports vitest: it is the subpath
 * `@teasel/testing/PersistenceTest`, which the package root does not load (`@teasel/testing` and
 * `@teasel/testing/Testing` work without vitest installed).
 *
 * Each test uses application ids and partitions of its own, so the suite may run against a store
 * that already holds data (a reused SQLite file or database).
 *
 * @example
 * ```ts
 * // test/MyBackend.test.ts
 * import type { Layer } from "effect"
 * import type { Persistence } from "@teasel/core"
 * import * as PersistenceTest from "@teasel/testing/PersistenceTest"
 * declare const myLayer: Layer.Layer<Persistence.Persistence> // your backend's layer
 * PersistenceTest.suite("my backend", myLayer)
 * ```
 *
 * @since 0.1.0
 */
import { Effect, Exit, type Layer } from "effect"
import { describe, expect, it } from "vitest"
import { Application, Graph, mapStates, Persistence } from "@teasel/core"

interface Counter {
  readonly count: number
  readonly note?: string
  readonly blob?: string
}

const inc = (s: Counter): Counter => ({ ...s, count: s.count + 1 })
const counter = Graph.make({
  actions: { a: inc, b: inc, done: (s: Counter) => s },
  transitions: [["a", "b"], ["b", "done", (s) => s.count >= 6], ["b", "a"]],
  entrypoint: "a"
})

const step = (appId: string, sequenceId: number, state: object, extra: Partial<Persistence.Step> = {}): Persistence.Step => ({
  appId,
  partitionKey: "",
  sequenceId,
  action: "a",
  next: "b",
  state,
  parentId: undefined,
  createdAt: 1_700_000_000_000 + sequenceId,
  ...extra
})

/**
 * Registers the conformance tests for the backend provided by `layer` (a `describe` block named
 * after `name`): store, load, list, refuse conflicts and unserializable states, keep fork lineage
 * and resume a fan-out, as every backend must.
 *
 * @example
 * ```ts
 * import { Persistence } from "@teasel/core"
 * import * as PersistenceTest from "@teasel/testing/PersistenceTest"
 * PersistenceTest.suite("memory", Persistence.layerMemory)
 * ```
 * @category suites
 * @since 0.1.0
 */
export const suite = (name: string, layer: Layer.Layer<Persistence.Persistence, unknown, never>): void => {
  const run = <A, E>(effect: Effect.Effect<A, E, Persistence.Persistence>): Promise<A> =>
    Effect.runPromise(Effect.provide(effect, layer) as Effect.Effect<A, unknown, never>)
  const unique = (label: string) => `${label}-${crypto.randomUUID()}`

  describe(`Persistence conformance: ${name}`, () => {
    it("round-trips steps and loads the latest or a given one", async () => {
      const id = unique("rt")
      const out = await run(Effect.gen(function*() {
        const store = yield* Persistence.Persistence
        yield* store.save(step(id, 1, { count: 1, list: [1, "two", { three: null }], flag: true }))
        yield* store.save(step(id, 2, { count: 2, list: [1, "two", { three: null }], flag: false }, { action: "b", next: undefined }))
        return {
          latest: yield* store.load({ appId: id, partitionKey: "" }),
          first: yield* store.load({ appId: id, partitionKey: "" , sequenceId: 1 }),
          missingStep: yield* store.load({ appId: id, partitionKey: "", sequenceId: 7 }),
          missingApp: yield* store.load({ appId: unique("none"), partitionKey: "" })
        }
      }))
      expect(out.latest).toMatchObject({ appId: id, sequenceId: 2, action: "b", next: undefined, parentId: undefined })
      expect(out.latest?.state).toEqual({ count: 2, list: [1, "two", { three: null }], flag: false })
      expect(out.first?.state).toEqual({ count: 1, list: [1, "two", { three: null }], flag: true })
      expect(out.first).toMatchObject({ sequenceId: 1, action: "a", next: "b", createdAt: 1_700_000_000_001 })
      expect(out.missingStep).toBeUndefined()
      expect(out.missingApp).toBeUndefined()
    })

    it("keeps removed keys removed and unchanged keys intact across steps", async () => {
      const id = unique("keys")
      const out = await run(Effect.gen(function*() {
        const store = yield* Persistence.Persistence
        yield* store.save(step(id, 1, { a: 1, b: { deep: [1] }, c: "x" }))
        yield* store.save(step(id, 2, { a: 2, b: { deep: [1] } }))
        yield* store.save(step(id, 3, { a: 2, b: { deep: [1] }, c: "back" }))
        return [1, 2, 3].map((sequenceId) => store.load({ appId: id, partitionKey: "", sequenceId }))
      }).pipe(Effect.flatMap((loads) => Effect.all(loads))))
      expect(out.map((s) => s?.state)).toEqual([
        { a: 1, b: { deep: [1] }, c: "x" },
        { a: 2, b: { deep: [1] } },
        { a: 2, b: { deep: [1] }, c: "back" }
      ])
    })

    it("keeps partitions and applications apart, and lists a partition's applications", async () => {
      const p1 = unique("p1")
      const p2 = unique("p2")
      const out = await run(Effect.gen(function*() {
        const store = yield* Persistence.Persistence
        yield* store.save(step("same", 1, { v: "p1" }, { partitionKey: p1 }))
        yield* store.save(step("same", 1, { v: "p2" }, { partitionKey: p2 }))
        yield* store.save(step("other", 1, { v: "other" }, { partitionKey: p1, parentId: "same" }))
        yield* store.save(step("same", 2, { v: "p1b" }, { partitionKey: p1, next: undefined }))
        return {
          a: yield* store.load({ appId: "same", partitionKey: p1 }),
          b: yield* store.load({ appId: "same", partitionKey: p2 }),
          c: yield* store.load({ appId: "other", partitionKey: p1 }),
          list1: yield* store.list(p1),
          list2: yield* store.list(p2),
          empty: yield* store.list(unique("empty"))
        }
      }))
      expect([out.a?.state, out.b?.state, out.c?.state]).toEqual([{ v: "p1b" }, { v: "p2" }, { v: "other" }])
      expect(out.list1.map((s) => [s.appId, s.sequenceId, s.parentId, s.next])).toEqual([
        ["same", 2, undefined, undefined],
        ["other", 1, "same", "b"]
      ])
      expect(out.list2.map((s) => s.appId)).toEqual(["same"])
      expect(out.empty).toEqual([])
    })

    it("refuses a second write of the same step: a conflict, never an overwrite", async () => {
      const id = unique("conflict")
      const out = await run(Effect.gen(function*() {
        const store = yield* Persistence.Persistence
        yield* store.save(step(id, 1, { v: "first" }))
        const second = yield* Effect.flip(store.save(step(id, 1, { v: "second" })))
        const concurrent = yield* Effect.all(
          [store.save(step(id, 2, { v: "x" })), store.save(step(id, 2, { v: "y" }))],
          { concurrency: "unbounded", mode: "result" }
        )
        return { second, concurrent, kept: yield* store.load({ appId: id, partitionKey: "", sequenceId: 1 }) }
      }))
      expect(out.second).toMatchObject({ _tag: "PersistenceError", reason: { _tag: "Conflict" }, appId: id, sequenceId: 1 })
      expect(out.concurrent.filter((r) => r._tag === "Failure")).toHaveLength(1)
      expect(out.kept?.state).toEqual({ v: "first" })
    })

    it("two runs of the same application: the second gets a conflict", async () => {
      const id = unique("runs")
      const exit = await run(Effect.gen(function*() {
        const app = yield* Application.load({ graph: counter, id, state: { count: 0 } })
        yield* Application.run(app, { haltAfter: ["b"] })
        return yield* Effect.flip(Application.run(app, { haltAfter: ["b"] }))
      }))
      expect(exit).toMatchObject({ _tag: "PersistenceError", reason: { _tag: "Conflict" }, appId: id, sequenceId: 1 })
    })

    it("loads an application where it stopped and forks one without touching the source", async () => {
      const id = unique("app")
      const forkId = unique("fork")
      const out = await run(Effect.gen(function*() {
        const store = yield* Persistence.Persistence
        const first = yield* Application.load({ graph: counter, id, state: { count: 0 }, partitionKey: "lineage" })
        yield* Application.run(first, { haltBefore: ["done"] })
        const resumed = yield* Application.load({ graph: counter, id, state: { count: -1 }, partitionKey: "lineage" })
        const finished = yield* Application.run(resumed)
        const source = yield* store.load({ appId: id, partitionKey: "lineage" })
        const forked = yield* Application.fork({ graph: counter, from: { id, sequenceId: 3, partitionKey: "lineage" }, id: forkId })
        const forkDone = yield* Application.run(forked)
        const base = yield* store.load({ appId: forkId, partitionKey: "lineage", sequenceId: 3 })
        const sourceAfter = yield* store.load({ appId: id, partitionKey: "lineage" })
        return { base, finished, forkDone, forked, resumed, source, sourceAfter }
      }))
      expect([out.resumed.sequenceId, out.resumed.next, out.resumed.state.count]).toEqual([6, "done", 6])
      expect([out.finished.sequenceId, out.finished.next]).toEqual([7, undefined])
      expect([out.forked.id, out.forked.sequenceId, out.forked.state.count, out.forked.next]).toEqual([forkId, 3, 3, "b"])
      expect(out.base?.forkedFrom).toEqual({ appId: id, sequenceId: 3 })
      expect(out.forkDone.sequenceId).toBe(7)
      expect(out.sourceAfter).toEqual(out.source)
    })

    it("stores large states (1 MB) and unicode exactly", async () => {
      const id = unique("big")
      const blob = "é∑🙂\u0000\"'\\\n".repeat(1) + "x".repeat(1024 * 1024)
      const note = "Grüße, 世界 — \u{1F600} \u2028 \\u0000"
      const out = await run(Effect.gen(function*() {
        const store = yield* Persistence.Persistence
        yield* store.save(step(id, 1, { count: 1, blob, note, ["ключ 🔑"]: "значение" }, { partitionKey: "ünï 🙂" }))
        return yield* store.load({ appId: id, partitionKey: "ünï 🙂" })
      }))
      expect(out?.state).toEqual({ count: 1, blob, note, ["ключ 🔑"]: "значение" })
    })

    it("refuses values that cannot round-trip, naming the key, and keeps what was saved", async () => {
      const id = unique("bad")
      const out = await run(Effect.gen(function*() {
        const store = yield* Persistence.Persistence
        yield* store.save(step(id, 1, { ok: 1 }))
        const bad = yield* Effect.flip(store.save(step(id, 2, { ok: 1, big: 10n })))
        return { bad, kept: yield* store.load({ appId: id, partitionKey: "" }) }
      }))
      expect(out.bad).toMatchObject({ _tag: "PersistenceError", reason: { _tag: "Unserializable", key: "big" }, appId: id, sequenceId: 2 })
      expect(out.kept).toMatchObject({ sequenceId: 1, state: { ok: 1 } })
    })

    it("resumes a parallel step after a partial failure without re-running finished children", async () => {
      const id = unique("par")
      const runs: Array<number> = []
      let failing = new Set([3])
      const child = (c: { x: number }) =>
        Effect.suspend(() => {
          runs.push(c.x)
          return failing.has(c.x) ? Effect.fail(`child ${c.x} failed`) : Effect.succeed({ x: c.x * 2 })
        })
      const fan = mapStates(
        child,
        (s: { xs: ReadonlyArray<number>; out: ReadonlyArray<number> }) => s.xs.map((x) => ({ x })),
        (s, results) => ({ ...s, out: results.map((r) => r.x) }),
        { concurrency: 1 }
      )
      const graph = Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
      const state = { xs: [1, 2, 3, 4], out: [] as ReadonlyArray<number> }
      const out = await run(Effect.gen(function*() {
        const first = yield* Effect.exit(Application.run(yield* Application.load({ graph, id, state })))
        const firstRuns = [...runs]
        runs.length = 0
        failing = new Set()
        const done = yield* Application.run(yield* Application.load({ graph, id, state }))
        return { done, first, firstRuns }
      }))
      expect(Exit.isFailure(out.first)).toBe(true)
      expect(out.firstRuns).toEqual([1, 2, 3])
      expect(runs).toEqual([3, 4])
      expect(out.done.state.out).toEqual([2, 4, 6, 8])
    })
  })
}
