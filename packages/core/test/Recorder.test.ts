/**
 * The step loop's recorder on a clock the test moves: which records a run gets, how fast steps are
 * grouped and how their time is shared, all without depending on how fast this machine is.
 */
import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Tracking } from "../src/index.js"
import { FAST_MS, MAX_WINDOW, Recorder } from "../src/internal/recorder.js"

/** What the test tracker saw: records, and groups (marked) as `recordSteps` received them. */
type Seen = Tracking.TrackingRecord | (Tracking.StepGroup & { readonly _tag: "StepGroup" })

/** One record per step: a group's steps as a tracker without `recordSteps` receives them. */
const expand = (r: Seen): ReadonlyArray<Tracking.TrackingRecord> => (r._tag === "StepGroup" ? Tracking.stepsOf(r) : [r])

/** A recorder on a clock that only moves when the test says, with the records it gave. */
const setup = (stepStarted: "always" | "suspended" = "suspended") => {
  let t = 1_000
  let reads = 0
  const records: Array<Seen> = []
  const recorder = new Recorder(
    Tracking.Tracking.of({
      record: (r) => void records.push(r),
      recordSteps: (g) => void records.push({ ...g, _tag: "StepGroup" }),
      stepStarted
    }),
    "app",
    "",
    undefined,
    () => {
      reads++
      return t
    }
  )
  recorder.applicationStarted({
    project: "p",
    appId: "app",
    partitionKey: "",
    parentId: undefined,
    parentSequenceId: undefined,
    sequenceId: 0,
    state: { n: 0 },
    graph: { actions: [], transitions: [], entrypoint: "a", mermaid: "" }
  })
  let seq = 0
  return {
    records,
    recorder,
    reads: () => reads,
    advance: (ms: number) => {
      t += ms
    },
    /** One synchronous step taking `ms`; with `ends`, the application ends after it. */
    sync: (ms: number, ends = false) => {
      seq++
      recorder.started("a", seq)
      t += ms
      recorder.completed("a", seq, { n: seq }, ends ? undefined : "a")
    },
    /**
     * One step that suspends after `before` ms of synchronous work and completes `after` ms later,
     * once the turn has ended (it really waited).
     */
    suspending: async (before: number, after: number) => {
      seq++
      recorder.started("s", seq)
      t += before
      recorder.suspended("s", seq)
      await Promise.resolve()
      t += after
      recorder.completed("s", seq, { n: seq }, "a")
    },
    /** One step that returns an Effect which completes in the same turn, `ms` later (an Effect.sync). */
    suspendingSync: (ms: number) => {
      seq++
      recorder.started("e", seq)
      recorder.suspended("e", seq)
      t += ms
      recorder.completed("e", seq, { n: seq }, "a")
    },
    /** One step that fails after `ms`. */
    failing: (ms: number) => {
      seq++
      recorder.started("f", seq)
      t += ms
      recorder.failed("f", seq, new Error("boom"), true, seq - 1, "f")
    },
    seq: () => seq,
    origin: performance.timeOrigin
  }
}

const tags = (records: ReadonlyArray<Seen>) =>
  records.map((r) => (r._tag === "StepGroup" ? `StepGroup:${r.sequenceId}+${r.actions.length}` : `${r._tag}${"sequenceId" in r && r._tag !== "ApplicationStarted" ? `:${r.sequenceId}` : ""}`))

describe("Recorder: fast synchronous steps", () => {
  it("groups them in windows that double up to the maximum, one clock read per group", () => {
    const run = setup()
    const fast = FAST_MS / 10
    for (let i = 0; i < 300; i++) run.sync(fast)
    run.recorder.ended("halted", run.seq(), "a")
    const groups = run.records.filter((r) => r._tag === "StepGroup")
    // 1 alone, then 2, 4, 8, 16, 32, then 64s, and what is left at the end.
    expect(run.records[1]).toMatchObject({ _tag: "StepCompleted", sequenceId: 1 })
    expect(groups.map((g) => g.actions.length)).toEqual([2, 4, 8, 16, 32, 64, 64, 64, 45])
    expect(Math.max(...groups.map((g) => g.actions.length))).toBe(MAX_WINDOW)
    // The application's start, one per group (and the lone first step), and the stop.
    expect(run.reads()).toBe(1 + 1 + groups.length)
    expect(run.records.at(-1)).toMatchObject({ _tag: "ApplicationStopped", reason: "halted", sequenceId: 300, next: "a" })
  })

  it("shares each group's time evenly: expanded, every step has its duration and ends where the next starts", () => {
    const run = setup()
    for (let i = 0; i < 100; i++) run.sync(0.0001, i === 99)
    run.recorder.ended("ended", run.seq(), undefined)
    const steps = run.records.flatMap(expand).filter((r) => r._tag === "StepCompleted")
    expect(steps.map((s) => s.sequenceId)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
    expect(steps.map((s) => s.state)).toEqual(Array.from({ length: 100 }, (_, i) => ({ n: i + 1 })))
    for (const [i, s] of steps.entries()) {
      expect(s.durationMs).toBeCloseTo(0.0001, 9)
      // `at` is epoch milliseconds: a double that close to 2e12 resolves about 0.25 µs.
      expect(s.at - run.origin).toBeCloseTo(1_000 + (i + 1) * 0.0001, 3)
      expect(s.next).toBe(i === 99 ? undefined : "a")
    }
  })

  it("times a slow step on its own, and a group holding one shrinks the window back to 1", () => {
    const run = setup()
    for (let i = 0; i < 7; i++) run.sync(0.0001) // 1 alone, then groups of 2 and 4
    run.sync(5) // the window is 8 now: this slow step lands in a group that shares its 5 ms
    for (let i = 0; i < 7; i++) run.sync(0.0001)
    // That group (the slow step and 7 fast ones) closes when its window is full.
    run.sync(0.0001) // the window is 1 again: this step is timed on its own
    run.recorder.ended("halted", run.seq(), "a")
    expect(tags(run.records.slice(1))).toEqual([
      "StepCompleted:1", "StepGroup:2+2", "StepGroup:4+4", "StepGroup:8+8", "StepCompleted:16", "ApplicationStopped:16"
    ])
    const slowGroup = run.records.find((r) => r._tag === "StepGroup" && r.sequenceId === 8)
    expect(slowGroup?._tag === "StepGroup" && slowGroup.durationMs).toBeCloseTo(5 + 7 * 0.0001, 9)
    const alone = run.records.find((r) => r._tag === "StepCompleted" && r.sequenceId === 16)
    expect(alone?._tag === "StepCompleted" && alone.durationMs).toBeCloseTo(0.0001, 9)
  })

  it("steps slower than the threshold are each timed on their own, with exact durations", () => {
    const run = setup()
    for (let i = 0; i < 10; i++) run.sync(FAST_MS * 4)
    run.recorder.ended("halted", run.seq(), "a")
    const completed = run.records.filter((r) => r._tag === "StepCompleted")
    expect(completed).toHaveLength(10)
    expect(run.records.some((r) => r._tag === "StepGroup")).toBe(false)
    for (const c of completed) expect(c._tag === "StepCompleted" && c.durationMs).toBeCloseTo(FAST_MS * 4, 9)
  })
})

describe("Recorder: suspensions, failures and StepStarted", () => {
  it("a step that suspends closes the group before it, gets its StepStarted, and is timed on its own", async () => {
    const run = setup("suspended")
    for (let i = 0; i < 3; i++) run.sync(0.0001) // 1 alone, 2-3 grouped
    run.sync(0.0001) // 4 opens a group of up to 4
    await run.suspending(0.0001, 7)
    run.recorder.ended("halted", run.seq(), "a")
    expect(tags(run.records.slice(1))).toEqual([
      "StepCompleted:1", "StepGroup:2+2", "StepCompleted:4", "StepStarted:5", "StepCompleted:5", "ApplicationStopped:5"
    ])
    const started = run.records.find((r) => r._tag === "StepStarted")!
    const completed = run.records.find((r) => r._tag === "StepCompleted" && r.sequenceId === 5)!
    // Step 4 and step 5's synchronous part shared their 0.0002 ms; step 5 then ran 7 ms more.
    expect(started.at - run.origin).toBeCloseTo(1_000 + 4 * 0.0001, 3)
    expect(completed._tag === "StepCompleted" && completed.durationMs).toBeCloseTo(7.0001, 6)
  })

  it("right after a boundary, in the same turn, a suspending step needs no clock read to start", async () => {
    const run = setup("suspended")
    run.recorder.started("s", 1)
    run.recorder.suspended("s", 1)
    await Promise.resolve()
    run.advance(2)
    run.recorder.completed("s", 1, { n: 1 }, "s")
    const before = run.reads()
    // The run goes straight on: the next step starts where this one ended.
    run.recorder.started("s", 2)
    run.recorder.suspended("s", 2)
    await Promise.resolve()
    run.advance(3)
    run.recorder.completed("s", 2, { n: 2 }, "s")
    expect(run.reads() - before).toBe(1) // its end only
    expect(run.records.filter((r) => r._tag === "StepCompleted").map((r) => r._tag === "StepCompleted" && r.durationMs)).toEqual([2, 3])
  })

  it("with stepStarted \"always\", steps timed on their own get a StepStarted; grouped ones are told by their group", () => {
    const run = setup("always")
    for (let i = 0; i < 3; i++) run.sync(0.0001)
    run.sync(FAST_MS * 4) // lands in a group of 4 (window 4) with nothing else: closes at finish
    run.recorder.ended("halted", run.seq(), "a")
    expect(tags(run.records.slice(1))).toEqual([
      "StepStarted:1", "StepCompleted:1", "StepGroup:2+2", "StepStarted:4", "StepCompleted:4", "ApplicationStopped:4"
    ])
  })

  it("a failing step in a group shares the group's time; the steps before it are recorded first", () => {
    const run = setup("always")
    for (let i = 0; i < 4; i++) run.sync(0.0001) // 1 alone, 2-3, then 4 opens a group
    run.failing(0.0001)
    expect(tags(run.records.slice(1))).toEqual([
      "StepStarted:1", "StepCompleted:1", "StepGroup:2+2", "StepStarted:4", "StepCompleted:4", "StepStarted:5", "StepFailed:5", "ApplicationStopped:4"
    ])
    const failed = run.records.find((r) => r._tag === "StepFailed")
    expect(failed?._tag === "StepFailed" && failed.durationMs).toBeCloseTo(0.0001, 9)
  })

  it("a step that returns an Effect yet completes in the same turn is timed and grouped like a synchronous one", async () => {
    const run = setup("suspended")
    for (let i = 0; i < 10; i++) run.suspendingSync(0.0002)
    // Its StepStarted waits for the end of the turn: none comes, as none of them waited.
    await Promise.resolve()
    await run.suspending(0, 4) // this one waits: StepStarted, then its own StepCompleted
    run.recorder.ended("halted", run.seq(), "a")
    expect(tags(run.records.slice(1))).toEqual([
      "StepCompleted:1", "StepGroup:2+2", "StepGroup:4+4", "StepGroup:8+3", "StepStarted:11", "StepCompleted:11", "ApplicationStopped:11"
    ])
    const last = run.records.find((r) => r._tag === "StepCompleted" && r.sequenceId === 11)
    // The end of the turn closed the group before it: it starts on a reading of its own.
    expect(last?._tag === "StepCompleted" && last.durationMs).toBeCloseTo(4, 9)
    const steps = run.records.flatMap(expand).filter((r) => r._tag === "StepCompleted" && r.action === "e")
    expect(steps).toHaveLength(10)
    for (const s of steps.slice(0, 7)) expect(s._tag === "StepCompleted" && s.durationMs).toBeCloseTo(0.0002, 9)
  })

  it("a step in flight when its turn ends gets its StepStarted then, with the time it started", async () => {
    const run = setup("suspended")
    run.sync(0.01)
    run.recorder.started("s", 2)
    run.advance(0.5)
    run.recorder.suspended("s", 2)
    expect(run.records.some((r) => r._tag === "StepStarted")).toBe(false)
    await Promise.resolve()
    const started = run.records.find((r) => r._tag === "StepStarted")
    expect(started).toMatchObject({ action: "s", sequenceId: 2 })
    expect(started!.at - run.origin).toBeCloseTo(1_000.01, 3)
    run.recorder.interrupted("s", 2)
    expect(run.records.at(-1)).toMatchObject({ _tag: "StepInterrupted", sequenceId: 2 })
  })

  it("the end of a turn closes the open group: the time until the run goes on is no step's", async () => {
    const run = setup("suspended")
    for (let i = 0; i < 5; i++) run.sync(0.0001) // 1 alone, 2-3, then 4-5 in an open group of 4
    await Promise.resolve() // the turn ends: a yield of the scheduler, a timer...
    run.advance(50)
    run.sync(0.0001)
    run.recorder.ended("halted", run.seq(), "a")
    const steps = run.records.flatMap(expand).filter((r) => r._tag === "StepCompleted")
    expect(steps.map((s) => s.sequenceId)).toEqual([1, 2, 3, 4, 5, 6])
    for (const s of steps) expect(s._tag === "StepCompleted" && s.durationMs).toBeCloseTo(0.0001, 9)
  })

  it("records how the run stopped once: the first reason wins", () => {
    const run = setup()
    run.sync(1)
    run.recorder.exited("failed", false, 1, "a")
    run.recorder.exited("interrupted", true, 1, "a")
    expect(run.records.filter((r) => r._tag === "ApplicationStopped")).toMatchObject([{ reason: "failed" }])
  })
})

describe("Recorder: any run", () => {
  type Op =
    | { readonly _tag: "sync"; readonly ms: number }
    | { readonly _tag: "suspend"; readonly before: number; readonly after: number }
    | { readonly _tag: "effect"; readonly ms: number }
    | { readonly _tag: "pause" }
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ _tag: fc.constant("sync" as const), ms: fc.oneof(fc.constant(0.00005), fc.constant(0.0002), fc.double({ min: 0, max: 3, noNaN: true })) }) },
    { weight: 1, arbitrary: fc.record({ _tag: fc.constant("suspend" as const), before: fc.double({ min: 0, max: 0.001, noNaN: true }), after: fc.double({ min: 0, max: 10, noNaN: true }) }) },
    { weight: 2, arbitrary: fc.record({ _tag: fc.constant("effect" as const), ms: fc.oneof(fc.constant(0.0003), fc.double({ min: 0, max: 0.01, noNaN: true })) }) },
    { weight: 1, arbitrary: fc.record({ _tag: fc.constant("pause" as const) }) }
  )

  it("records every step exactly once, in order, with times that add up to the time that passed", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 400 }), fc.constantFrom("always" as const, "suspended" as const), async (ops, mode) => {
        const run = setup(mode)
        let total = 0
        for (const o of ops) {
          if (o._tag === "sync") {
            run.sync(o.ms)
            total += o.ms
          } else if (o._tag === "suspend") {
            await run.suspending(o.before, o.after)
            total += o.before + o.after
          } else if (o._tag === "effect") {
            run.suspendingSync(o.ms)
            total += o.ms
          } else {
            run.recorder.paused()
            run.advance(1) // time between stretches belongs to no step
          }
        }
        run.recorder.ended("halted", run.seq(), "a")
        await Promise.resolve() // the last turn ends
        const expanded = run.records.flatMap(expand)
        const completed = expanded.filter((r) => r._tag === "StepCompleted")
        expect(completed.map((r) => r.sequenceId)).toEqual(Array.from({ length: run.seq() }, (_, i) => i + 1))
        const sum = completed.reduce((s, r) => s + r.durationMs, 0)
        expect(sum).toBeCloseTo(total, 6)
        let last = -Infinity
        for (const r of expanded) {
          if (r._tag === "StepCompleted" || r._tag === "StepStarted") {
            expect(r.at).toBeGreaterThanOrEqual(last - 1e-3)
            last = r.at
          }
        }
        // Every StepStarted comes right before its step's completion (nothing else runs between).
        for (const [i, r] of expanded.entries()) {
          if (r._tag === "StepStarted") expect(expanded[i + 1]).toMatchObject({ _tag: "StepCompleted", sequenceId: r.sequenceId })
        }
        // A step that waited always has its StepStarted, in both modes.
        const suspending = completed.filter((r) => r.action === "s").map((r) => r.sequenceId)
        const startedOf = new Set(expanded.filter((r) => r._tag === "StepStarted").map((r) => r.sequenceId))
        expect(suspending.every((s) => startedOf.has(s))).toBe(true)
        expect(run.records.at(-1)).toMatchObject({ _tag: "ApplicationStopped", reason: "halted" })
      }),
      { numRuns: 200 }
    )
  })
})
