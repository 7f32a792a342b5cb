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
 * A record is the stream's event (`Event`) of the same tag and field names, plus when it happened
 * (`at`) and the partition; `ApplicationStarted`, `StepInterrupted` and `ApplicationStopped` tell
 * what the stream does not.
 *
 * Fast steps. A clock read, or a record object, costs about as much as a fast synchronous step, so
 * steps that run back to back in one synchronous stretch, each under a microsecond, are timed in
 * groups (their time shared evenly). A tracker with `recordSteps` receives such a group at once (a
 * `StepGroup`); any other gets one `StepCompleted` per step. How the groups are formed is described
 * beside the code, in the recorder.
 *
 * @since 0.1.0
 */
import { Context, Layer } from "effect"
import type * as Event from "./Event.js"
import * as Graph from "./Graph.js"

/**
 * The shape of a graph as trackers store it: plain data (see `Graph.shapeOf`).
 *
 * @category models
 * @since 0.1.0
 */
export type GraphShape = Graph.Shape

/**
 * When a record was made and where its application lives: what a tracking record adds to the
 * stream's event of the same tag.
 *
 * @category models
 * @since 0.2.0
 */
export interface Timing {
  /** Epoch milliseconds. */
  readonly at: number
  readonly partitionKey: string
}

/**
 * An application run starts: its graph, and for a child its parent and the parent's step.
 *
 * @category models
 * @since 0.2.0
 */
export interface ApplicationStarted extends Timing {
  readonly _tag: "ApplicationStarted"
  readonly project: string
  readonly appId: string
  readonly parentId: string | undefined
  /** For a child: the parent's step that spawned it. */
  readonly parentSequenceId: number | undefined
  /** The step the application starts from (0 for a new one, more for a loaded one). */
  readonly sequenceId: number
  /** Its state at that step: for a new application, the state it was made with. */
  readonly state: unknown
  readonly graph: GraphShape
}

/**
 * The stream's `StepStarted`, timed.
 *
 * @category models
 * @since 0.2.0
 */
export interface StepStarted extends Event.StepStarted, Timing {}

/**
 * The stream's `StepCompleted`, timed, with the step's duration, the chunks it streamed and the
 * action chosen next (`undefined` when the application has ended).
 *
 * @category models
 * @since 0.2.0
 */
export interface StepCompleted extends Event.StepCompleted<unknown>, Timing {
  readonly durationMs: number
  readonly chunks: number
  readonly next: string | undefined
}

/**
 * The stream's `StepFailed`, timed.
 *
 * @category models
 * @since 0.2.0
 */
export interface StepFailed extends Event.StepFailed, Timing {
  readonly durationMs: number
}

/**
 * A step interrupted while it ran (its fiber, or its parent's, was interrupted: a sibling failed,
 * a timeout, Ctrl-C). Only steps that suspend (an Effect or a Promise) can be.
 *
 * @category models
 * @since 0.2.0
 */
export interface StepInterrupted extends Timing {
  readonly _tag: "StepInterrupted"
  readonly appId: string
  readonly parentId?: string
  readonly action: string
  readonly sequenceId: number
  readonly durationMs: number
}

/**
 * A run of the application stopped. Each run (an `Application.run`, `step` or `stream`, or a
 * child's run) opens with `ApplicationStarted` and closes with this record: it `"ended"` (no
 * action left), `"halted"` (at `haltAfter` / `haltBefore` or the step limit), `"failed"` or was
 * `"interrupted"`.
 *
 * @category models
 * @since 0.2.0
 */
export interface ApplicationStopped extends Timing {
  readonly _tag: "ApplicationStopped"
  readonly appId: string
  readonly reason: "ended" | "halted" | "failed" | "interrupted"
  /** Its last completed step. */
  readonly sequenceId: number
  /** The action it would run next; `undefined` when it ended. */
  readonly next: string | undefined
}

/**
 * What the step loop reports to a tracker: the stream's events under the same tags and field
 * names, plus when (`at`) and the partition, and the records of a run's start and stop.
 *
 * @category models
 * @since 0.2.0
 */
export type TrackingRecord =
  | ApplicationStarted
  | StepStarted
  | StepCompleted
  | StepFailed
  | StepInterrupted
  | ApplicationStopped

/**
 * Former name of `TrackingRecord` (it shadowed TypeScript's global `Record`).
 *
 * @deprecated Use `TrackingRecord`.
 * @category models
 * @since 0.1.0
 */
export type Record = TrackingRecord

/**
 * Consecutive steps that ran synchronously back to back, each faster than a clock read, timed as a
 * group: what a tracker with `recordSteps` receives instead of one `StepCompleted` per step (and
 * their `StepStarted`s). Their time is shared evenly; none of them streamed chunks. `stepsOf` gives
 * the records one per step.
 *
 * @category models
 * @since 0.2.0
 */
export interface StepGroup {
  readonly appId: string
  readonly parentId?: string
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

/**
 * The records of a group, one `StepCompleted` per step (their time shared evenly, each step's
 * `next` the action of the step after it): what a tracker without `recordSteps` receives.
 *
 * @example
 * ```ts
 * import { Tracking } from "@teasel/core"
 * const group: Tracking.StepGroup = {
 *   appId: "a", partitionKey: "", sequenceId: 1,
 *   actions: ["inc", "inc"], states: [{ n: 1 }, { n: 2 }], next: "done", at: 1000, durationMs: 0.2
 * }
 * Tracking.stepsOf(group).map((r) => [r.sequenceId, r.next, r.at])
 * // [[1, "inc", 999.9], [2, "done", 1000]]
 * ```
 * @category utils
 * @since 0.2.0
 */
export const stepsOf = (group: StepGroup): ReadonlyArray<StepCompleted> => {
  const n = group.actions.length
  const share = n === 0 ? 0 : group.durationMs / n
  const start = group.at - group.durationMs
  const out: Array<StepCompleted> = []
  for (let i = 0; i < n; i++) {
    const record: StepCompleted = {
      _tag: "StepCompleted",
      appId: group.appId,
      ...(group.parentId === undefined ? {} : { parentId: group.parentId }),
      partitionKey: group.partitionKey,
      action: group.actions[i]!,
      sequenceId: group.sequenceId + i,
      at: i === n - 1 ? group.at : start + (i + 1) * share,
      durationMs: share,
      state: group.states[i],
      chunks: 0,
      next: i === n - 1 ? group.next : group.actions[i + 1]
    }
    out.push(record)
  }
  return out
}

/**
 * One record per step. Trackers no longer receive groups as records (see `StepGroup` and
 * `recordSteps`), so a record stays as it is.
 *
 * @deprecated Records are one per step already; for a `StepGroup`, use `stepsOf`.
 * @category utils
 * @since 0.1.0
 */
export const expand = (record: TrackingRecord): ReadonlyArray<TrackingRecord> => [record]

/**
 * The tracking service.
 *
 * @category services
 * @since 0.1.0
 */
export class Tracking extends Context.Service<Tracking, {
  /** Receives one record; must return quickly and may throw (the throw is logged, not rethrown). */
  readonly record: (record: TrackingRecord) => void
  /**
   * Receives a group of fast steps at once (see `StepGroup`); without it, the loop hands each of
   * the group's steps to `record` as a `StepCompleted`. Grouping is the tracker's business: a
   * tracker that stores steps in bulk implements it, and no consumer ever sees a group.
   */
  readonly recordSteps?: ((group: StepGroup) => void) | undefined
  /**
   * Which steps get a `StepStarted` record: `"always"` (the default: every step timed on its own,
   * and every step that waits), or `"suspended"`: only the steps that wait (their action returned
   * an Effect or a Promise that was still running when the synchronous stretch ended), recorded
   * then. Other steps are told by their `StepCompleted` alone (their start is `at - durationMs`)
   * or their group (`recordSteps`), which spares the loop a record per step.
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
 * The plain-data shape of a graph, as trackers store it (`Graph.shapeOf`).
 *
 * @deprecated Use `Graph.shapeOf`: the shape is the graph's.
 * @example
 * ```ts
 * import { Graph, Tracking } from "@teasel/core"
 * const inc = (s: { n: number }) => ({ n: s.n + 1 })
 * Tracking.shapeOf(Graph.make({ actions: { inc }, transitions: [], entrypoint: "inc" })).entrypoint // "inc"
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const shapeOf: (graph: Graph.Graph<any, string, any, any>) => GraphShape = Graph.shapeOf

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
export const makeMemory = (): { readonly records: ReadonlyArray<TrackingRecord>; readonly layer: Layer.Layer<Tracking> } => {
  const records: Array<TrackingRecord> = []
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
