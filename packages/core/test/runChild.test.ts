/**
 * `Parallel.runChild`: a child handed over by an executor (for instance to another process) runs
 * as the child of its parent's step, exactly as the local path would run it — saved under the same
 * owner, not run again once finished, continued from its last saved step.
 */
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { Application, Graph, mapStates, Parallel, Persistence } from "../src/index.js"

interface Item {
  readonly n: number
  readonly trail: ReadonlyArray<string>
}
interface Batch {
  readonly ns: ReadonlyArray<number>
  readonly out: ReadonlyArray<number>
}

describe("Parallel.runChild", () => {
  it("runs a handed-over child under its parent's step: a later local run of that step reuses its saved final state", async () => {
    let runs = 0
    const double = (c: Item): Item => {
      runs++
      return { ...c, n: c.n * 2 }
    }
    const graph = Graph.make({
      actions: {
        fan: mapStates(double, (s: Batch) => s.ns.map((n): Item => ({ n, trail: [] })), (s, results) => ({ ...s, out: results.map((r) => r.n) }))
      },
      transitions: [],
      entrypoint: "fan"
    })
    const handed: Array<Parallel.Child> = []
    // Keeps each child; once both are held, fails the step (the first waits until then).
    const capture: Parallel.Executor = {
      run: (child) => Effect.suspend(() => (handed.push(child) === 2 ? Effect.fail("held") : Effect.never))
    }
    const program = Effect.gen(function*() {
      // The parent's step hands its children to an executor that keeps them and fails.
      const first = yield* Effect.exit(
        Application.run(Application.make({ graph, state: { ns: [1, 2], out: [] }, id: "P" })).pipe(
          Effect.provideService(Parallel.CurrentExecutor, capture)
        )
      )
      expect(first._tag).toBe("Failure")
      // Elsewhere, the children run from what the executor received.
      const states = yield* Effect.forEach(handed, (child) => Parallel.runChild(child))
      expect(states).toEqual([{ n: 2, trail: [] }, { n: 4, trail: [] }])
      expect(runs).toBe(2)
      // The parent, loaded and run again locally, finds them finished: nothing runs again.
      const loaded = yield* Application.load({ graph, id: "P", state: { ns: [1, 2], out: [] } })
      const done = yield* Application.run(loaded)
      expect(done.state.out).toEqual([2, 4])
      expect(runs).toBe(2)
      // Handed over again (a re-delivery), a finished child returns its saved state without running.
      expect(yield* Parallel.runChild(handed[1]!)).toEqual({ n: 4, trail: [] })
      expect(runs).toBe(2)
    })
    // A branch's requirements are not known to `runChild` (`unknown`); these branches need none.
    await Effect.runPromise(program.pipe(Effect.provide(Persistence.layerMemory)) as Effect.Effect<void, unknown>)
  })

  it("continues an unfinished sub-graph child from its last saved step", async () => {
    const calls: Array<string> = []
    let crash = true
    const a = (c: Item): Item => (calls.push("a"), { ...c, trail: [...c.trail, "a"] })
    const b = (c: Item) =>
      Effect.suspend(() => {
        calls.push("b")
        if (crash) {
          crash = false
          return Effect.fail("crashed")
        }
        return Effect.succeed({ ...c, trail: [...c.trail, "b"] })
      })
    const sub = Graph.subgraph(Graph.make({ actions: { a, b }, transitions: [["a", "b"]], entrypoint: "a" }), { haltAfter: [] })
    const child: Parallel.Child = {
      id: "Q:1:fan:0",
      index: 0,
      parentId: "Q",
      parentSequenceId: 1,
      action: "fan",
      partitionKey: "",
      branch: sub,
      state: { n: 1, trail: [] },
      inputs: undefined
    }
    const program = Effect.gen(function*() {
      expect((yield* Effect.exit(Parallel.runChild(child)))._tag).toBe("Failure")
      expect(yield* Parallel.runChild(child)).toEqual({ n: 1, trail: ["a", "b"] })
      expect(calls).toEqual(["a", "b", "b"])
    })
    await Effect.runPromise(program.pipe(Effect.provide(Layer.fresh(Persistence.layerMemory))) as Effect.Effect<void, unknown>)
  })
})
