/**
 * Actions: the steps of an application.
 *
 * An action is a plain function `(state, inputs) => next`, where `next` is the next state, a
 * `Promise` of it, or an `Effect` of it. The error and requirement types of an effectful action
 * flow into the types of the graph and of `Application.run`. The helpers here attach metadata
 * (`make`), build actions from immer recipes (`produce`), pre-fill inputs (`bind`) and build
 * streaming actions (`stream`).
 *
 * @since 0.1.0
 */
import { Data, Effect, Predicate, Stream } from "effect"
import { produce as immerProduce, type Draft } from "immer"
import { CurrentStep } from "./internal/context.js"

/**
 * What an action returns: the next state, a promise of it, or an effect of it.
 *
 * @category models
 * @since 0.1.0
 */
export type Next<S, E = never, R = never> = S | PromiseLike<S> | Effect.Effect<S, E, R>

/**
 * An action over state `S`, failing with `E` and requiring `R` when it returns an `Effect`.
 * `inputs` is an object, or `undefined` when none is given.
 *
 * @category models
 * @since 0.1.0
 */
export interface Action<in out S, out E = never, out R = never> {
  (state: S, inputs?: any): Next<S, E, R>
  /** Keys the action reads (documentation, shown by tracking). */
  readonly reads?: ReadonlyArray<string>
  /**
   * Keys the action writes: writing any other key fails the step, and so does a result lacking one
   * of them (unless it is in `optionalWrites`).
   */
  readonly writes?: ReadonlyArray<string>
  /** Keys of `writes` the result may lack (the action may remove them). */
  readonly optionalWrites?: ReadonlyArray<string>
}

/**
 * Any action over state `S`, whatever its error and requirements: the constraint used where
 * actions are collected (graphs, parallel branches).
 *
 * @category models
 * @since 0.1.0
 */
export type Any<S> = (state: S, inputs?: any) => Next<S, any, any>

/**
 * The error type of an action (or of a union of actions): `never` unless it returns an `Effect`.
 *
 * @category type-level
 * @since 0.1.0
 */
export type ErrorOf<A> = A extends (...args: any) => infer N
  ? N extends Effect.Effect<any, infer E, any> ? E : never
  : never

/**
 * The requirement type of an action (or of a union of actions).
 *
 * @category type-level
 * @since 0.1.0
 */
export type ContextOf<A> = A extends (...args: any) => infer N
  ? N extends Effect.Effect<any, any, infer R> ? R : never
  : never

/**
 * Why a step failed: the action threw.
 *
 * @category errors
 * @since 0.2.0
 */
export class Threw extends Data.TaggedClass("Threw")<{ readonly cause: unknown }> {}

/**
 * Why a step failed: the action's promise rejected.
 *
 * @category errors
 * @since 0.2.0
 */
export class Rejected extends Data.TaggedClass("Rejected")<{ readonly cause: unknown }> {}

/**
 * Why a step failed: the action returned something that is not a state object (`found` says
 * what it was).
 *
 * @category errors
 * @since 0.2.0
 */
export class NotAnObject extends Data.TaggedClass("NotAnObject")<{ readonly found: string }> {}

/**
 * Why a step failed: the action changed keys outside its declared `writes`.
 *
 * @category errors
 * @since 0.2.0
 */
export class UndeclaredWrite extends Data.TaggedClass("UndeclaredWrite")<{
  /** The keys it added, removed or replaced without declaring them. */
  readonly keys: ReadonlyArray<string>
  /** Its declared `writes`. */
  readonly writes: ReadonlyArray<string>
}> {}

/**
 * Why a step failed: the action's result lacks keys it declares in its `writes` (and not in its
 * `optionalWrites`).
 *
 * @category errors
 * @since 0.2.0
 */
export class MissingWrite extends Data.TaggedClass("MissingWrite")<{
  /** The declared keys missing from the result. */
  readonly keys: ReadonlyArray<string>
}> {}

/**
 * Why a step failed: the call ran `maxSteps` steps already (`Application.run`'s option), and this
 * one would exceed the limit. The step did not run.
 *
 * @category errors
 * @since 0.2.0
 */
export class StepLimit extends Data.TaggedClass("StepLimit")<{ readonly limit: number }> {}

/**
 * Why a step failed: the application's next action is not an action of its graph.
 *
 * @category errors
 * @since 0.2.0
 */
export class UnknownAction extends Data.TaggedClass("UnknownAction")<{}> {}

/**
 * Why a step failed: the action completed, but a transition condition out of it threw.
 *
 * @category errors
 * @since 0.2.0
 */
export class ConditionThrew extends Data.TaggedClass("ConditionThrew")<{ readonly cause: unknown }> {}

/**
 * Why a step failed, each reason with its own fields (`_tag` tells which).
 *
 * @category errors
 * @since 0.2.0
 */
export type ActionErrorReason =
  | Threw
  | Rejected
  | NotAnObject
  | UndeclaredWrite
  | MissingWrite
  | UnknownAction
  | ConditionThrew
  | StepLimit

/**
 * A step failed for a reason that is not the action's own typed error: the action threw, its
 * promise rejected, it returned something that is not an object, it wrote a key outside its
 * declared `writes`, it was not found, or a transition condition out of it threw. `reason` says
 * which (a tagged class with its own fields).
 *
 * @example
 * ```ts
 * import { Effect, Exit } from "effect"
 * import { Application, Graph } from "@teasel/core"
 * const graph = Graph.make({ actions: { bad: (_: { n: number }) => { throw new Error("no") } }, transitions: [], entrypoint: "bad" })
 * const exit = await Effect.runPromiseExit(Application.run(Application.make({ graph, state: { n: 0 } }), {}))
 * // exit fails with ActionError { action: "bad", sequenceId: 1, reason: Threw { cause: Error("no") } }
 * ```
 * @category errors
 * @since 0.1.0
 */
export class ActionError extends Data.TaggedError("ActionError")<{
  /** Name of the action that failed. */
  readonly action: string
  /** Id of the application that ran it. */
  readonly appId: string
  /** The step that failed (1 for the first step of the application). */
  readonly sequenceId: number
  /** What went wrong. */
  readonly reason: ActionErrorReason
  readonly message: string
  /** The thrown or rejected value, when there is one. */
  readonly cause?: unknown
}> {}

/**
 * Attaches metadata to an action function. When `writes` is given, writing any other key fails
 * the step with an `ActionError`.
 *
 * @example
 * ```ts
 * import { Action } from "@teasel/core"
 * const inc = Action.make({
 *   name: "inc",
 *   reads: ["count"],
 *   writes: ["count"],
 *   run: (s: { count: number }) => ({ ...s, count: s.count + 1 })
 * })
 * inc({ count: 1 }) // { count: 2 }
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = <F extends (state: any, inputs?: any) => unknown>(options: {
  readonly run: F
  readonly reads?: ReadonlyArray<keyof Parameters<F>[0] & string>
  readonly writes?: ReadonlyArray<keyof Parameters<F>[0] & string>
  /** Keys of `writes` that the result may lack (the action may remove them). */
  readonly optionalWrites?: ReadonlyArray<keyof Parameters<F>[0] & string>
  readonly name?: string
}): F & Meta => {
  const run = options.run
  const action = ((state: unknown, inputs?: unknown) => run(state, inputs)) as unknown as F
  return withMeta(action, {
    reads: options.reads,
    writes: options.writes,
    optionalWrites: options.optionalWrites,
    name: options.name ?? (run.name || undefined)
  })
}

/** The metadata `make` attaches to an action. */
type Meta = {
  readonly reads?: ReadonlyArray<string>
  readonly writes?: ReadonlyArray<string>
  readonly optionalWrites?: ReadonlyArray<string>
}

const withMeta = <F extends Function>(
  action: F,
  meta: {
    reads?: ReadonlyArray<string> | undefined
    writes?: ReadonlyArray<string> | undefined
    optionalWrites?: ReadonlyArray<string> | undefined
    name?: string | undefined
  }
): F & Meta => {
  if (meta.reads !== undefined) Object.defineProperty(action, "reads", { value: Object.freeze([...meta.reads]) })
  if (meta.writes !== undefined) Object.defineProperty(action, "writes", { value: Object.freeze([...meta.writes]) })
  if (meta.optionalWrites !== undefined) {
    Object.defineProperty(action, "optionalWrites", { value: Object.freeze([...meta.optionalWrites]) })
  }
  if (meta.name !== undefined) Object.defineProperty(action, "name", { value: meta.name })
  return action
}

/**
 * The `writes` declared on an action, if any.
 *
 * @category getters
 * @since 0.1.0
 */
export const writesOf = (action: Function): ReadonlyArray<string> | undefined =>
  (action as { writes?: ReadonlyArray<string> }).writes

/**
 * The `optionalWrites` declared on an action, if any: keys of its `writes` its result may lack.
 *
 * @category getters
 * @since 0.2.0
 */
export const optionalWritesOf = (action: Function): ReadonlyArray<string> | undefined =>
  (action as { optionalWrites?: ReadonlyArray<string> }).optionalWrites

/**
 * The `reads` declared on an action, if any.
 *
 * @category getters
 * @since 0.1.0
 */
export const readsOf = (action: Function): ReadonlyArray<string> | undefined =>
  (action as { reads?: ReadonlyArray<string> }).reads

/**
 * An action from an immer recipe: `recipe(draft, inputs)` mutates a draft of the state; the
 * result is a new state sharing every untouched part with the old one. The draft's type is the
 * state type (annotate it; immer makes the result immutable at run time).
 *
 * @example
 * ```ts
 * import { Action } from "@teasel/core"
 * const push = Action.produce((draft: { items: Array<string> }, inputs: { item: string }) => {
 *   draft.items.push(inputs.item)
 * })
 * push({ items: [] }, { item: "a" }) // { items: ["a"] }
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const produce = <S extends object, I = undefined>(
  recipe: (draft: S, inputs: I) => void | S
): (state: S, inputs?: I) => S =>
  (state, inputs) => immerProduce(state, (draft) => recipe(draft as S, inputs as I) as Draft<S> | void) as S

/**
 * An action whose inputs are pre-filled: `bound` is merged under the inputs of each call (the
 * call's own inputs win). Metadata of `action` is kept.
 *
 * @example
 * ```ts
 * import { Action } from "@teasel/core"
 * const add = (s: { n: number }, i: { by: number }) => ({ n: s.n + i.by })
 * const addTwo = Action.bind(add, { by: 2 })
 * addTwo({ n: 1 }) // { n: 3 }
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const bind = <S, I extends object, N>(
  action: (state: S, inputs: I) => N,
  bound: Partial<I>
): (state: S, inputs?: Partial<I>) => N => {
  const run = (state: S, inputs?: Partial<I>): N =>
    action(state, (inputs === undefined ? bound : { ...bound, ...inputs }) as I)
  return withMeta(run, {
    reads: readsOf(action),
    writes: writesOf(action),
    optionalWrites: optionalWritesOf(action),
    name: action.name || undefined
  })
}

/**
 * A streaming action: `run(state, inputs)` returns a `Stream` of chunks, emitted to
 * `Application.stream` as they are produced (as `Chunk` events); once the stream ends,
 * `finish(state, chunks)` returns the next state.
 *
 * @example
 * ```ts
 * import { Stream } from "effect"
 * import { Action } from "@teasel/core"
 * const words = Action.stream(
 *   (s: { text: string }) => Stream.fromIterable(["hello", " ", "world"]),
 *   (s, chunks) => ({ ...s, text: chunks.join("") })
 * )
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const stream = <S, C, E1 = never, R1 = never, E2 = never, R2 = never, I = any>(
  run: (state: S, inputs: I) => Stream.Stream<C, E1, R1>,
  finish: (state: S, chunks: ReadonlyArray<C>) => S | PromiseLike<S> | Effect.Effect<S, E2, R2>
): (state: S, inputs?: I) => Effect.Effect<S, E1 | E2, R1 | R2> =>
  (state, inputs) =>
    CurrentStep.use((step) => {
      const chunks: Array<C> = []
      const collect = Stream.runForEach(run(state, inputs as I), (chunk) =>
        Effect.sync(() => {
          chunks.push(chunk)
          if (step !== undefined) step.chunk(chunk)
        }))
      return Effect.flatMap(collect, () => toEffect(finish(state, chunks)))
    })

/**
 * What an action (or a reduce) returned, as an Effect: an Effect as it is, a Promise awaited (a
 * rejection is a defect, which the step loop reports as an `ActionError`), a state succeeded.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Action } from "@teasel/core"
 * await Effect.runPromise(Action.toEffect(Promise.resolve({ n: 1 }))) // { n: 1 }
 * ```
 * @category conversions
 * @since 0.1.0
 */
export const toEffect = <S, E, R>(next: Next<S, E, R>): Effect.Effect<S, E, R> => {
  if (Effect.isEffect(next)) return next
  if (Predicate.isPromiseLike(next)) return Effect.promise(() => next)
  return Effect.succeed(next)
}
