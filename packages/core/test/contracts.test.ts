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
