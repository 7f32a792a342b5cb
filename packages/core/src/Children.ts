/**
 * Full control: child applications started by an action itself, run, streamed, merged, raced or
 * cancelled with ordinary Effect code — the layer the parallel combinators are built on.
 *
 * Inside an action's Effect, `Children.run(branch, state)` is an Effect of a child application's
 * final state and `Children.stream(branch, state)` a Stream of its events. The child belongs to
 * the running step exactly as a combinator's children do: its id is derived from the parent's id,
 * step and action and a key (`{ key }`, or `child-N` for the N-th child the action started in this
 * step — give a key when the order children start in is not fixed), it is linked to its parent,
 * inherits the parent's layers, is persisted and resumed (a finished child is not run again), and
 * is tracked as a child of the step. Interrupting the Effect or stopping the Stream interrupts the
 * child.
 *
 * @since 0.2.0
 */
import { Effect, type Stream } from "effect"
import type * as Action from "./Action.js"
import type { ActionError } from "./Action.js"
import type * as Event from "./Event.js"
import * as ChildApp from "./internal/child.js"
import { eventsOf } from "./internal/events.js"
import type { PersistenceError } from "./Persistence.js"

/**
 * Options of `run` and `stream`: the child's key (its id is `${parent}:${step}:${action}:${key}`)
 * and the inputs of its first action.
 *
 * @category models
 * @since 0.2.0
 */
export interface Options {
  readonly key?: string | number | undefined
  readonly inputs?: object | undefined
}

// What running a child may fail with (not exported: declaration files name it structurally).
type ChildError<B> = Action.ErrorOf<B> | ActionError | PersistenceError

/**
 * Runs `branch` (an action or a `Graph.subgraph`) from `state` as a child application of the
 * running step; succeeds with its final state. Its events reach the parent's `Application.stream`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Children, Graph } from "@teasel/core"
 * const quick = (q: { question: string; answer?: string }) => ({ ...q, answer: "42" })
 * const ask = (s: { question: string; answer: string }) =>
 *   Effect.map(Children.run(quick, { question: s.question }), (child) => ({ ...s, answer: child.answer ?? "" }))
 * const graph = Graph.make({ actions: { ask }, transitions: [], entrypoint: "ask" })
 * const app = await Effect.runPromise(Application.run(Application.make({ graph, state: { question: "?", answer: "" } })))
 * app.state.answer // "42"
 * ```
 * @category running
 * @since 0.2.0
 */
export const run = <C, B extends Action.Any<C>>(
  branch: B & Action.Any<C>,
  state: C,
  options: Options = {}
): Effect.Effect<C, ChildError<B>, Action.ContextOf<B>> =>
  Effect.map(ChildApp.spawn(branch, state, options, (step) => step.emit), ChildApp.stateOf) as Effect.Effect<
    C,
    ChildError<B>,
    Action.ContextOf<B>
  >

/**
 * Runs `branch` from `state` as a child application of the running step, as a `Stream` of its
 * events (`StepStarted`, `Chunk` as they are produced, `StepCompleted`, `StepFailed`, and those of
 * its own children), ending with a `Done` event carrying the child application where it stopped.
 * They also reach the parent's `Application.stream`. Merge several to interleave their chunks as
 * they arrive; stopping the stream interrupts the child.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Action, Children } from "@teasel/core"
 * const words = Action.stream(
 *   (s: { text: string }) => Stream.make("a", "b"),
 *   (s, chunks) => ({ text: chunks.join("") })
 * )
 * // Inside an action: the chunks of two children, interleaved as they arrive.
 * const both = Stream.merge(Children.stream(words, { text: "" }, { key: "x" }), Children.stream(words, { text: "" }, { key: "y" }))
 * ```
 * @category running
 * @since 0.2.0
 */
export const stream = <C, B extends Action.Any<C>>(
  branch: B & Action.Any<C>,
  state: C,
  options: Options = {}
): Stream.Stream<Event.Event, ChildError<B>, Action.ContextOf<B>> =>
  eventsOf((emit) =>
    // The child's events feed this stream and, as any child's, the parent's.
    ChildApp.spawn(branch, state, options, (step) => (event) => {
      emit(event)
      if (step.emit !== undefined) step.emit(event)
    })
  ) as Stream.Stream<Event.Event, ChildError<B>, Action.ContextOf<B>>
