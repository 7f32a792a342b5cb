import { Effect, Layer, Stream } from "effect"
import { describe, expect, it, vi } from "vitest"
import { Action, Application, Graph, mapStates, Tracking } from "../src/index.js"

interface Counter {
  readonly count: number
}
const inc = (s: Counter): Counter => ({ count: s.count + 1 })

describe("Tracking", () => {
  it("records the application, each step's completion with duration and state, and how the run stopped", async () => {
    const tracker = Tracking.makeMemory()
    const isSmall = (s: Counter) => s.count < 3
    const graph = Graph.make({ actions: { a: inc, b: inc }, transitions: [["a", "b"], ["b", "a", isSmall]], entrypoint: "a" })
    await Effect.runPromise(
      Application.run(Application.make({ graph, state: { count: 0 }, id: "t", partitionKey: "user" })).pipe(
        Effect.provide(tracker.layer),
        Effect.provideService(Tracking.CurrentProject, "demo")
      )
    )
    const [created, ...steps] = tracker.records
    expect(created).toMatchObject({
      _tag: "ApplicationStarted",
      project: "demo",
      appId: "t",
      partitionKey: "user",
      parentId: undefined,
      sequenceId: 0,
      graph: {
        entrypoint: "a",
        actions: [{ name: "a", subgraph: false }, { name: "b", subgraph: false }],
        transitions: [{ from: "a", to: "b", condition: undefined }, { from: "b", to: "a", condition: "isSmall" }]
      }
    })
    expect(created?._tag === "ApplicationStarted" && created.graph.mermaid).toContain("flowchart TD")
    // Fast synchronous steps may be recorded as groups (StepsCompleted): one record per step again.
    const expanded = steps.flatMap(Tracking.expand)
    expect(expanded.filter((r) => r._tag !== "StepStarted").map((r) => `${r._tag}:${"action" in r ? r.action : ""}:${r.sequenceId}`)).toEqual([
      "StepCompleted:a:1", "StepCompleted:b:2", "StepCompleted:a:3", "StepCompleted:b:4", "ApplicationStopped::4"
    ])
    // A step's StepStarted, when it has one, comes before its completion.
    for (const [i, r] of expanded.entries()) {
      if (r._tag === "StepStarted") expect(expanded[i + 1]).toMatchObject({ _tag: "StepCompleted", sequenceId: r.sequenceId })
    }
    const completed = expanded.filter((r) => r._tag === "StepCompleted")
    expect(completed.map((r) => r.state)).toEqual([{ count: 1 }, { count: 2 }, { count: 3 }, { count: 4 }])
    expect(completed.every((r) => r.durationMs >= 0 && r.partitionKey === "user")).toBe(true)
    expect(tracker.records.at(-1)).toMatchObject({ _tag: "ApplicationStopped", appId: "t", reason: "ended", next: undefined })
  })

  it("records failures with the error, and chunk counts of streaming actions", async () => {
    const tracker = Tracking.makeMemory()
    const words = Action.stream((_: Counter) => Stream.make("a", "b", "c"), (s, chunks) => ({ count: s.count + chunks.length }))
    const boom = (_: Counter): Counter => {
      throw new Error("boom")
    }
    const graph = Graph.make({ actions: { words, boom }, transitions: [["words", "boom"]], entrypoint: "words" })
    await Effect.runPromiseExit(Application.run(Application.make({ graph, state: { count: 0 }, id: "f" })).pipe(Effect.provide(tracker.layer)))
    const completed = tracker.records.find((r) => r._tag === "StepCompleted")
    expect(completed).toMatchObject({ action: "words", chunks: 3, state: { count: 3 } })
    const failed = tracker.records.find((r) => r._tag === "StepFailed")
    expect(failed).toMatchObject({ action: "boom", sequenceId: 2, error: { _tag: "ActionError", action: "boom" } })
  })

  it("records children with their parent and the parent's step", async () => {
    const tracker = Tracking.makeMemory()
    const child = Graph.make({ actions: { x: inc }, transitions: [], entrypoint: "x" })
    const fan = mapStates(
      Graph.subgraph(child),
      (s: { n: number; out: ReadonlyArray<number> }) => Array.from({ length: s.n }, (_, count) => ({ count })),
      (s, r) => ({ ...s, out: r.map((c) => c.count) })
    )
    const graph = Graph.make({ actions: { start: (s: { n: number; out: ReadonlyArray<number> }) => s, fan }, transitions: [["start", "fan"]], entrypoint: "start" })
    const app = await Effect.runPromise(Application.run(Application.make({ graph, state: { n: 2, out: [] }, id: "P" })).pipe(Effect.provide(tracker.layer)))
    expect(app.state.out).toEqual([1, 2])
    const starts = tracker.records.filter((r) => r._tag === "ApplicationStarted")
    expect(starts.map((r) => [r.appId, r.parentId, r.parentSequenceId])).toEqual([
      ["P", undefined, undefined],
      ["P:2:fan:0", "P", 2],
      ["P:2:fan:1", "P", 2]
    ])
    expect(tracker.records.flatMap(Tracking.expand).filter((r) => r._tag === "StepCompleted" && r.appId.startsWith("P:2:fan")).map((r) => r.appId)).toEqual(["P:2:fan:0", "P:2:fan:1"])
    expect(tracker.records.filter((r) => r._tag === "ApplicationStopped").map((r) => `${r.appId}:${r.reason}`)).toEqual([
      "P:2:fan:0:ended", "P:2:fan:1:ended", "P:ended"
    ])
  })

  it("a tracker that throws never fails the application; the failure is logged once", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {})
    const broken = Layer.succeed(Tracking.Tracking, Tracking.Tracking.of({ record: () => { throw new Error("disk full") } }))
    const graph = Graph.make({ actions: { a: inc, b: inc }, transitions: [["a", "b"]], entrypoint: "a" })
    const app = await Effect.runPromise(Application.run(Application.make({ graph, state: { count: 0 }, id: "b" })).pipe(Effect.provide(broken)))
    expect(app.state.count).toBe(2)
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toMatch(/tracking failed for application "b"/)
    warn.mockRestore()
  })
})

describe("Tracking: cheap recording", () => {
  it("records the next action with each completed step, and times from one clock", async () => {
    const tracker = Tracking.makeMemory()
    const graph = Graph.make({ actions: { a: inc, b: inc }, transitions: [["a", "b"]], entrypoint: "a" })
    await Effect.runPromise(Application.run(Application.make({ graph, state: { count: 0 }, id: "n" })).pipe(Effect.provide(tracker.layer)))
    const completed = tracker.records.flatMap(Tracking.expand).filter((r) => r._tag === "StepCompleted")
    expect(completed.map((r) => r.next)).toEqual(["b", undefined])
    // A step that follows another synchronously starts where the previous one ended.
    expect(completed[1]!.at - completed[1]!.durationMs).toBeCloseTo(completed[0]!.at, 2)
  })

  it("with stepStarted: \"suspended\", only steps that suspend get a StepStarted record", async () => {
    const records: Array<Tracking.Record> = []
    const layer = Layer.succeed(Tracking.Tracking, Tracking.Tracking.of({ record: (r) => void records.push(r), stepStarted: "suspended" }))
    const later = (s: Counter) => Effect.map(Effect.sleep(5), () => inc(s))
    const promised = async (s: Counter) => inc(s)
    const graph = Graph.make({ actions: { a: inc, later, promised }, transitions: [["a", "later"], ["later", "promised"]], entrypoint: "a" })
    await Effect.runPromise(Application.run(Application.make({ graph, state: { count: 0 }, id: "s" })).pipe(Effect.provide(layer)))
    expect(records.map((r) => `${r._tag}${"action" in r ? `:${r.action}` : ""}`)).toEqual([
      "ApplicationStarted", "StepCompleted:a", "StepStarted:later", "StepCompleted:later", "StepStarted:promised", "StepCompleted:promised",
      "ApplicationStopped"
    ])
    const laterStarted = records.find((r) => r._tag === "StepStarted" && r.action === "later")!
    const laterDone = records.find((r) => r._tag === "StepCompleted" && r.action === "later")
    expect(laterDone?._tag === "StepCompleted" && laterDone.at - laterDone.durationMs).toBeCloseTo(laterStarted.at, 2)
    expect(laterDone?._tag === "StepCompleted" && laterDone.durationMs).toBeGreaterThanOrEqual(4)
  })

  it("an Effect that completes at once waited on nothing: no StepStarted, and it may share a group", async () => {
    const records: Array<Tracking.Record> = []
    const layer = Layer.succeed(Tracking.Tracking, Tracking.Tracking.of({ record: (r) => void records.push(r), stepStarted: "suspended" }))
    const tick = (s: Counter) => Effect.sync(() => inc(s))
    const graph = Graph.make({ actions: { tick }, transitions: [["tick", "tick", (s) => s.count < 2_000]], entrypoint: "tick" })
    const app = await Effect.runPromise(Application.run(Application.make({ graph, state: { count: 0 }, id: "sync-effects" })).pipe(Effect.provide(layer)))
    expect(app.state.count).toBe(2_000)
    const completed = records.flatMap(Tracking.expand).filter((r) => r._tag === "StepCompleted")
    expect(completed.map((r) => r.sequenceId)).toEqual(Array.from({ length: 2_000 }, (_, i) => i + 1))
    // Only a step that Effect's scheduler happened to yield in the middle of (every 2,048 operations) waits.
    expect(records.filter((r) => r._tag === "StepStarted").length).toBeLessThan(20)
  })

  it("records the interrupted siblings of a failed child", async () => {
    const tracker = Tracking.makeMemory()
    const slow = (s: { n: number }) => Effect.as(Effect.sleep(10_000), s)
    const boom = (s: { n: number }) => (s.n === 1 ? Effect.flatMap(Effect.sleep(5), () => Effect.fail("boom")) : slow(s))
    const fan = mapStates(boom, (_: { n: number }) => [{ n: 0 }, { n: 1 }, { n: 2 }], (s) => s)
    const graph = Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
    const exit = await Effect.runPromiseExit(Application.run(Application.make({ graph, state: { n: 0 }, id: "I" })).pipe(Effect.provide(tracker.layer)))
    expect(exit._tag).toBe("Failure")
    const ends = tracker.records.filter((r) => r.appId.startsWith("I:1:fan:") && (r._tag === "StepFailed" || r._tag === "StepInterrupted"))
    expect(ends.map((r) => `${r.appId}:${r._tag}`).sort()).toEqual(["I:1:fan:0:StepInterrupted", "I:1:fan:1:StepFailed", "I:1:fan:2:StepInterrupted"])
    const stops = tracker.records.filter((r) => r._tag === "ApplicationStopped")
    expect(stops.map((r) => `${r.appId}:${r.reason}`).sort()).toEqual(["I:1:fan:0:interrupted", "I:1:fan:1:failed", "I:1:fan:2:interrupted", "I:failed"])
    expect(tracker.records.at(-2)).toMatchObject({ _tag: "StepFailed", appId: "I", action: "fan", error: { _tag: "ParallelError" } })
    expect(tracker.records.at(-1)).toMatchObject({ _tag: "ApplicationStopped", appId: "I", reason: "failed", sequenceId: 0, next: "fan" })
  })
})
