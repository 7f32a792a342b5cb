/**
 * What a running step knows about where it runs, and how the runtime reaches the model.
 *
 * The step loop provides a `StepContext` to every effectful action: streaming actions report their
 * chunks through it, parallel steps and sub-graphs read their place (application, step, action)
 * from it to derive their children's ids, and it carries the listener of child events. None of it
 * appears in the user's requirement types (both are `Context.Reference`s).
 *
 * `ChildRuntime` is how a sub-graph — plain data in the model (`Graph.subgraph`) — is run as a
 * child application: the runtime provides it when an application runs, so that `Graph` imports
 * nothing from the runtime.
 */
import { Context, type Effect } from "effect"
import type { Event } from "../Event.js"

/** Receives the events of a run (its own and its children's); absent when nobody listens. */
export type Emit = (event: Event<any, any, any, any>) => void

export interface StepContext {
  readonly appId: string
  readonly parentId: string | undefined
  /** For a child: the parent's step that made it. */
  readonly parentSequenceId: number | undefined
  readonly partitionKey: string
  readonly sequenceId: number
  readonly action: string
  /** Where this step's children send their events (the run's listener); absent when nobody listens. */
  readonly emit: Emit | undefined
  /** Reports a chunk the step's action produced (`Action.stream`). */
  readonly chunk: (chunk: unknown) => void
}

export const CurrentStep = Context.Reference<StepContext | undefined>("@teasel/core/CurrentStep", {
  defaultValue: () => undefined
})

/** A sub-graph as the runtime needs it: the graph, where to start, where to stop. */
export interface SubGraphSpec {
  readonly graph: { readonly actions: object; readonly entrypoint: string }
  readonly entrypoint: string
  readonly haltAfter: ReadonlyArray<string>
}

/** What the model asks of the runtime. */
export interface ChildRuntime {
  /** Runs `sub` as a child application of `step`, from `state`; succeeds with its final state. */
  readonly runSubgraph: (
    sub: SubGraphSpec,
    state: unknown,
    inputs: object | undefined,
    step: StepContext
  ) => Effect.Effect<unknown, unknown, unknown>
}

export const CurrentChildRuntime = Context.Reference<ChildRuntime | undefined>("@teasel/core/ChildRuntime", {
  defaultValue: () => undefined
})
