import { Cause, Effect, Exit } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Application, Graph } from "../src/index.js"

interface Counter {
  readonly count: number
}
const inc = (s: Counter): Counter => ({ count: s.count + 1 })
const same = (s: Counter): Counter => s

const graphError = (f: () => unknown) => {
  try {
    f()
  } catch (e) {
    return e as { _tag: string; message: string; action?: string }
  }
  throw new Error("expected a GraphError")
}

describe("Graph.make", () => {
  it("rejects a graph with no actions", () => {
    const e = graphError(() => Graph.make({ actions: {}, transitions: [], entrypoint: "x" as never }))
    expect(e._tag).toBe("GraphError")
    expect(e.message).toMatch(/no actions/)
  })

  it("names an unknown transition target, with the known actions", () => {
    const e = graphError(() => Graph.make({ actions: { a: inc, b: inc }, transitions: [["a", "c" as "b"]], entrypoint: "a" }))
    expect(e._tag).toBe("GraphError")
    expect(e.action).toBe("c")
    expect(e.message).toBe(`Graph.make: transition 0 (target) names unknown action "c"; known actions: a, b`)
  })

  it("names an unknown source, also inside a list of sources", () => {
    const e = graphError(() =>
      Graph.make({ actions: { a: inc, b: inc }, transitions: [["a", "b", () => true], [["a", "zz" as "b"], "a"]], entrypoint: "a" })
    )
    expect(e.action).toBe("zz")
    expect(e.message).toMatch(/transition 1 \(source\) names unknown action "zz"/)
  })

  it("names an unknown entrypoint", () => {
    const e = graphError(() => Graph.make({ actions: { a: inc }, transitions: [], entrypoint: "start" as "a" }))
    expect(e._tag).toBe("GraphError")
    expect(e.message).toMatch(/the entrypoint names unknown action "start"/)
  })

  it("rejects an action that is not a function and a condition that is not a function", () => {
    expect(graphError(() => Graph.make({ actions: { a: 42 as any }, transitions: [], entrypoint: "a" })).message)
      .toMatch(/action "a" is not a function \(found number\)/)
    expect(graphError(() => Graph.make({ actions: { a: inc }, transitions: [["a", "a", "yes" as any]], entrypoint: "a" })).message)
      .toMatch(/transition 0 has a condition that is not a function/)
  })

  it("expands several sources into one transition each, in order", () => {
    const g = Graph.make({ actions: { a: inc, b: inc, c: inc }, transitions: [[["a", "b"], "c"], ["c", "a"]], entrypoint: "a" })
    expect(g.transitions.map((t) => `${t.from}->${t.to}`)).toEqual(["a->c", "b->c", "c->a"])
  })

  it("is frozen: the definition cannot be changed after validation", () => {
    const g = Graph.make({ actions: { a: inc }, transitions: [], entrypoint: "a" })
    expect(Object.isFrozen(g)).toBe(true)
    expect(Object.isFrozen(g.actions)).toBe(true)
  })
})

// A reference model of transition choice: scan every transition in declaration order.
const referenceNext = (transitions: ReadonlyArray<readonly [string, string, number | undefined]>, from: string, count: number) => {
  for (const [f, to, threshold] of transitions) {
    if (f === from && (threshold === undefined || count >= threshold)) return to
  }
  return undefined
}

describe("Graph.make refuses dead transitions", () => {
  it("names a transition listed after an unconditional one from the same source, and that one", () => {
    const e = graphError(() =>
      Graph.make({ actions: { a: inc, b: inc, c: inc }, transitions: [["a", "b"], ["b", "c"], ["a", "c", (s) => s.count > 1]], entrypoint: "a" })
    )
    expect(e.action).toBe("a")
    expect(e.message).toBe(
      `Graph.make: transition 2 ("a" -> "c") can never be taken: transition 0 ("a" -> "b") has no condition and always matches first`
    )
    // Also through a list of sources; a conditional one before it is fine.
    expect(() => Graph.make({ actions: { a: inc, b: inc }, transitions: [["a", "b", () => false], ["a", "a"]], entrypoint: "a" })).not.toThrow()
    expect(() => Graph.make({ actions: { a: inc, b: inc }, transitions: [[["a", "b"], "a"], ["b", "b"]], entrypoint: "a" })).toThrow(/transition 1 \("b" -> "b"\) can never be taken/)
  })
})

describe("Graph.next (pure transition choice)", () => {
  const names = ["a", "b", "c", "d"] as const
  // Any list of transitions without dead ones (Graph.make refuses a transition that follows an
  // unconditional one from the same source): after a source's first unconditional transition,
  // its later ones are dropped.
  const arbitraryTransitions = fc.array(
    fc.tuple(fc.constantFrom(...names), fc.constantFrom(...names), fc.option(fc.integer({ min: -5, max: 5 }), { nil: undefined })),
    { maxLength: 12 }
  ).map((ts) => {
    const closed = new Set<string>()
    return ts.filter(([from, , threshold]) => {
      if (closed.has(from)) return false
      if (threshold === undefined) closed.add(from)
      return true
    })
  })

  it("picks the first transition out of `from` whose condition holds, or undefined", () => {
    fc.assert(
      fc.property(arbitraryTransitions, fc.constantFrom(...names), fc.integer({ min: -6, max: 6 }), (transitions, from, count) => {
        const graph = Graph.make({
          actions: { a: inc, b: inc, c: inc, d: inc },
          transitions: transitions.map(([f, to, threshold]) =>
            threshold === undefined ? [f, to] as const : [f, to, (s: Counter) => s.count >= threshold] as const
          ),
          entrypoint: "a"
        })
        expect(Graph.next(graph, from, { count })).toBe(referenceNext(transitions, from, count))
      })
    )
  })

  it("runs no action", () => {
    let calls = 0
    const counted = (s: Counter) => {
      calls++
      return s
    }
    const graph = Graph.make({ actions: { a: counted, b: counted }, transitions: [["a", "b"]], entrypoint: "a" })
    expect(Graph.next(graph, "a", { count: 0 })).toBe("b")
    expect(Graph.next(graph, "b", { count: 0 })).toBeUndefined()
    expect(calls).toBe(0)
  })
})

describe("Graph.toMermaid", () => {
  it("draws nodes, plain and conditional edges, the start and sub-graphs", () => {
    const loop = Graph.make({ actions: { write: inc }, transitions: [], entrypoint: "write" })
    const reachedTen = (s: Counter) => s.count >= 10
    const graph = Graph.make({
      actions: { a: inc, "b \"quoted\"": inc, sub: Graph.subgraph(loop, { haltAfter: ["write"] }) },
      transitions: [["a", "b \"quoted\""], ["b \"quoted\"", "sub", reachedTen], ["b \"quoted\"", "a", (s) => s.count < 0]],
      entrypoint: "a"
    })
    expect(Graph.toMermaid(graph)).toBe([
      "flowchart TD",
      `  start(("start")) --> n0`,
      `  n0["a"]`,
      `  n1["b #quot;quoted#quot;"]`,
      `  n2[["sub"]]`,
      "  n0 --> n1",
      `  n1 -.->|"reachedTen"| n2`,
      `  n1 -.->|"when"| n0`
    ].join("\n"))
  })
})

describe("Graph.subgraph", () => {
  const loop = Graph.make({
    actions: { write: inc, check: same },
    transitions: [["write", "check"], ["check", "write", (s) => s.count < 3]],
    entrypoint: "write"
  })

  it("validates haltAfter and entrypoint", () => {
    expect(() => Graph.subgraph(loop, { haltAfter: ["nope" as "write"] })).toThrow(/haltAfter names unknown action "nope"/)
    expect(() => Graph.subgraph(loop, { haltAfter: [], entrypoint: "x" as "write" })).toThrow(/unknown entrypoint "x"/)
  })

  it("runs the graph as a child application with a deterministic id and returns its final state", async () => {
    const sub = Graph.subgraph(loop, { haltAfter: [] })
    expect(Graph.isSubGraph(sub)).toBe(true)
    expect(Graph.isSubGraph(inc)).toBe(false)
    const parent = Graph.make({ actions: { start: same, drafts: sub }, transitions: [["start", "drafts"]], entrypoint: "start" })
    const app = await Effect.runPromise(Application.run(Application.make({ graph: parent, state: { count: 0 }, id: "P" })))
    expect(app.state).toEqual({ count: 3 })
    expect(app.sequenceId).toBe(2)
    expect(app.last).toBe("drafts")
  })

  it("stops the child after haltAfter and can start elsewhere", async () => {
    const runAsStep = async (sub: (s: { count: number }) => unknown) => {
      const parent = Graph.make({ actions: { sub: sub as typeof same }, transitions: [], entrypoint: "sub" })
      return (await Effect.runPromise(Application.run(Application.make({ graph: parent, state: { count: 0 } })))).state
    }
    expect(await runAsStep(Graph.subgraph(loop, { haltAfter: ["check"], entrypoint: "check" }))).toEqual({ count: 0 })
    expect(await runAsStep(Graph.subgraph(loop, { haltAfter: ["write"] }))).toEqual({ count: 1 })
  })

  it("is data the runtime runs: called outside an application, it says how to run it", async () => {
    const sub = Graph.subgraph(loop, { haltAfter: ["write"] })
    expect(sub.graph).toBe(loop)
    expect(sub.entrypoint).toBe("write")
    expect(sub.haltAfter).toEqual(["write"])
    const exit = await Effect.runPromiseExit(sub({ count: 0 }))
    expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain("runs as a child application")
  })
})
