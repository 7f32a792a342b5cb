/**
 * An application's contracts are checked where they are made: halts naming unknown actions, a
 * step limit for graphs that loop, and declared writes, both ways.
 */
import { Cause, Effect, Exit, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { Action, Application, Graph } from "../src/index.js"

interface Counter {
  readonly count: number
  readonly note?: string
}
const inc = (s: Counter): Counter => ({ ...s, count: s.count + 1 })
const looping = Graph.make({ actions: { inc, done: (s: Counter) => s }, transitions: [["inc", "inc"]], entrypoint: "inc" })

const failureOf = (exit: Exit.Exit<unknown, unknown>): any => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (reason === undefined || reason._tag !== "Fail") throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return reason.error
}

describe("halts name actions of the graph", () => {
  const app = Application.make({ graph: looping, state: { count: 0 } })

  it("run, stream: a haltAfter or haltBefore naming an unknown action is a GraphError listing the known ones", () => {
    expect(() => Application.run(app, { haltAfter: ["dnoe" as "done"] })).toThrow(Graph.GraphError)
    expect(() => Application.run(app, { haltAfter: ["dnoe" as "done"] })).toThrow(
      `Application.run: \`haltAfter\` names unknown action "dnoe"; known actions: inc, done`
    )
    expect(() => Application.stream(app, { haltBefore: ["nope" as "inc"] })).toThrow(/Application.stream: `haltBefore` names unknown action "nope"/)
    expect(() => app.pipe(Application.run({ haltAfter: ["x" as "inc"] }))).toThrow(Graph.GraphError)
  })

  it("known names run as before", async () => {
    const halted = await Effect.runPromise(Application.run(app, { haltAfter: ["inc"] }))
    expect(halted.state.count).toBe(1)
  })
})

describe("maxSteps", () => {
  it("stops an accidental loop with an ActionError naming the limit and the action that would run", async () => {
    const error = failureOf(await Effect.runPromiseExit(Application.run(Application.make({ graph: looping, state: { count: 0 }, id: "loop" }), { maxSteps: 1_000 })))
    expect(error).toMatchObject({ _tag: "ActionError", action: "inc", appId: "loop", sequenceId: 1_001, reason: { _tag: "StepLimit", limit: 1_000 } })
    expect(error.message).toContain("would exceed the limit of 1000 steps")
  })

  it("does not fail a run that ends or halts within the limit, and counts from the call", async () => {
    const counting = Graph.make({ actions: { inc }, transitions: [["inc", "inc", (s) => s.count < 5]], entrypoint: "inc" })
    const ended = await Effect.runPromise(Application.run(Application.make({ graph: counting, state: { count: 0 } }), { maxSteps: 5 }))
    expect(ended.state.count).toBe(5)
    const again = await Effect.runPromise(Application.run(Application.make({ graph: looping, state: { count: 0 } }), { haltAfter: ["inc"], maxSteps: 1 }))
    expect(again.sequenceId).toBe(1)
  })

  it("applies to stream, and refuses a limit that is not a whole number of at least 1", async () => {
    const exit = await Effect.runPromiseExit(Stream.runDrain(Application.stream(Application.make({ graph: looping, state: { count: 0 } }), { maxSteps: 3 })))
    expect(failureOf(exit)).toMatchObject({ _tag: "ActionError", reason: { _tag: "StepLimit", limit: 3 } })
    for (const maxSteps of [0, -1, 1.5, Number.NaN]) {
      expect(() => Application.run(Application.make({ graph: looping, state: { count: 0 } }), { maxSteps })).toThrow(Graph.GraphError)
    }
  })
})

describe("declared writes, both ways", () => {
  const runOne = (action: (s: Counter) => Counter) =>
    Effect.runPromiseExit(
      Application.run(Application.make({ graph: Graph.make({ actions: { act: action }, transitions: [], entrypoint: "act" }), state: { count: 0, note: "n" }, id: "w" }))
    )

  it("a result lacking a declared write fails the step, naming the key", async () => {
    const forgetful = Action.make({ writes: ["count", "note"], run: (s: Counter) => ({ count: s.count + 1 }) })
    const error = failureOf(await runOne(forgetful))
    expect(error).toMatchObject({ _tag: "ActionError", action: "act", reason: { _tag: "MissingWrite", keys: ["note"] } })
    expect(error.message).toContain(`did not write "note", which it declares in its writes`)
  })

  it("unless the key is declared optional", async () => {
    const remover = Action.make({ writes: ["count", "note"], optionalWrites: ["note"], run: (s: Counter) => ({ count: s.count + 1 }) })
    const exit = await runOne(remover)
    expect(Exit.isSuccess(exit) && exit.value.state).toEqual({ count: 1 })
    expect(Action.optionalWritesOf(Action.bind(remover, {}))).toEqual(["note"])
  })
})

describe("declared inputs", () => {
  interface Order {
    readonly total: number
    readonly log: ReadonlyArray<string>
  }
  const add = Action.make({
    inputs: ["amount"],
    optionalInputs: ["note"],
    run: (s: Order, i: { amount: number; note?: string }) => ({ ...s, total: s.total + i.amount, log: [...s.log, i.note ?? "-"] })
  })
  const plain = (s: Order, i?: { amount?: number }) => ({ ...s, log: [...s.log, `plain:${i?.amount ?? "none"}`] })
  const graph = Graph.make({ actions: { add, plain, again: add }, transitions: [["add", "plain"], ["plain", "again"]], entrypoint: "add" })

  it("a missing input fails the step before the action runs, naming it", async () => {
    const error = failureOf(await Effect.runPromiseExit(Application.run(Application.make({ graph, state: { total: 0, log: [] }, id: "o" }))))
    expect(error).toMatchObject({ _tag: "ActionError", action: "add", sequenceId: 1, reason: { _tag: "MissingInput", keys: ["amount"] } })
    expect(error.message).toContain(`needs input "amount", which the call did not give`)
  })

  it("the call's inputs reach every action that declares them; others get them only when first", async () => {
    const app = await Effect.runPromise(
      Application.run(Application.make({ graph, state: { total: 0, log: [] } }), { inputs: { amount: 5, note: "n" } })
    )
    expect(app.state).toEqual({ total: 10, log: ["n", "plain:none", "n"] })
  })

  it("Action.bind gives an input: it is no longer needed from the call", async () => {
    const five = Action.bind(add, { amount: 5 })
    expect(five.inputs).toEqual([])
    const g = Graph.make({ actions: { five }, transitions: [], entrypoint: "five" })
    const app = await Effect.runPromise(Application.run(Application.make({ graph: g, state: { total: 1, log: [] } })))
    expect(app.state.total).toBe(6)
  })
})

describe("dataflow: a read no path can satisfy is reported before anything runs", () => {
  interface Doc {
    readonly topic: string
    readonly draft?: string
    readonly review?: string
  }
  const write = Action.make({ reads: ["topic"], writes: ["draft"], run: (s: Doc) => ({ ...s, draft: `on ${s.topic}` }) })
  const review = Action.make({ reads: ["draft"], writes: ["review"], run: (s: Doc) => ({ ...s, review: `ok: ${s.draft}` }) })
  const publish = Action.make({ reads: ["review", "summary" as "review"], writes: [], run: (s: Doc) => s })

  it("names the action, the key and what is available there", () => {
    const graph = Graph.make({ actions: { write, review, publish }, transitions: [["write", "review"], ["review", "publish"]], entrypoint: "write" })
    expect(() => Application.make({ graph, state: { topic: "teasels" } })).toThrow(
      `Application.make: action "publish" reads "summary", which no action before it writes and the initial state lacks (available there: topic, draft, review)`
    )
  })

  it("accepts reads satisfied by the initial state, by any path, or after an action that declares no writes", () => {
    const fine = Graph.make({ actions: { write, review }, transitions: [["write", "review"]], entrypoint: "write" })
    expect(() => Application.make({ graph: fine, state: { topic: "t" } })).not.toThrow()
    expect(() => Application.make({ graph: fine, state: { topic: "t", draft: "d" }, entrypoint: "review" })).not.toThrow()
    expect(() => Application.make({ graph: fine, state: {} as Doc })).toThrow(/action "write" reads "topic"/)
    const anything = Graph.make({ actions: { any: (s: Doc) => s, review }, transitions: [["any", "review"]], entrypoint: "any" })
    expect(() => Application.make({ graph: anything, state: { topic: "t" } })).not.toThrow()
  })
})
