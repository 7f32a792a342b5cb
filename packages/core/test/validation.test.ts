/**
 * Hostile and careless input gets a tagged error that names what was wrong — never a bare
 * TypeError, a silently empty step or a Promise taken for a state.
 */
import { Cause, Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { Application, Graph, mapStates, tasks } from "../src/index.js"

interface S {
  readonly n: number
  readonly out: ReadonlyArray<number>
}

const failureOf = (exit: Exit.Exit<unknown, unknown>): any => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (reason === undefined || reason._tag !== "Fail") throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return reason.error
}

const runOne = (action: (s: S) => unknown) => {
  const graph = Graph.make({ actions: { act: action as (s: S) => S }, transitions: [], entrypoint: "act" })
  return Effect.runPromiseExit(Application.run(Application.make({ graph, state: { n: 1, out: [] }, id: "v" })))
}

describe("an action's result is awaited once", () => {
  it("an Effect that succeeds with a Promise fails the step, naming it", async () => {
    const error = failureOf(await runOne(() => Effect.succeed(Promise.resolve({ n: 2, out: [] }))))
    expect(error).toMatchObject({ _tag: "ActionError", action: "act", appId: "v", sequenceId: 1, reason: { _tag: "NotAnObject" } })
    expect(error.message).toContain("returned a Promise")
  })

  it("a Promise of an Effect fails the step, naming it", async () => {
    const error = failureOf(await runOne(() => Promise.resolve(Effect.succeed({ n: 2, out: [] }))))
    expect(error).toMatchObject({ _tag: "ActionError", action: "act", reason: { _tag: "NotAnObject" } })
    expect(error.message).toContain("returned an Effect")
  })
})

describe("parallel steps check their tasks and options", () => {
  const child = (c: { x: number }) => ({ x: c.x + 1 })

  it("a `states` that returns no iterable fails the step instead of running no child", async () => {
    const fan = mapStates(child, (() => ({ length: 2 })) as unknown as (s: S) => Array<{ x: number }>, (s: S) => s)
    const error = failureOf(await runOne(fan))
    expect(error).toMatchObject({ _tag: "ActionError", action: "act", appId: "v", reason: { _tag: "Threw" } })
    expect(error.message).toContain("mapStates: `states` returned an object, not an iterable")
    const none = tasks((() => 42) as unknown as (s: S) => [], (s: S) => s)
    expect(failureOf(await runOne(none)).message).toContain("tasks: `make` returned number 42, not an iterable")
  })

  it("refuses a concurrency that is not a whole number of at least 1, when the combinator is made", () => {
    for (const concurrency of [0, -3, Number.NaN, 1.5, Infinity, "many"]) {
      let thrown: unknown
      try {
        mapStates(child, (s: S) => s.out.map((x) => ({ x })), (s: S) => s, { concurrency: concurrency as number })
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(Graph.GraphError)
      expect((thrown as Error).message).toContain("mapStates: option `concurrency` must be a whole number of at least 1")
    }
    expect(() => tasks(() => [], (s: S) => s, { onError: "ignore" as "fail" })).toThrow(/tasks: option `onError` must be "fail" or "collect"/)
    expect(() => mapStates(child, (s: S) => [], (s: S) => s, { concurrency: 2 })).not.toThrow()
  })

  it("keeps the child's id and index when it fails with a BigInt or a cyclic value", async () => {
    const cyclic: Record<string, unknown> = { name: "loop" }
    cyclic.self = cyclic
    for (const thrown of [10n, cyclic]) {
      const failing = (c: { x: number }) => (c.x === 1 ? Effect.fail(thrown) : Effect.succeed(c))
      const fan = mapStates(failing, (s: S) => [{ x: 0 }, { x: 1 }], (s: S) => s)
      const error = failureOf(await runOne(fan))
      expect(error).toMatchObject({ _tag: "ParallelError", action: "act", appId: "v", index: 1, childId: "v:1:act:1" })
      expect(error.cause).toBe(thrown)
    }
  })
})

describe("Graph.make refuses malformed definitions with a GraphError", () => {
  const inc = (s: S) => ({ ...s, n: s.n + 1 })
  it("transitions that are not an array, or hold something that is not a transition", () => {
    for (const transitions of [undefined, null, {}, "a->b", [null], [["a"]], [["a", "a", undefined, 1]], [42]]) {
      expect(() => Graph.make({ actions: { a: inc }, transitions: transitions as never, entrypoint: "a" })).toThrow(Graph.GraphError)
    }
    expect(() => Graph.make({ actions: { a: inc }, transitions: [null] as never, entrypoint: "a" })).toThrow(/transition 0 must be \[from, to\]/)
    expect(() => Graph.make(null as never)).toThrow(Graph.GraphError)
    expect(() => Graph.make({ actions: null, transitions: [], entrypoint: "a" } as never)).toThrow(/`actions` must be an object/)
  })

  it("toMermaid keeps every label on its line, whatever the action's name", () => {
    const graph = Graph.make({
      actions: { "two\nlines": inc, "a#b\u2028c": inc, "x\"<y>": inc },
      transitions: [["two\nlines", "a#b\u2028c"], ["a#b\u2028c", "x\"<y>"]],
      entrypoint: "two\nlines"
    })
    const lines = Graph.toMermaid(graph).split("\n")
    // The header, the start arrow, three nodes and two edges: one line each.
    expect(lines).toHaveLength(7)
    expect(lines.some((l) => l.includes("\u2028"))).toBe(false)
    expect(lines).toContain(`  n0["two#10;lines"]`)
    expect(lines).toContain(`  n1["a#35;b#8232;c"]`)
    expect(lines).toContain(`  n2["x#quot;#lt;y#gt;"]`)
  })
})
