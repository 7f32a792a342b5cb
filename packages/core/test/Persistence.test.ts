import { Deferred, Effect, Exit, Fiber, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { Application, Graph, mapStates, Persistence } from "../src/index.js"

interface Counter {
  readonly count: number
}
const inc = (s: Counter): Counter => ({ count: s.count + 1 })
const loop = Graph.make({
  actions: { a: inc, b: inc, done: (s: Counter) => s },
  transitions: [["a", "b"], ["b", "done", (s) => s.count >= 6], ["b", "a"]],
  entrypoint: "a"
})

const run = <A, E>(effect: Effect.Effect<A, E, Persistence.Persistence>, layer = Persistence.layerMemory) =>
  Effect.runPromiseExit(Effect.provide(effect, layer))

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (reason === undefined || reason._tag !== "Fail") throw new Error("expected a typed failure")
  return reason.error
}
const valueOf = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (Exit.isFailure(exit)) throw new Error(`expected a success: ${String(exit.cause)}`)
  return exit.value
}

describe("persistence in the step loop", () => {
  it("saves every completed step; load continues from the last one", async () => {
    const exit = await run(Effect.gen(function*() {
      const store = yield* Persistence.Persistence
      const first = yield* Application.load({ graph: loop, id: "c", state: { count: 0 } })
      expect(first.sequenceId).toBe(0)
      const halted = yield* Application.run(first, { haltBefore: ["done"] })
      const saved = yield* store.load({ appId: "c", partitionKey: "" })
      const third = yield* store.load({ appId: "c", partitionKey: "", sequenceId: 3 })
      const resumed = yield* Application.load({ graph: loop, id: "c", state: { count: 999 } })
      const done = yield* Application.run(resumed)
      return { halted, saved, third, resumed, done, list: yield* store.list("") }
    }))
    const { done, halted, list, resumed, saved, third } = valueOf(exit)
    expect([halted.state.count, halted.sequenceId, halted.next]).toEqual([6, 6, "done"])
    expect(saved).toMatchObject({ appId: "c", sequenceId: 6, action: "b", next: "done", state: { count: 6 } })
    expect(third).toMatchObject({ sequenceId: 3, action: "a", next: "b", state: { count: 3 } })
    expect([resumed.state.count, resumed.sequenceId, resumed.next, resumed.last]).toEqual([6, 6, "done", "b"])
    expect([done.sequenceId, done.last, done.next]).toEqual([7, "done", undefined])
    expect(list).toMatchObject([{ appId: "c", sequenceId: 7, action: "done", next: undefined }])
  })

  it("a second run writing the same steps gets a conflict, never a silent overwrite", async () => {
    const exit = await run(Effect.gen(function*() {
      const app = yield* Application.load({ graph: loop, id: "twice", state: { count: 0 } })
      yield* Application.step(app)
      return yield* Application.step(app)
    }))
    const error = failureOf(exit)
    expect(error).toMatchObject({ _tag: "PersistenceError", reason: { _tag: "Conflict" }, appId: "twice", sequenceId: 1 })
    expect(error.message).toMatch(/step 1 was already saved by another run/)
  })

  it("a failed step is recorded as failed and runs again on load", async () => {
    let attempts = 0
    const flaky = (s: Counter) => {
      if (++attempts === 1) throw new Error("first attempt fails")
      return { count: s.count + 100 }
    }
    const graph = Graph.make({ actions: { inc, flaky }, transitions: [["inc", "flaky"]], entrypoint: "inc" })
    const failures: Array<Persistence.FailedStep> = []
    const recording = Layer.effect(Persistence.Persistence, Persistence.Persistence.use((p) => Effect.succeed({
      ...p,
      saveFailure: (f: Persistence.FailedStep) => Effect.sync(() => void failures.push(f))
    }))).pipe(Layer.provide(Persistence.layerMemory))
    const exit = await run(Effect.gen(function*() {
      const app = yield* Application.load({ graph, id: "f", state: { count: 0 } })
      const failed = yield* Effect.exit(Application.run(app))
      const again = yield* Application.load({ graph, id: "f", state: { count: 0 } })
      return { failed, again, done: yield* Application.run(again) }
    }), recording)
    const { again, done, failed } = valueOf(exit)
    expect(Exit.isFailure(failed)).toBe(true)
    expect(failures).toMatchObject([{ appId: "f", sequenceId: 2, action: "flaky" }])
    expect(failures[0]!.error).toMatch(/first attempt fails/)
    expect([again.sequenceId, again.next]).toEqual([1, "flaky"])
    expect([done.state.count, done.sequenceId]).toEqual([101, 2])
  })

  it("a state value that cannot round-trip fails the step with an error naming the key", async () => {
    const bad = (s: { n: number; f?: unknown }): { n: number; f?: unknown } => ({ ...s, f: () => 1 })
    const graph = Graph.make({ actions: { bad }, transitions: [], entrypoint: "bad" })
    const error = failureOf(await run(Application.run(Application.make({ graph, state: { n: 1 }, id: "u" }))))
    expect(error).toMatchObject({ _tag: "PersistenceError", reason: { _tag: "Unserializable", key: "f" }, appId: "u", sequenceId: 1 })
    expect(error.message).toBe(`Application "u" (step 1): state key "f" cannot be stored as JSON: it holds a function`)
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    for (const [value, why] of [[10n, "BigInt"], [cyclic, "cycle"], [new Map(), "Map instance"], [NaN, "not a finite number"]] as const) {
      expect(() => Persistence.encodeState({ k: value }, { appId: "x", partitionKey: "", sequenceId: 1 })).toThrow(why)
    }
  })

  it("once an action has completed, its save happens even if the run is interrupted at that moment", async () => {
    const program = Effect.gen(function*() {
      const saving = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      // A slow store: the interrupt arrives while the step that just completed is being saved.
      const slowStore = Layer.effect(Persistence.Persistence, Persistence.Persistence.use((p) => Effect.succeed({
        ...p,
        save: (step: Persistence.Step) =>
          Deferred.succeed(saving, undefined).pipe(Effect.andThen(Deferred.await(release)), Effect.andThen(p.save(step)))
      }))).pipe(Layer.provide(Persistence.layerMemory))
      return yield* Effect.gen(function*() {
        const store = yield* Persistence.Persistence
        const graph = Graph.make({ actions: { a: inc, b: inc }, transitions: [["a", "b"]], entrypoint: "a" })
        const fiber = yield* Effect.forkChild(Application.run(Application.make({ graph, state: { count: 0 }, id: "i" })))
        yield* Deferred.await(saving)
        // The interrupt is requested (synchronously) before the save may go on.
        fiber.interruptUnsafe()
        yield* Deferred.succeed(release, undefined)
        const exit = yield* Fiber.await(fiber)
        return { exit, saved: yield* store.load({ appId: "i", partitionKey: "" }) }
      }).pipe(Effect.provide(slowStore))
    })
    const { exit, saved } = await Effect.runPromise(program)
    expect(Exit.hasInterrupts(exit)).toBe(true)
    expect(saved).toMatchObject({ sequenceId: 1, action: "a", next: "b", state: { count: 1 } })
  })
})

describe("Application.fork", () => {
  it("starts a new application from a saved step and leaves the source untouched", async () => {
    const exit = await run(Effect.gen(function*() {
      const store = yield* Persistence.Persistence
      yield* Application.run(Application.make({ graph: loop, state: { count: 0 }, id: "src", partitionKey: "p" }))
      const before = yield* store.load({ appId: "src", partitionKey: "p" })
      const forked = yield* Application.fork({ graph: loop, from: { id: "src", sequenceId: 2, partitionKey: "p" }, id: "copy" })
      const ran = yield* Application.run(forked)
      const after = yield* store.load({ appId: "src", partitionKey: "p" })
      const base = yield* store.load({ appId: "copy", partitionKey: "p", sequenceId: 2 })
      const missing = yield* Effect.exit(Application.fork({ graph: loop, from: { id: "src", sequenceId: 99, partitionKey: "p" } }))
      return { after, base, before, forked, missing, ran }
    }))
    const { after, base, before, forked, missing, ran } = valueOf(exit)
    expect([forked.id, forked.sequenceId, forked.state.count, forked.next, forked.partitionKey]).toEqual(["copy", 2, 2, "a", "p"])
    expect(base?.forkedFrom).toEqual({ appId: "src", sequenceId: 2 })
    expect([ran.sequenceId, ran.state.count]).toEqual([7, 6])
    expect(after).toEqual(before)
    expect(failureOf(missing)).toMatchObject({ _tag: "PersistenceError", reason: { _tag: "NotFound" }, appId: "src", sequenceId: 99 })
  })
})

describe("resuming parallel steps", () => {
  interface P {
    readonly xs: ReadonlyArray<number>
    readonly out: ReadonlyArray<number>
  }
  it("re-uses every child whose final state is saved and re-runs only the failed ones", async () => {
    const runs: Array<number> = []
    let failOn = new Set([2, 4])
    const child = (c: { x: number }) =>
      Effect.suspend(() => {
        runs.push(c.x)
        return failOn.has(c.x) ? Effect.fail(`child ${c.x} failed`) : Effect.succeed({ x: c.x * 10 })
      })
    const fan = mapStates(child, (s: P) => s.xs.map((x) => ({ x })), (s, r) => ({ ...s, out: r.map((c) => c.x) }), { concurrency: 1 })
    const graph = Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
    const exit = await run(Effect.gen(function*() {
      const first = yield* Effect.exit(Application.run(yield* Application.load({ graph, id: "par", state: { xs: [1, 2, 3, 4, 5], out: [] } })))
      const firstRuns = [...runs]
      failOn = new Set()
      runs.length = 0
      const done = yield* Application.run(yield* Application.load({ graph, id: "par", state: { xs: [1, 2, 3, 4, 5], out: [] } }))
      return { first, firstRuns, done }
    }))
    const { done, first, firstRuns } = valueOf(exit)
    expect(failureOf(first)).toMatchObject({ _tag: "ParallelError", index: 1, childId: "par:1:fan:1" })
    expect(firstRuns).toEqual([1, 2])
    expect(runs).toEqual([2, 3, 4, 5])
    expect(done.state.out).toEqual([10, 20, 30, 40, 50])
  })

  it("continues unfinished sub-graph children from their last saved step", async () => {
    const steps: Array<string> = []
    let crashAt = "c2:write#2"
    interface Draft {
      readonly style: string
      readonly drafts: number
    }
    const write = (d: Draft) =>
      Effect.suspend(() => {
        const tag = `${d.style}:write#${d.drafts + 1}`
        steps.push(tag)
        return tag === crashAt ? Effect.fail("crash") : Effect.succeed({ ...d, drafts: d.drafts + 1 })
      })
    const edit = (d: Draft) => Effect.sync(() => (steps.push(`${d.style}:edit#${d.drafts}`), d))
    const drafts = Graph.make({ actions: { write, edit }, transitions: [["write", "edit"], ["edit", "write", (d) => d.drafts < 2]], entrypoint: "write" })
    const fan = mapStates(
      Graph.subgraph(drafts),
      (s: { styles: ReadonlyArray<string>; out: ReadonlyArray<number> }) => s.styles.map((style) => ({ style, drafts: 0 })),
      (s, r) => ({ ...s, out: r.map((d) => d.drafts) }),
      { concurrency: 1 }
    )
    const graph = Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
    const exit = await run(Effect.gen(function*() {
      yield* Effect.exit(Application.run(yield* Application.load({ graph, id: "poems", state: { styles: ["c1", "c2"], out: [] } })))
      const firstSteps = [...steps]
      crashAt = ""
      steps.length = 0
      const done = yield* Application.run(yield* Application.load({ graph, id: "poems", state: { styles: ["c1", "c2"], out: [] } }))
      return { done, firstSteps }
    }))
    const { done, firstSteps } = valueOf(exit)
    expect(firstSteps).toEqual(["c1:write#1", "c1:edit#1", "c1:write#2", "c1:edit#2", "c2:write#1", "c2:edit#1", "c2:write#2"])
    expect(steps).toEqual(["c2:write#2", "c2:edit#2"])
    expect(done.state.out).toEqual([2, 2])
  })
})
