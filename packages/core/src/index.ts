/**
 * Teasel: applications as state machines, with safe parallel parts, on the Effect runtime.
 *
 * @since 0.1.0
 */

/**
 * Actions: plain functions `(state, inputs) => next state` (or a Promise / Effect of one).
 *
 * @since 0.1.0
 */
export * as Action from "./Action.js"

/**
 * Applications: a graph plus a position; step, run, stream.
 *
 * @since 0.1.0
 */
export * as Application from "./Application.js"

/**
 * Full control: child applications an action starts itself, run or streamed with ordinary Effect
 * code.
 *
 * @since 0.2.0
 */
export * as Children from "./Children.js"

/**
 * Events emitted by running applications.
 *
 * @since 0.1.0
 */
export * as Event from "./Event.js"

/**
 * Graphs: actions joined by guarded transitions.
 *
 * @since 0.1.0
 */
export * as Graph from "./Graph.js"

/**
 * Persistence: the service, its in-memory layer and the JSON encoding every backend shares.
 *
 * @since 0.1.0
 */
export * as Persistence from "./Persistence.js"

/**
 * Helpers for plain, immutable state objects.
 *
 * @since 0.1.0
 */
export * as State from "./State.js"

export { ActionError } from "./Action.js"
export type { Action as ActionType } from "./Action.js"
export type { Application as ApplicationType } from "./Application.js"
export { GraphError } from "./Graph.js"
export type { Graph as GraphType } from "./Graph.js"

/**
 * Parallel steps as combinators: mapStates, mapActions, product, tasks.
 *
 * @since 0.1.0
 */
export * as Parallel from "./Parallel.js"

/**
 * Tracking: what applications do, reported to a tracker service.
 *
 * @since 0.1.0
 */
export * as Tracking from "./Tracking.js"

export { mapActions, mapStates, product, tasks } from "./Parallel.js"
export { ParallelError } from "./Parallel.js"
export { PersistenceError } from "./Persistence.js"
