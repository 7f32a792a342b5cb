/**
 * The events an application emits while it runs, as seen by `Application.stream`.
 *
 * Every event carries `appId`; events of child applications (sub-graphs and parallel branches)
 * also carry `parentId`, the id of the application that spawned them. Child events are
 * interleaved into the parent's stream as they happen.
 *
 * @since 0.1.0
 */
import type { Application } from "./Application.js"

/**
 * An action has started: step `sequenceId` (1 for the first step of an application).
 *
 * @category models
 * @since 0.1.0
 */
export interface StepStarted {
  readonly _tag: "StepStarted"
  readonly appId: string
  readonly parentId?: string
  readonly action: string
  readonly sequenceId: number
}

/**
 * A chunk produced by a streaming action (`Action.stream`), emitted as it is produced.
 *
 * @category models
 * @since 0.1.0
 */
export interface Chunk {
  readonly _tag: "Chunk"
  readonly appId: string
  readonly parentId?: string
  readonly action: string
  readonly chunk: unknown
}

/**
 * An action has completed; `state` is the state after it.
 *
 * @category models
 * @since 0.1.0
 */
export interface StepCompleted<S = unknown> {
  readonly _tag: "StepCompleted"
  readonly appId: string
  readonly parentId?: string
  readonly action: string
  readonly sequenceId: number
  readonly state: S
}

/**
 * An action has failed; `error` is the failure (an `ActionError` or the action's own error).
 *
 * @category models
 * @since 0.1.0
 */
export interface StepFailed {
  readonly _tag: "StepFailed"
  readonly appId: string
  readonly parentId?: string
  readonly action: string
  readonly sequenceId: number
  readonly error: unknown
}

/**
 * The last event of a stream: the top-level application has halted or ended.
 *
 * @category models
 * @since 0.1.0
 */
export interface Done<S, K extends string, E, R> {
  readonly _tag: "Done"
  readonly appId: string
  readonly app: Application<S, K, E, R>
}

/**
 * An event of a running application or of one of its children.
 *
 * `StepCompleted.state` is `unknown`: the stream carries the states of children too, whose types
 * differ from the application's. Check `appId` (or `isChild`) before relying on a state's shape.
 *
 * @category models
 * @since 0.1.0
 */
export type Event<S = unknown, K extends string = string, E = unknown, R = unknown> =
  | StepStarted
  | Chunk
  | StepCompleted<unknown>
  | StepFailed
  | Done<S, K, E, R>

/**
 * An event of a child application (it carries `parentId`).
 *
 * @example
 * ```ts
 * import { Event } from "@teasel/core"
 * Event.isChild({ _tag: "StepStarted", appId: "c", parentId: "p", action: "a", sequenceId: 1 }) // true
 * ```
 * @category guards
 * @since 0.1.0
 */
export const isChild = (event: Event<any, any, any, any>): boolean =>
  "parentId" in event && event.parentId !== undefined
