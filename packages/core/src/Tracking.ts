/**
 * Tracking: a record of what applications do, for tracking UIs and audits.
 *
 * When a `Tracking` layer is provided, the step loop reports every application it starts (with
 * its graph, and for children their parent and the parent's step), every step started, completed
 * (with its duration, the state after it, the next action and how many chunks it streamed),
 * failed (with the error) or interrupted. Times (`at`, epoch milliseconds) and durations come from
 * one monotonic clock. `record` is synchronous and must not block: a tracker buffers and writes on
 * its own time. A tracker that throws never fails the application; the failure is logged.
 *
 * Timing. A clock read, or a record object, costs about as much as a fast synchronous step. So
 * steps that run back to back in one synchronous stretch and take under a microsecond each are
 * timed in groups of up to 64: the clock is read when the group opens and when it closes, the time
 * is shared evenly among its steps, and the group reaches the tracker as one `StepsCompleted`
 * record (`expand` turns it into one `StepCompleted` per step). This holds for an action that
 * returns an Effect or a Promise too, when it completes before the stretch ends (an `Effect.sync`):
 * it waited on nothing. A group grows only while its steps stay that fast; a slower step shrinks it
 * back to steps timed on their own, and a group closes whenever the stretch ends (a wait, a save, a
 * yield, a failure, a halt), so records never wait for a step that has not run and time spent
 * waiting between steps is no step's. A step still running when its stretch ends waits on
 * something: it gets its `StepStarted` then, and its own `StepCompleted` (or `StepFailed`,
 * `StepInterrupted`) when it ends.
 *
 * @since 0.1.0
 */
import { Context, Layer } from "effect"
import type { Graph } from "./Graph.js"
import * as GraphModule from "./Graph.js"

/**
 * The shape of a graph as trackers store it: plain data.
 *
 * @category models
 * @since 0.1.0
 */
export interface GraphShape {
  readonly actions: ReadonlyArray<{ readonly name: string; readonly subgraph: boolean }>
  readonly transitions: ReadonlyArray<{ readonly from: string; readonly to: string; readonly condition: string | undefined }>
  readonly entrypoint: string
  readonly mermaid: string
}

/**
 * What the step loop reports.
 *
 * @category models
 * @since 0.1.0
 */
export type Record =
  | {
    readonly _tag: "ApplicationStarted"
    readonly project: string
    readonly appId: string
    readonly partitionKey: string
    readonly parentId: string | undefined
    /** For a child: the parent's step that spawned it. */
    readonly parentSequenceId: number | undefined
    /** The step the application starts from (0 for a new one, more for a loaded one). */
    readonly sequenceId: number
    /** Its state at that step: for a new application, the state it was made with. */
    readonly state: unknown
    readonly graph: GraphShape
    readonly at: number
  }
  | {
    readonly _tag: "StepStarted"
    readonly appId: string
    readonly partitionKey: string
    readonly action: string
    readonly sequenceId: number
    readonly at: number
  }
  | {
    readonly _tag: "StepCompleted"
    readonly appId: string
    readonly partitionKey: string
    readonly action: string
    readonly sequenceId: number
    readonly at: number
    readonly durationMs: number
    readonly state: unknown
    /** Chunks the action streamed. */
    readonly chunks: number
    /** The action chosen to run next; `undefined` when the application has ended. */
    readonly next: string | undefined
  }
  | {
    /**
     * Consecutive steps that ran synchronously back to back, each faster than a clock read, timed
     * as a group: it stands for each step's `StepStarted` and `StepCompleted`. Their time is
     * shared evenly (see `expand` for the records one per step). None of them streamed chunks.
     */
    readonly _tag: "StepsCompleted"
    readonly appId: string
    readonly partitionKey: string
    /** The first step's sequence id; the others follow it one by one. */
    readonly sequenceId: number
    /** Each step's action, in order. */
    readonly actions: ReadonlyArray<string>
    /** The state after each step, in order. */
    readonly states: ReadonlyArray<unknown>
    /** The action chosen after the last step; `undefined` when the application has ended. */
    readonly next: string | undefined
    /** When the last step ended. */
    readonly at: number
    /** The whole group's time: from the first step's start to the last one's end. */
    readonly durationMs: number
  }
  | {
    readonly _tag: "StepFailed"
    readonly appId: string
    readonly partitionKey: string
    readonly action: string
    readonly sequenceId: number
    readonly at: number
    readonly durationMs: number
    readonly error: unknown
  }
  | {
    /**
     * A step that was interrupted while it ran (its fiber, or its parent's, was interrupted: a
     * sibling failed, a timeout, Ctrl-C). Only steps that suspend (an Effect or a Promise) can be.
     */
    readonly _tag: "StepInterrupted"
    readonly appId: string
    readonly partitionKey: string
    readonly action: string
    readonly sequenceId: number
    readonly at: number
    readonly durationMs: number
  }
  | {
    /**
     * A run of the application stopped. Each run (an `Application.run`, `step` or `stream`, or a
     * child's run) opens with `ApplicationStarted` and closes with this record: it `"ended"` (no
     * action left), `"halted"` (at `haltAfter` / `haltBefore` or the step limit), `"failed"` or was
     * `"interrupted"`.
     */
    readonly _tag: "ApplicationStopped"
    readonly appId: string
    readonly partitionKey: string
    readonly reason: "ended" | "halted" | "failed" | "interrupted"
    /** Its last completed step. */
    readonly sequenceId: number
    /** The action it would run next; `undefined` when it ended. */
    readonly next: string | undefined
    readonly at: number
  }

/**
 * One record per step: a `StepsCompleted` becomes one `StepCompleted` per step (their time shared
 * evenly, each step's `next` the action of the step after it); every other record stays as it is.
 *
 * @example
 * ```ts
 * import { Tracking } from "@teasel/core"
 * const group: Tracking.Record = {
 *   _tag: "StepsCompleted", appId: "a", partitionKey: "", sequenceId: 1,
 *   actions: ["inc", "inc"], states: [{ n: 1 }, { n: 2 }], next: "done", at: 1000, durationMs: 0.2
 * }
 * Tracking.expand(group).map((r) => r._tag === "StepCompleted" && [r.sequenceId, r.next, r.at])
 * // [[1, "inc", 999.9], [2, "done", 1000]]
 * ```
 * @category utils
 * @since 0.1.0
 */
export const expand = (record: Record): ReadonlyArray<Record> => {
  if (record._tag !== "StepsCompleted") return [record]
  const n = record.actions.length
  const share = n === 0 ? 0 : record.durationMs / n
  const start = record.at - record.durationMs
  const out: Array<Record> = []
  for (let i = 0; i < n; i++) {
    out.push({
      _tag: "StepCompleted",
      appId: record.appId,
      partitionKey: record.partitionKey,
      action: record.actions[i]!,
      sequenceId: record.sequenceId + i,
      at: i === n - 1 ? record.at : start + (i + 1) * share,
      durationMs: share,
      state: record.states[i],
      chunks: 0,
      next: i === n - 1 ? record.next : record.actions[i + 1]
    })
  }
  return out
}

/**
 * The tracking service.
 *
 * @category services
 * @since 0.1.0
 */
export class Tracking extends Context.Service<Tracking, {
  /** Receives one record; must return quickly and may throw (the throw is logged, not rethrown). */
  readonly record: (record: Record) => void
  /**
   * Which steps get a `StepStarted` record: `"always"` (the default: every step timed on its own,
   * and every step that waits), or `"suspended"`: only the steps that wait (their action returned
   * an Effect or a Promise that was still running when the synchronous stretch ended), recorded
   * then. Other steps are told by their `StepCompleted` alone (their start is `at - durationMs`)
   * or their group's `StepsCompleted`, which spares the loop a record per step.
   */
  readonly stepStarted?: "always" | "suspended" | undefined
}>()("@teasel/core/Tracking") {}

/**
 * The project that tracked applications belong to.
 *
 * @category services
 * @since 0.1.0
 */
export const CurrentProject = Context.Reference<string>("@teasel/core/Tracking/CurrentProject", {
  defaultValue: () => "default"
})

/**
 * The plain-data shape of a graph, as trackers store it.
 *
 * @example
 * ```ts
 * import { Graph, Tracking } from "@teasel/core"
 * const inc = (s: { n: number }) => ({ n: s.n + 1 })
 * Tracking.shapeOf(Graph.make({ actions: { inc }, transitions: [], entrypoint: "inc" })).entrypoint // "inc"
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const shapeOf = (graph: Graph<any, string, any, any>): GraphShape => {
  let shape = shapes.get(graph)
  if (shape === undefined) {
    shape = {
      actions: Object.keys(graph.actions).map((name) => ({
        name,
        subgraph: GraphModule.isSubGraph(graph.actions[name])
      })),
      transitions: graph.transitions.map((t) => ({
        from: t.from,
        to: t.to,
        condition: t.when === undefined ? undefined : t.when.name || "when"
      })),
      entrypoint: graph.entrypoint,
      mermaid: GraphModule.toMermaid(graph)
    }
    shapes.set(graph, shape)
  }
  return shape
}

const shapes = new WeakMap<object, GraphShape>()

/**
 * An in-process tracker that keeps every record in `records`, for tests and small tools.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Tracking } from "@teasel/core"
 * const tracker = Tracking.makeMemory()
 * declare const app: Application.Application<{ n: number }, "inc">
 * Application.run(app).pipe(Effect.provide(tracker.layer))
 * // later: tracker.records
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const makeMemory = (): { readonly records: ReadonlyArray<Record>; readonly layer: Layer.Layer<Tracking> } => {
  const records: Array<Record> = []
  return { records, layer: Layer.succeed(Tracking, Tracking.of({ record: (record) => void records.push(record) })) }
}

/**
 * In-process tracking; the records are kept for the life of the program (see `makeMemory` to read
 * them back).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerMemory: Layer.Layer<Tracking> = Layer.suspend(() => makeMemory().layer)
