/**
 * Crash simulation: a persisted workflow with a parallel step of sub-graphs survives a kill after
 * any of its saves; a non-idempotent step, unstable child ids and a store that loads a stale step
 * are each caught at the smallest crash point.
 */
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { Graph, mapStates, Persistence, State, tasks } from "@teasel/core"
import { Testing } from "../src/index.js"

interface Item {
  readonly label: string
  readonly drafts: ReadonlyArray<string>
}
interface Parent {
  readonly labels: ReadonlyArray<string>
  readonly done: ReadonlyArray<string>
  readonly text: string
}
const write = (s: Item) => Effect.as(Effect.sleep(`${5 * s.label.length} millis`), State.append(s, "drafts", `${s.label}${s.drafts.length + 1}`))
const loop = Graph.make({
  actions: { write, check: (s: Item) => s },
  transitions: [["write", "check"], ["check", "write", (s) => s.drafts.length < 2]],
  entrypoint: "write"
})
const children = (s: Parent) => s.labels.map((label): Item => ({ label, drafts: [] }))
const gather = (s: Parent, results: ReadonlyArray<Item>) => ({ ...s, done: results.map((r) => r.drafts.join("+")) })
const fan = mapStates(Graph.subgraph(loop), children, gather)
const join = (s: Parent) => ({ ...s, text: s.done.join(" | ") })
const graph = Graph.make({ actions: { fan, join }, transitions: [["fan", "join"]], entrypoint: "fan" })
const start: Parent = { labels: ["a", "bb", "ccc"], done: [], text: "" }

const broken = async (check: Promise<unknown>): Promise<Testing.LawError> => {
  const error = await check.then(() => undefined, (e: unknown) => e)
  if (!(error instanceof Testing.LawError)) throw new Error(`expected a LawError, got ${String(error)}`)
  return error
}

describe("checkCrash", () => {
  it("a persisted workflow resumes to the same state after a kill at any save", async () => {
    const report = await Testing.checkCrash({ graph, state: start })
    // 3 children × 4 steps, then fan and join.
    expect(report.saves).toBe(14)
    expect(report.crashedAfter).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
    expect(report.state.text).toBe("a1+a2 | bb1+bb2 | ccc1+ccc2")
  })

  it("draws at most `points` crash points, reproducibly from the seed", async () => {
    // Any seed will do: a fresh one each run, used twice.
    const seed = Math.floor(Math.random() * 2 ** 31)
    const a = await Testing.checkCrash({ graph, state: start, points: 4, seed })
    const b = await Testing.checkCrash({ graph, state: start, points: 4, seed })
    expect(a.crashedAfter).toHaveLength(4)
    expect(a.crashedAfter).toEqual(b.crashedAfter)
  })

  it("catches a step that is not idempotent: it counts how often it ran", async () => {
    let calls = 0
    const stamp = (s: Parent) => Effect.sync(() => ({ ...s, text: `run ${++calls}` }))
    const stamped = Graph.make({ actions: { fan, stamp }, transitions: [["fan", "stamp"]], entrypoint: "fan" })
    const error = await broken(Testing.checkCrash({ graph: stamped, state: start }))
    expect(error.law).toBe("resumes to the state of an uninterrupted run")
    expect(error.counterexample).toEqual({ crashAfter: 1, lastSaved: { appId: "crash:1:fan:0", sequenceId: 1, action: "write" } })
    expect(error.message).toContain("Replay it with { crashAfter: [1] }.")
  })

  it("catches child ids that change from run to run: finished children run again under new ids", async () => {
    const fresh = tasks((s: Parent) => children(s).map((state) => ({ branch: Graph.subgraph(loop), state, id: `${state.label}-${crypto.randomUUID()}` })), gather)
    const freshGraph = Graph.make({ actions: { fresh, join }, transitions: [["fresh", "join"]], entrypoint: "fresh" })
    const error = await broken(Testing.checkCrash({ graph: freshGraph, state: start }))
    expect(error.law).toBe("saves the same steps as an uninterrupted run")
    expect(error.counterexample.crashAfter).toBe(1)
    expect(error.detail).toMatch(/^It saved step 1 \("write"\) of "a-[0-9a-f-]+" with state \{"label":"a","drafts":\["a1"\]\}, which the uninterrupted run did not save\.$/)
  })

  it("catches a store that gives back a stale step after a restart: saved steps run twice", async () => {
    const stale = () =>
      Layer.effect(
        Persistence.Persistence,
        Effect.gen(function*() {
          const inner = yield* Persistence.Persistence
          return Persistence.Persistence.of({
            ...inner,
            load: (query) => inner.load(query.sequenceId === undefined ? { ...query, sequenceId: 1 } : query)
          })
        })
      ).pipe(Layer.provide(Persistence.layerMemory))
    const error = await broken(Testing.checkCrash({ graph, state: start, persistence: stale }))
    expect(error.law).toBe("runs no saved step twice")
    expect(error.counterexample.crashAfter).toBe(2)
    expect(error.detail).toBe(`Step 2 ("check") of "crash:1:fan:0" had been saved before the crash, and ran again after the restart.`)
  })

  it("runs against a real backend factory, and fails plainly when even the uninterrupted run fails", async () => {
    await Testing.checkCrash({ graph, state: start, persistence: () => Persistence.layerMemory, crashAfter: [3, 7] })
    const failing = Graph.make({ actions: { boom: (_: Parent): Parent => { throw new Error("boom") } }, transitions: [], entrypoint: "boom" })
    await expect(Testing.checkCrash({ graph: failing, state: start })).rejects.toThrow(/the uninterrupted run failed/)
  })
})
