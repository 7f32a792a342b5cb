/**
 * `loop`: two actions taking turns to increment a counter, in memory, with no tracking or
 * persistence, so the figure is the cost of one step of the runtime itself; and the same loop
 * tracked, to show what recording costs a step.
 */
import type { Tracking as TrackingTypes } from "@teasel/core"
import type { Effect } from "effect"
import * as Scenario from "../Scenario.js"

interface Counter {
  readonly count: number
}

const inc = (s: Counter): Counter => ({ count: s.count + 1 })

const STEPS = 10_000
// LangGraph takes hundreds of microseconds a step; fewer steps keep a run near a second and the
// figure is reported per step, so it stays comparable.
const LANGGRAPH_STEPS = 2_000

const PER_STEP_TARGET_US = 3
const FLOOR_FACTOR_TARGET = 4
/** Tracking may slow a step by at most this much. */
const TRACKING_OVERHEAD_TARGET = 0.2

// Every library is imported inside its subject's `setup`, so each isolated process loads only its
// own: LangGraph's peak RSS does not include Effect, nor the floor's Teasel.

/** The floor: the same pure function run through `Effect.sync`, chained in one fiber. */
const floor: Scenario.Subject = {
  name: "floor",
  steps: STEPS,
  note: "Effect.whileLoop over Effect.sync(inc)",
  setup: async () => {
    const { Effect } = await import("effect")
    return async () => {
      let state: Counter = { count: 0 }
      await Effect.runPromise(
        Effect.whileLoop({
          while: () => state.count < STEPS,
          body: () => Effect.sync(() => inc(state)),
          step: (next) => {
            state = next
          }
        })
      )
      Scenario.check("floor", state.count === STEPS, `count ${STEPS}`, state)
    }
  }
}

/**
 * A second floor closer to how a runtime threads state: each step is a `flatMap` on the previous
 * one, so every step allocates its continuation, as an interpreter of a graph must.
 */
const floorFlatMap: Scenario.Subject = {
  name: "floor-flatmap",
  steps: STEPS,
  note: "recursive Effect.flatMap over Effect.sync(inc)",
  setup: async () => {
    const { Effect } = await import("effect")
    const go = (s: Counter): Effect.Effect<Counter> =>
      s.count >= STEPS ? Effect.succeed(s) : Effect.flatMap(Effect.sync(() => inc(s)), go)
    return async () => {
      const final = await Effect.runPromise(go({ count: 0 }))
      Scenario.check("floor-flatmap", final.count === STEPS, `count ${STEPS}`, final)
    }
  }
}

/** LangGraph JS: nodes a -> b, b -> a until the count is reached, then END. */
const langgraph: Scenario.Subject = {
  name: "langgraph",
  steps: LANGGRAPH_STEPS,
  note: `${LANGGRAPH_STEPS} steps per run (not ${STEPS}) to bound run time; value is per step`,
  warmupRuns: 2,
  timedRuns: 5,
  setup: async () => {
    const { Annotation, END, START, StateGraph } = await import("@langchain/langgraph")
    const State = Annotation.Root({ count: Annotation<number> })
    const graph = new StateGraph(State)
      .addNode("a", inc)
      .addNode("b", inc)
      .addEdge(START, "a")
      .addEdge("a", "b")
      .addConditionalEdges("b", (s) => (s.count >= LANGGRAPH_STEPS ? END : "a"))
      .compile()
    // Every node runs in its own superstep; the margin covers the entry and exit.
    const config = { recursionLimit: LANGGRAPH_STEPS + 10 }
    return async () => {
      const final = await graph.invoke({ count: 0 }, config)
      Scenario.check("langgraph", final.count === LANGGRAPH_STEPS, `count ${LANGGRAPH_STEPS}`, final)
    }
  }
}

/**
 * Teasel: the same loop as a graph of two actions, halting after `done`. With `effectful`, each
 * increment is wrapped in `Effect.sync`, to measure the path an effectful action takes.
 */
/**
 * How the run is tracked: not at all; by a tracker that drops each record (what the step loop
 * itself pays to record); or by one that keeps every record until the run ends, as a buffering
 * tracker keeps them until it writes (the retained records and states cost the collector).
 */
type Tracked = "untracked" | "drop" | "keep"

const teaselWith = (name: string, effectful: boolean, tracked: Tracked = "untracked"): Scenario.Subject => ({
  name,
  steps: STEPS,
  setup: async () => {
    const { Effect, Layer } = await import("effect")
    const { Application, Graph, Tracking } = await import("@teasel/core")
    const step = effectful ? (s: Counter) => Effect.sync(() => inc(s)) : inc
    const graph = Graph.make({
      actions: { a: step, b: step, done: (s: Counter) => s },
      transitions: [["a", "b"], ["b", "done", (s) => s.count >= STEPS], ["b", "a"]],
      entrypoint: "a"
    })
    const app = Application.make({ graph, state: { count: 0 } })
    let records: Array<TrackingTypes.TrackingRecord | TrackingTypes.StepGroup> = []
    // Completed steps the records tell of: the check that every step was recorded.
    let steps = 0
    const completed = (record: TrackingTypes.TrackingRecord | TrackingTypes.StepGroup) =>
      !("_tag" in record) ? record.actions.length : record._tag === "StepCompleted" ? 1 : 0
    const tracker = Layer.succeed(
      Tracking.Tracking,
      Tracking.Tracking.of({
        record: tracked === "keep" ? (record) => void records.push(record) : (record) => void (steps += completed(record)),
        // Groups of fast steps at once, as the SQL tracker takes them.
        recordSteps: tracked === "keep" ? (group) => void records.push(group) : (group) => void (steps += group.actions.length),
        // As the SQL tracker asks: a StepStarted only for steps that suspend.
        stepStarted: "suspended"
      })
    )
    const run = tracked === "untracked"
      ? Application.run(app, { haltAfter: ["done"] })
      : Application.run(app, { haltAfter: ["done"] }).pipe(Effect.provide(tracker))
    return async () => {
      records = []
      steps = 0
      const final = await Effect.runPromise(run)
      if (tracked !== "untracked") {
        const n = tracked === "keep" ? records.reduce((sum, r) => sum + completed(r), 0) : steps
        Scenario.check(name, n === STEPS + 1, `${STEPS + 1} completed steps recorded`, n)
      }
      // STEPS increments, then `done`.
      Scenario.check(
        name,
        final.state.count === STEPS && final.sequenceId === STEPS + 1,
        `count ${STEPS} and sequenceId ${STEPS + 1}`,
        { count: final.state.count, sequenceId: final.sequenceId }
      )
    }
  }
})

const teasel = teaselWith("teasel", false)

const teaselEffect: Scenario.Subject = {
  ...teaselWith("teasel-effect", true),
  note: "actions return Effect.sync(inc) instead of the plain state"
}

const tracked: Scenario.Subject = {
  ...teaselWith("tracked", false, "drop"),
  note: "teasel with a Tracking layer that drops each record: the step loop's own cost of recording"
}

/**
 * Without a target: what it adds over `tracked` is the collector's work on the records and states
 * the tracker keeps alive (states the untracked run drops at once), and it moves with when
 * collections land (+13% to +48% over teasel in repeated runs here).
 */
const trackedKeep: Scenario.Subject = {
  ...teaselWith("tracked-keep", false, "keep"),
  note: "teasel with a Tracking layer that keeps every record and state until the run ends, as a buffering tracker does (no target: the extra is the collector's, for the states kept)"
}

const trackedEffect: Scenario.Subject = {
  ...teaselWith("tracked-effect", true, "drop"),
  note: "teasel-effect with a Tracking layer that drops each record (each step suspends: a StepStarted each)"
}

/**
 * The same loop tracked by `SqlTracking` into a SQLite file: what a real tracker costs beyond the
 * loop (each step's state encoded and written as a row). The connection is opened once; the
 * tracker's layer is built for each run, so that its last write (when its scope closes) is part
 * of the run it belongs to. Reported beside the others, without a target: against a 0.06 us step,
 * any tracker that stores every state costs many times the step itself.
 */
const trackedSqlite: Scenario.Subject = {
  name: "tracked-sqlite",
  steps: STEPS,
  note: "teasel with SqlTracking.layerSqlite (a temporary file): encoding and writing every step",
  setup: async () => {
    const { Effect, ManagedRuntime } = await import("effect")
    const { Application, Graph } = await import("@teasel/core")
    const { SqliteClient, SqlTracking } = await import("@teasel/sql")
    const dir = await Scenario.tempDir("tracked-sqlite")
    const runtime = ManagedRuntime.make(SqliteClient.layer({ filename: dir.file }))
    const graph = Graph.make({
      actions: { a: inc, b: inc, done: (s: Counter) => s },
      transitions: [["a", "b"], ["b", "done", (s) => s.count >= STEPS], ["b", "a"]],
      entrypoint: "a"
    })
    const { SqlClient } = await import("effect/sql")
    let runs = 0
    const run = async () => {
      const id = `tracked-${runs++}`
      const app = Application.make({ graph, state: { count: 0 }, id })
      const final = await runtime.runPromise(Application.run(app, { haltAfter: ["done"] }).pipe(Effect.provide(SqlTracking.layer)))
      Scenario.check("tracked-sqlite", final.state.count === STEPS, `count ${STEPS}`, final.state)
      if (runs === 1) {
        // Once (it is not the tracker's cost): every step has its row.
        const [row] = await runtime.runPromise(Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) =>
          sql.unsafe<{ n: number }>(`SELECT count(*) AS n FROM teasel_track_steps WHERE app_id = ?`, [id])))
        Scenario.check("tracked-sqlite", Number(row?.n) === STEPS + 1, `${STEPS + 1} step rows`, row)
      }
    }
    return Scenario.withClose(run, async () => {
      await runtime.dispose()
      dir.remove()
    })
  }
}

export const loop = Scenario.make({
  name: "loop",
  description: "two actions incrementing a counter, in memory; untracked, and tracked",
  figure: Scenario.microsecondsPerStep,
  // A 10,000-step run of the floor takes about a millisecond: many runs steady the median.
  warmupRuns: 20,
  timedRuns: 50,
  subjects: [floor, floorFlatMap, langgraph, teasel, teaselEffect, tracked, trackedKeep, trackedEffect, trackedSqlite],
  targets: [
    {
      subject: "teasel",
      description: `<= ${PER_STEP_TARGET_US} us/step`,
      met: (samples) => {
        const t = samples("teasel")?.usPerStep
        return t === undefined ? undefined : { met: t <= PER_STEP_TARGET_US, actual: `${t.toPrecision(3)} us` }
      }
    },
    {
      subject: "teasel",
      description: `<= ${FLOOR_FACTOR_TARGET}x floor`,
      met: (samples) => {
        const t = samples("teasel")?.usPerStep
        const f = samples("floor")?.usPerStep
        if (t === undefined || f === undefined) return undefined
        return { met: t <= FLOOR_FACTOR_TARGET * f, actual: `${(t / f).toPrecision(3)}x` }
      }
    },
    Scenario.overhead("tracked", "teasel", TRACKING_OVERHEAD_TARGET),
    Scenario.overhead("tracked-effect", "teasel-effect", TRACKING_OVERHEAD_TARGET)
  ]
})
