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
import { Effect } from "effect"
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
  /** Inputs the action needs: a call that lacks one fails the step before the action runs. */
  readonly inputs?: ReadonlyArray<string>
  /** Inputs the action takes when given. */
  readonly optionalInputs?: ReadonlyArray<string>
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

export {
  ActionError,
  type ActionErrorReason,
  ConditionThrew,
  MissingInput,
  MissingWrite,
  NotAnObject,
  Rejected,
  StepLimit,
  Threw,
  UndeclaredWrite,
  UnknownAction
} from "./ActionError.js"

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
  /** Inputs the action needs (see `inputs` on `Action`): checked before it runs. */
  readonly inputs?: ReadonlyArray<InputKey<F>>
  /** Inputs the action takes when given. */
  readonly optionalInputs?: ReadonlyArray<InputKey<F>>
  readonly name?: string
}): F & Meta => {
  const run = options.run as (state: unknown, inputs?: unknown, context?: unknown) => unknown
  const action = ((state: unknown, inputs?: unknown, context?: unknown) => run(state, inputs, context)) as unknown as F
  return withMeta(action, {
    reads: options.reads,
    writes: options.writes,
    optionalWrites: options.optionalWrites,
    inputs: options.inputs,
    optionalInputs: options.optionalInputs,
    contextual: (run as { contextual?: boolean }).contextual,
    name: options.name ?? (run.name || undefined)
  })
}

/** The keys of an action's inputs object (any string when it takes none, or `any`). */
type InputKey<F> = F extends (state: any, inputs: infer I, ...rest: any) => unknown
  ? unknown extends I ? string : keyof NonNullable<I> & string
  : string

/** The metadata `make` attaches to an action. */
type Meta = {
  readonly reads?: ReadonlyArray<string>
  readonly writes?: ReadonlyArray<string>
  readonly optionalWrites?: ReadonlyArray<string>
  readonly inputs?: ReadonlyArray<string>
  readonly optionalInputs?: ReadonlyArray<string>
}

const withMeta = <F extends Function>(
  action: F,
  meta: {
    reads?: ReadonlyArray<string> | undefined
    writes?: ReadonlyArray<string> | undefined
    optionalWrites?: ReadonlyArray<string> | undefined
    inputs?: ReadonlyArray<string> | undefined
    optionalInputs?: ReadonlyArray<string> | undefined
    contextual?: boolean | undefined
    name?: string | undefined
  }
): F & Meta => {
  for (const key of ["inputs", "optionalInputs"] as const) {
    const list = meta[key]
    if (list !== undefined) Object.defineProperty(action, key, { value: Object.freeze([...list]) })
  }
  if (meta.contextual === true) Object.defineProperty(action, "contextual", { value: true })
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
 * Where an action runs: its application (id, partition, and for a child its parent and the
 * parent's step), the step's number and the action's name in the graph.
 *
 * @category models
 * @since 0.2.0
 */
export interface Context {
  readonly appId: string
  readonly partitionKey: string
  /** The step this action runs as (1 for an application's first step). */
  readonly sequenceId: number
  /** The action's name in the graph. */
  readonly action: string
  /** For a child application (a sub-graph or a parallel branch): its parent's id and step. */
  readonly parentId: string | undefined
  readonly parentSequenceId: number | undefined
}

/**
 * A plain (or Promise) action that reads where it runs: `run(state, inputs, context)` receives the
 * step's `Context` as a third argument. Other actions stay plain functions of two arguments. (An
 * Effect action reads it with `Action.context`.)
 *
 * @example
 * ```ts
 * import { Action } from "@teasel/core"
 * const stamp = Action.withContext((s: { log: ReadonlyArray<string> }, _inputs, context) => ({
 *   log: [...s.log, `${context.appId} step ${context.sequenceId} (${context.action})`]
 * }))
 * ```
 * @category constructors
 * @since 0.2.0
 */
export const withContext = <S, I = any, N = S>(
  run: (state: S, inputs: I, context: Context) => N
): ((state: S, inputs: I) => N) & { readonly contextual: true } =>
  withMeta(((state: S, inputs: I, context: Context) => run(state, inputs, context)) as unknown as (state: S, inputs: I) => N, {
    contextual: true,
    name: run.name || undefined
  }) as ((state: S, inputs: I) => N) & { readonly contextual: true }

/**
 * Where the running Effect action runs (its `Context`), for actions that return an Effect.
 * Outside an application it fails with a defect saying so.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Action } from "@teasel/core"
 * const stamp = (s: { log: ReadonlyArray<string> }) =>
 *   Effect.map(Action.context, (context) => ({ log: [...s.log, `${context.appId}:${context.sequenceId}`] }))
 * ```
 * @category context
 * @since 0.2.0
 */
export const context: Effect.Effect<Context> = Effect.flatMap(CurrentStep, (step) =>
  step === undefined
    ? Effect.die(new Error("Action.context: read outside a running application (it is available to an action's Effect while its step runs)"))
    : Effect.succeed({
      appId: step.appId,
      partitionKey: step.partitionKey,
      sequenceId: step.sequenceId,
      action: step.action,
      parentId: step.parentId,
      parentSequenceId: step.parentSequenceId
    }))

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
): ((state: S, inputs?: Partial<I>) => N) & Meta => {
  const run = (state: S, inputs?: Partial<I>, context?: Context): N =>
    (action as (state: S, inputs: I, context?: Context) => N)(state, (inputs === undefined ? bound : { ...bound, ...inputs }) as I, context)
  // The bound inputs are given: they are no longer needed from the call.
  const given = (key: string) => Object.prototype.hasOwnProperty.call(bound, key)
  const needed = (action as Meta).inputs
  return withMeta(run, {
    reads: readsOf(action),
    writes: writesOf(action),
    optionalWrites: optionalWritesOf(action),
    inputs: needed?.filter((key) => !given(key)),
    optionalInputs: needed === undefined && (action as Meta).optionalInputs === undefined
      ? undefined
      : [...((action as Meta).optionalInputs ?? []), ...(needed ?? []).filter(given)],
    contextual: (action as { contextual?: boolean }).contextual,
    name: action.name || undefined
  })
}

export { produce, stream, toEffect } from "./internal/actionKinds.js"
