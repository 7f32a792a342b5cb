import { Context, Data, Effect, Exit, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { Action, Application, Graph } from "../src/index.js"

interface Counter {
  readonly count: number
}
const inc = (s: Counter): Counter => ({ count: s.count + 1 })
const loopGraph = (limit: number) =>
  Graph.make({
    actions: { a: inc, b: inc, done: (s: Counter) => s },
    transitions: [["a", "b"], ["b", "done", (s) => s.count >= limit], ["b", "a"]],
    entrypoint: "a"
  })

const failure = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (error === undefined || error._tag !== "Fail") throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return error.error
}

describe("Application.make", () => {
  it("starts at the entrypoint with the given identity", () => {
    const app = Application.make({ graph: loopGraph(3), state: { count: 0 }, id: "app-1", partitionKey: "user-9" })
    expect(app.id).toBe("app-1")
    expect(app.partitionKey).toBe("user-9")
    expect(app.state).toEqual({ count: 0 })
    expect(app.next).toBe("a")
    expect(app.last).toBeUndefined()
    expect(app.sequenceId).toBe(0)
    expect(app.parentId).toBeUndefined()
  })

  it("defaults to a random UUID, partition \"\" and accepts another entrypoint", () => {
    const one = Application.make({ graph: loopGraph(3), state: { count: 0 } })
    const two = Application.make({ graph: loopGraph(3), state: { count: 0 }, entrypoint: "b" })
    expect(one.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(one.id).not.toBe(two.id)
    expect(one.partitionKey).toBe("")
    expect(two.next).toBe("b")
    expect(() => Application.make({ graph: loopGraph(3), state: { count: 0 }, entrypoint: "zz" as "a" })).toThrow(expect.objectContaining({ _tag: "GraphError", action: "zz" }))
  })
})

describe("Application.step", () => {
  it("runs exactly one action and leaves the old value unchanged", async () => {
    const app = Application.make({ graph: loopGraph(3), state: { count: 0 } })
    const one = await Effect.runPromise(Application.step(app))
    expect(one.state).toEqual({ count: 1 })
    expect([one.last, one.next, one.sequenceId]).toEqual(["a", "b", 1])
    expect(app.state).toEqual({ count: 0 })
    expect(app.sequenceId).toBe(0)
    const two = await Effect.runPromise(one.pipe(Application.step()))
    expect([two.state.count, two.last, two.next, two.sequenceId]).toEqual([2, "b", "a", 2])
  })

  it("returns an ended application unchanged", async () => {
    const graph = Graph.make({ actions: { only: inc }, transitions: [], entrypoint: "only" })
    const ended = await Effect.runPromise(Application.step(Application.make({ graph, state: { count: 0 } })))
    expect(ended.next).toBeUndefined()
    const again = await Effect.runPromise(Application.step(ended))
    expect(again.state).toEqual(ended.state)
    expect(again.sequenceId).toBe(1)
  })
})

describe("Application.run", () => {
  it("runs until an action in haltAfter has run", async () => {
    const app = await Effect.runPromise(Application.run(Application.make({ graph: loopGraph(10), state: { count: 0 } }), { haltAfter: ["done"] }))
    expect(app.state.count).toBe(10)
    expect(app.sequenceId).toBe(11)
    expect(app.last).toBe("done")
  })

  it("stops before an action in haltBefore; running again continues past it", async () => {
    const start = Application.make({ graph: loopGraph(4), state: { count: 0 } })
    const halted = await Effect.runPromise(Application.run(start, { haltBefore: ["b"] }))
    expect([halted.state.count, halted.last, halted.next]).toEqual([1, "a", "b"])
    const again = await Effect.runPromise(Application.run(halted, { haltBefore: ["b"] }))
    expect([again.state.count, again.last, again.next]).toEqual([3, "a", "b"])
  })

  it("runs until the graph ends when nothing halts it", async () => {
    const app = await Effect.runPromise(Application.run(Application.make({ graph: loopGraph(6), state: { count: 0 } })))
    expect(app.next).toBeUndefined()
    expect(app.last).toBe("done")
    expect(app.state.count).toBe(6)
  })

  it("gives inputs to the first action of the call only", async () => {
    const seen: Array<unknown> = []
    const record = (s: Counter, inputs?: { n: number }) => {
      seen.push(inputs)
      return { count: s.count + (inputs?.n ?? 1) }
    }
    const graph = Graph.make({ actions: { a: record, b: record }, transitions: [["a", "b"]], entrypoint: "a" })
    const app = await Effect.runPromise(Application.run(Application.make({ graph, state: { count: 0 } }), { inputs: { n: 10 } }))
    expect(seen).toEqual([{ n: 10 }, undefined])
    expect(app.state.count).toBe(11)
  })

  it("runs Promise and Effect actions, and long synchronous runs, in order", async () => {
    const later = (s: Counter) => Promise.resolve({ count: s.count * 10 })
    const effect = (s: Counter) => Effect.succeed({ count: s.count + 5 }).pipe(Effect.delay("1 millis"))
    const graph = Graph.make({
      actions: { inc, later, effect },
      transitions: [["inc", "later"], ["later", "effect"], ["effect", "inc", (s) => s.count < 5000]],
      entrypoint: "inc"
    })
    const app = await Effect.runPromise(Application.run(Application.make({ graph, state: { count: 0 } })))
    // 0 -> 1 -> 10 -> 15 -> 16 -> 160 -> 165 -> 166 -> 1660 -> 1665 -> 1666 -> 16660 -> 16665
    expect(app.state.count).toBe(16665)
    expect(app.sequenceId).toBe(12)
    const long = await Effect.runPromise(Application.run(Application.make({ graph: loopGraph(50_000), state: { count: 0 } }), { haltAfter: ["done"] }))
    expect(long.state.count).toBe(50_000)
  })

  it("lets an action's typed error and requirements through", async () => {
    class OutOfStock extends Data.TaggedError("OutOfStock")<{ readonly item: string }> {}
    class Stock extends Context.Service<Stock, { readonly has: (item: string) => boolean }>()("test/Stock") {}
    const reserve = (s: { readonly item: string; readonly reserved: boolean }) =>
      Stock.use((stock) =>
        stock.has(s.item) ? Effect.succeed({ ...s, reserved: true }) : Effect.fail(new OutOfStock({ item: s.item })))
    const graph = Graph.make({ actions: { reserve }, transitions: [], entrypoint: "reserve" })
    const run = (item: string, has: boolean) =>
      Effect.runPromiseExit(
        Application.run(Application.make({ graph, state: { item, reserved: false } })).pipe(
          Effect.provideService(Stock, { has: () => has })
        )
      )
    const ok = await run("pen", true)
    expect(Exit.isSuccess(ok) && ok.value.state.reserved).toBe(true)
    const error = failure(await run("ink", false))
    expect(error).toBeInstanceOf(OutOfStock)
    expect((error as OutOfStock).item).toBe("ink")
  })

  it("runPromise runs without Effect and rejects with the step's error", async () => {
    const app = await Application.runPromise(Application.make({ graph: loopGraph(4), state: { count: 0 } }), { haltAfter: ["done"] })
    expect(app.state.count).toBe(4)
    const bad = Graph.make({ actions: { bad: (_: Counter): Counter => { throw new Error("nope") } }, transitions: [], entrypoint: "bad" })
    await expect(Application.runPromise(Application.make({ graph: bad, state: { count: 0 } }))).rejects.toMatchObject({
      _tag: "ActionError",
      action: "bad"
    })
  })
})

describe("ActionError", () => {
  const runOne = (action: (s: any) => unknown, state: object, id = "app-x") => {
    const graph = Graph.make({ actions: { first: (s: object) => s, culprit: action as (s: object) => object }, transitions: [["first", "culprit"]], entrypoint: "first" })
    return Effect.runPromiseExit(Application.run(Application.make({ graph, state, id })))
  }

  it("an action that throws: names the action, app and step, and keeps the thrown value as cause", async () => {
    const thrown = new RangeError("bad range")
    const error = failure(await runOne(() => { throw thrown }, { n: 1 }))
    expect(error).toMatchObject({ _tag: "ActionError", action: "culprit", appId: "app-x", sequenceId: 2, reason: { _tag: "Threw", cause: thrown } })
    expect(error.cause).toBe(thrown)
    expect(error.message).toBe(`Action "culprit" of application "app-x" (step 2) threw RangeError: bad range`)
  })

  it("an Effect action that dies and a Promise that rejects keep their cause", async () => {
    const died = failure(await runOne(() => Effect.sync(() => { throw "boom" }), { n: 1 }))
    expect(died).toMatchObject({ _tag: "ActionError", reason: { _tag: "Threw", cause: "boom" }, cause: "boom" })
    const rejected = failure(await runOne(() => Promise.reject(new Error("offline")), { n: 1 }))
    expect(rejected).toMatchObject({ _tag: "ActionError", reason: { _tag: "Rejected" }, action: "culprit" })
    expect((rejected.cause as Error).message).toBe("offline")
  })

  it("an action returning a non-object names the action and what it returned", async () => {
    for (const [value, described] of [[undefined, "undefined"], [3, "number 3"], [null, "null"], [[1], "an array"], ["s", "\"s\""]] as const) {
      const error = failure(await runOne(() => value, { n: 1 }))
      expect(error).toMatchObject({ _tag: "ActionError", action: "culprit", reason: { _tag: "NotAnObject" } })
      expect(error.message).toContain(`returned ${described}; an action must return the next state as an object`)
    }
    const viaPromise = failure(await runOne(() => Promise.resolve(undefined), { n: 1 }))
    expect(viaPromise.reason._tag).toBe("NotAnObject")
  })

  it("an action writing keys outside its declared writes", async () => {
    const sneaky = Action.make({
      writes: ["a"],
      run: (s: { a: number; b: number; c?: number }) => ({ a: s.a + 1, b: s.b + 1, c: 1 })
    })
    const error = failure(await runOne(sneaky, { a: 0, b: 0 }))
    expect(error).toMatchObject({ _tag: "ActionError", reason: { _tag: "UndeclaredWrite", keys: ["b", "c"], writes: ["a"] }, action: "culprit" })
    expect(error.message).toContain(`wrote "b", "c" outside its declared writes [a]`)
    const dropped = Action.make({ writes: ["a"], run: (s: { a: number; b?: number }) => ({ a: s.a }) })
    expect(failure(await runOne(dropped, { a: 0, b: 1 })).message).toContain(`wrote "b"`)
    const honest = Action.make({ writes: ["a"], run: (s: { a: number; b: number }) => ({ ...s, a: 5 }) })
    expect(Exit.isSuccess(await runOne(honest, { a: 0, b: 1 }))).toBe(true)
  })

  it("a transition condition that throws names the source action", async () => {
    const graph = Graph.make({
      actions: { a: inc, b: inc },
      transitions: [["a", "b", () => { throw new Error("bad predicate") }]],
      entrypoint: "a"
    })
    const error = failure(await Effect.runPromiseExit(Application.run(Application.make({ graph, state: { count: 0 }, id: "t" }))))
    expect(error).toMatchObject({ _tag: "ActionError", action: "a", sequenceId: 1 })
    expect(error.message).toMatch(/a transition condition out of it threw Error: bad predicate/)
  })
})

describe("Application.stream", () => {
  it("emits start/complete per step and ends with Done carrying the final application", async () => {
    const events = await Effect.runPromise(Stream.runCollect(Application.stream(Application.make({ graph: loopGraph(2), state: { count: 0 }, id: "s" }), { haltAfter: ["done"] })))
    expect(events.map((e) => e._tag === "Done" ? "Done" : `${e._tag}:${e.action}:${"sequenceId" in e ? e.sequenceId : ""}`)).toEqual([
      "StepStarted:a:1", "StepCompleted:a:1", "StepStarted:b:2", "StepCompleted:b:2", "StepStarted:done:3", "StepCompleted:done:3", "Done"
    ])
    const done = events[events.length - 1]!
    expect(done._tag === "Done" && done.app.state).toEqual({ count: 2 })
    expect(events.every((e) => e.appId === "s")).toBe(true)
  })

  it("emits chunks of streaming actions as they are produced, before the step completes", async () => {
    const words = Action.stream(
      (_: { text: string }) => Stream.fromIterable(["hel", "lo"]),
      (s, chunks) => ({ ...s, text: chunks.join("") })
    )
    const graph = Graph.make({ actions: { words }, transitions: [], entrypoint: "words" })
    const events = await Effect.runPromise(Stream.runCollect(Application.stream(Application.make({ graph, state: { text: "" } }))))
    expect(events.map((e) => e._tag === "Chunk" ? `Chunk:${e.chunk}` : e._tag)).toEqual(["StepStarted", "Chunk:hel", "Chunk:lo", "StepCompleted", "Done"])
    const done = events[events.length - 1]!
    expect(done._tag === "Done" && done.app.state.text).toBe("hello")
  })

  it("interleaves child events with parentId before the parent's StepCompleted", async () => {
    const child = Graph.make({ actions: { x: inc, y: inc }, transitions: [["x", "y"]], entrypoint: "x" })
    const parent = Graph.make({ actions: { go: Graph.subgraph(child, { haltAfter: ["y"] }) }, transitions: [], entrypoint: "go" })
    const events = await Effect.runPromise(Stream.runCollect(Application.stream(Application.make({ graph: parent, state: { count: 0 }, id: "P" }))))
    expect(events.map((e) => `${e._tag}@${e.appId}${"parentId" in e && e.parentId ? `<${e.parentId}` : ""}`)).toEqual([
      "StepStarted@P",
      "StepStarted@P:1:go<P", "StepCompleted@P:1:go<P",
      "StepStarted@P:1:go<P", "StepCompleted@P:1:go<P",
      "StepCompleted@P",
      "Done@P"
    ])
  })

  it("emits StepFailed and then fails the stream", async () => {
    const graph = Graph.make({ actions: { a: inc, bad: (_: Counter): Counter => { throw new Error("x") } }, transitions: [["a", "bad"]], entrypoint: "a" })
    const seen: Array<string> = []
    const exit = await Effect.runPromiseExit(
      Stream.runForEach(Application.stream(Application.make({ graph, state: { count: 0 } })), (e) => Effect.sync(() => seen.push(e._tag)))
    )
    expect(seen).toEqual(["StepStarted", "StepCompleted", "StepStarted", "StepFailed"])
    expect(failure(exit)).toMatchObject({ _tag: "ActionError", action: "bad" })
  })

  it("reports an Effect action's own error in StepFailed", async () => {
    const graph = Graph.make({ actions: { bad: (_: Counter) => Effect.fail("no stock" as const) }, transitions: [], entrypoint: "bad" })
    const events: Array<unknown> = []
    const exit = await Effect.runPromiseExit(
      Stream.runForEach(Application.stream(Application.make({ graph, state: { count: 0 } })), (e) => Effect.sync(() => events.push(e)))
    )
    expect(events[1]).toMatchObject({ _tag: "StepFailed", action: "bad", sequenceId: 1, error: "no stock" })
    expect(failure(exit)).toBe("no stock")
  })
})
