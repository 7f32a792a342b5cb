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
 * Helpers for plain, immutable state objects.
 *
 * @since 0.1.0
 */
export * as State from "./State.js"

export type { Action as ActionType, ActionError } from "./Action.js"
export type { Application as ApplicationType } from "./Application.js"
export type { Graph as GraphType, GraphError } from "./Graph.js"

/**
 * Parallel steps as combinators: mapStates, mapActions, product, tasks.
 *
 * @since 0.1.0
 */
export * as Parallel from "./Parallel.js"

export { mapActions, mapStates, product, tasks } from "./Parallel.js"
export type { ParallelError } from "./Parallel.js"
