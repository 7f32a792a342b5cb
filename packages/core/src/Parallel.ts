/**
 * Parallel steps as combinators.
 *
 * Each combinator returns an action that, when it runs, spawns child applications — one per task
 * — runs them concurrently, and reduces their final states into the parent's next state:
 *
 * - `mapStates(branch, states, reduce)`: one branch over many states;
 * - `mapActions(branches, state, reduce)`: many branches over one state;
 * - `product(branches, states, reduce)`: every branch over every state (branch-major);
 * - `tasks(make, reduce)`: any list of `{ branch, state, inputs?, id? }`.
 *
 * A branch is any action or a `Graph.subgraph(...)`. `reduce` receives the children's final
 * states in task order, whatever order they finish in. Children have deterministic ids (parent
 * id, parent step, action name, task index), their events appear in the parent's stream, and
 * interrupting the parent interrupts them all.
 *
 * @since 0.1.0
 */
import type { Cause, Context, Duration, Effect, Layer, Schedule } from "effect"
import type * as Action from "./Action.js"
import type { ActionError } from "./Action.js"
import * as ChildApp from "./internal/child.js"
import * as Children from "./internal/engine.js"
import * as Step from "./internal/parallelStep.js"
import type * as Persistence from "./Persistence.js"
import type { PersistenceError } from "./Persistence.js"
import type * as Tracking from "./Tracking.js"
import type { ParallelError } from "./ParallelError.js"

/**
 * A child that failed, when `onError: "collect"`.
 *
 * @category models
 * @since 0.1.0
 */
export interface Failure<E = unknown> {
  /** Position of the task. */
  readonly index: number
  /** Id of the child application. */
  readonly id: string
  readonly error: E
}

/**
 * Options shared by every combinator.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options<C> {
  /** How many children may run at once: a number or `"unbounded"` (default; or the parent's). */
  readonly concurrency?: number | "unbounded" | undefined
  /**
   * `"fail"` (default): the first failure interrupts the running siblings and fails the step with
   * a `ParallelError`. `"collect"`: the step goes on; `reduce` gets the successes and the failures.
   */
  readonly onError?: "fail" | "collect" | undefined
  /** Retries each failing child on this schedule. */
  readonly retry?: Schedule.Schedule<unknown, unknown, never, never> | undefined
  /** Fails each child that runs longer than this (a `TimeoutError`, subject to `retry`). */
  readonly timeout?: Duration.Input | undefined
  /**
   * Called as children complete with the results so far, in task order (a view valid during the
   * call). When it returns `true`, the running children are interrupted and `reduce` receives the
   * completed results.
   */
  readonly stopWhen?: ((completed: ReadonlyArray<C>) => boolean) | undefined
  /**
   * Where this step's children are persisted: as the parent (`"inherit"`, the default), not at all
   * (`"off"`), or in a `Persistence` layer of their own. Reaches every descendant of the children.
   * (A layer that fails to build is a defect of the step.)
   */
  readonly persistence?: "inherit" | "off" | Layer.Layer<Persistence.Persistence, unknown, never> | undefined
  /** Where this step's children are tracked: as the parent (default), not at all, or by a `Tracking` layer of their own. */
  readonly tracking?: "inherit" | "off" | Layer.Layer<Tracking.Tracking, unknown, never> | undefined
  /**
   * Who runs this step's children: the parent's executor (`"inherit"`, the default), this process
   * (`"local"`), or an executor of their own (one step on a cluster, the rest of the graph local).
   */
  readonly executor?: "inherit" | "local" | Executor | undefined
}

export type { Source } from "./internal/parallelStep.js"
import type { Source } from "./internal/parallelStep.js"

/**
 * A task of `tasks`: a branch, the state it starts from, optional inputs and an optional id (by
 * default derived from the parent's id, step, action and the task's index).
 *
 * @category models
 * @since 0.1.0
 */
export interface Task<C, B extends Action.Any<C> = Action.Any<C>> {
  readonly branch: B
  readonly state: C
  readonly inputs?: object | undefined
  readonly id?: string | undefined
}

/**
 * What `tasks` passes to `make`: where the parallel step runs.
 *
 * @category models
 * @since 0.1.0
 */
export interface TaskContext {
  readonly appId: string
  readonly sequenceId: number
  readonly partitionKey: string
}

export { ParallelError } from "./ParallelError.js"

/**
 * A child as the executor sees it: addressable by id, with plain-data state and inputs.
 *
 * @category models
 * @since 0.1.0
 */
export interface Child {
  readonly id: string
  readonly index: number
  readonly parentId: string
  readonly parentSequenceId: number
  /** The parallel action of the parent. */
  readonly action: string
  readonly partitionKey: string
  readonly branch: Action.Any<any>
  readonly state: unknown
  readonly inputs: object | undefined
}

/**
 * Runs children. `local` runs the child in this process; an executor may run it elsewhere (the
 * child's id, state and inputs are plain data) and must succeed with the child's final state.
 *
 * @category models
 * @since 0.1.0
 */
export interface Executor {
  readonly run: (child: Child, local: Effect.Effect<unknown, unknown, unknown>) => Effect.Effect<unknown, unknown, unknown>
}

/**
 * The executor of children; `undefined` (the default) runs them in process, finishing synchronous
 * children without a fiber each. Provide another with `Effect.provideService`.
 *
 * @category services
 * @since 0.1.0
 */
export const CurrentExecutor: Context.Reference<Executor | undefined> = Step.CurrentExecutor

export { runChild } from "./internal/handover.js"

/**
 * The concurrency nested parallel steps use when they set none: a parent's `concurrency` reaches
 * its children.
 *
 * @category services
 * @since 0.1.0
 */
export const CurrentConcurrency: Context.Reference<number | "unbounded"> = Step.CurrentConcurrency

type NextError<N> = N extends Effect.Effect<any, infer E, any> ? E : never

type NextContext<N> = N extends Effect.Effect<any, any, infer R> ? R : never

type BranchError<B> = Action.ErrorOf<B> | ActionError | PersistenceError | Cause.TimeoutError

/**
 * The action a combinator returns.
 *
 * @category models
 * @since 0.1.0
 */
export type ParallelAction<S, E, R> = (state: S, inputs?: any) => Effect.Effect<S, E, R>

/**
 * Runs `branch` once per element of `states(state, inputs)` — each element a child state, or a
 * `[state, inputs]` pair — and reduces the children's final states (in task order) into the next
 * state.
 *
 * @example
 * ```ts
 * import { Graph, mapStates } from "@teasel/core"
 * const square = (c: { x: number }) => ({ x: c.x * c.x })
 * const squares = mapStates(
 *   square,
 *   (s: { xs: ReadonlyArray<number>; sum: number }) => s.xs.map((x) => ({ x })),
 *   (s, results) => ({ ...s, sum: results.reduce((n, r) => n + r.x, 0) })
 * )
 * const graph = Graph.make({ actions: { squares }, transitions: [], entrypoint: "squares" })
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const mapStates = <
  S extends object,
  C extends object,
  B extends Action.Any<C>,
  N extends Action.Next<S, any, any>,
  E2 = never,
  R2 = never
>(
  branch: B & Action.Any<C>,
  states: (state: S, inputs: any) => Source<C | readonly [C, object | undefined], E2, R2>,
  reduce: (state: S, results: ReadonlyArray<C>, failures: ReadonlyArray<Failure<BranchError<B>>>) => N,
  options?: Options<C>
): ParallelAction<S, ParallelError<BranchError<B>> | NextError<N> | NoInfer<E2>, Action.ContextOf<B> | NextContext<N> | NoInfer<R2>> =>
  Step.fromTasks(
    (state: S, inputs) =>
      Step.fromSource<C | readonly [C, object | undefined], C>(
        states(state, inputs),
        "mapStates: `states`",
        (all) => Children.overStates([branch], all),
        (element) => Children.isPair(element)
          ? { branch, state: element[0] as C, inputs: element[1], id: undefined }
          : { branch, state: element as C, inputs: undefined, id: undefined }
      ),
    reduce,
    Step.checkOptions("mapStates", options)
  ) as any

/**
 * Runs every branch on the same child state `state(parent)` and reduces their final states (in
 * branch order) into the next state. `branches` is a list or a function of the parent's state.
 *
 * @example
 * ```ts
 * import { mapActions } from "@teasel/core"
 * const double = (c: { n: number }) => ({ n: c.n * 2 })
 * const triple = (c: { n: number }) => ({ n: c.n * 3 })
 * const both = mapActions(
 *   [double, triple],
 *   (s: { n: number; out: ReadonlyArray<number> }) => ({ n: s.n }),
 *   (s, results) => ({ ...s, out: results.map((r) => r.n) })
 * )
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const mapActions = <
  S extends object,
  C extends object,
  B extends Action.Any<C>,
  N extends Action.Next<S, any, any>,
  E2 = never,
  R2 = never
>(
  branches: ReadonlyArray<B & Action.Any<C>> | ((state: S) => Source<B & Action.Any<C>, E2, R2>),
  state: (state: S) => C,
  reduce: (state: S, results: ReadonlyArray<C>, failures: ReadonlyArray<Failure<BranchError<B>>>) => N,
  options?: Options<C>
): ParallelAction<S, ParallelError<BranchError<B>> | NextError<N> | NoInfer<E2>, Action.ContextOf<B> | NextContext<N> | NoInfer<R2>> =>
  Step.fromTasks((parent: S, inputs) => {
    const child = state(parent)
    return Step.fromSource<Action.Any<C>, C>(
      typeof branches === "function" ? branches(parent) : branches,
      "mapActions: `branches`",
      (list) => ({ length: list.length, branch: (i) => list[i]!, state: () => child, inputs: () => inputs, id: () => undefined }),
      (branch) => ({ branch, state: child, inputs, id: undefined })
    )
  }, reduce, Step.checkOptions("mapActions", options)) as any

/**
 * Runs every branch over every state — branch-major: all states of the first branch, then all of
 * the second — and reduces the final states (in that order) into the next state.
 *
 * @example
 * ```ts
 * import { product } from "@teasel/core"
 * const shout = (c: { text: string }) => ({ text: c.text.toUpperCase() })
 * const echo = (c: { text: string }) => ({ text: c.text + c.text })
 * const all = product(
 *   [shout, echo],
 *   (s: { words: ReadonlyArray<string>; out: ReadonlyArray<string> }) => s.words.map((text) => ({ text })),
 *   (s, results) => ({ ...s, out: results.map((r) => r.text) })
 * )
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const product = <
  S extends object,
  C extends object,
  B extends Action.Any<C>,
  N extends Action.Next<S, any, any>,
  E2 = never,
  R2 = never
>(
  branches: ReadonlyArray<B & Action.Any<C>> | ((state: S) => Iterable<B & Action.Any<C>>),
  states: (state: S, inputs: any) => Source<C | readonly [C, object | undefined], E2, R2>,
  reduce: (state: S, results: ReadonlyArray<C>, failures: ReadonlyArray<Failure<BranchError<B>>>) => N,
  options?: Options<C>
): ParallelAction<S, ParallelError<BranchError<B>> | NextError<N> | NoInfer<E2>, Action.ContextOf<B> | NextContext<N> | NoInfer<R2>> =>
  Step.fromTasks((parent: S, inputs) => {
    // Branch-major order needs every state before the first child: the states are collected.
    const all = Children.toArray(typeof branches === "function" ? branches(parent) : branches, "product: `branches`")
    return Step.fromSource<C | readonly [C, object | undefined], C>(
      states(parent, inputs),
      "product: `states`",
      (elements) => Children.overStates(all, elements),
      () => { throw new Error("unreachable: product collects its states") },
      false
    )
  }, reduce, Step.checkOptions("product", options)) as any

/**
 * Runs the tasks `make(state, context)` returns — each `{ branch, state, inputs?, id? }` — and
 * reduces their final states (in task order) into the next state. An `id` names the child
 * application; ids must be unique within the step.
 *
 * @example
 * ```ts
 * import { tasks } from "@teasel/core"
 * type Page = { url: string; body?: string }
 * const fetchPage = (c: Page) => Promise.resolve({ ...c, body: `<${c.url}>` })
 * const crawl = tasks(
 *   (s: { urls: ReadonlyArray<string>; pages: ReadonlyArray<string> }, ctx) =>
 *     s.urls.map((url) => ({ branch: fetchPage, state: { url } as Page, id: `${ctx.appId}/${url}` })),
 *   (s, results) => ({ ...s, pages: results.map((r) => r.body ?? "") })
 * )
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const tasks = <
  S extends object,
  C extends object,
  B extends Action.Any<C>,
  N extends Action.Next<S, any, any>,
  E2 = never,
  R2 = never
>(
  make: (state: S, context: TaskContext) => Source<Task<C, B>, E2, R2>,
  reduce: (state: S, results: ReadonlyArray<C>, failures: ReadonlyArray<Failure<BranchError<B>>>) => N,
  options?: Options<C>
): ParallelAction<S, ParallelError<BranchError<B>> | NextError<N> | NoInfer<E2>, Action.ContextOf<B> | NextContext<N> | NoInfer<R2>> =>
  Step.fromTasks(
    (state: S, _inputs, context) =>
      Step.fromSource<Task<C, B>, C>(
        make(state, context),
        "tasks: `make`",
        (list) => ({
          length: list.length,
          branch: (i) => list[i]!.branch,
          state: (i) => list[i]!.state,
          inputs: (i) => list[i]!.inputs,
          id: (i) => list[i]!.id
        }),
        (task) => ({ branch: task.branch, state: task.state, inputs: task.inputs, id: task.id })
      ),
    reduce,
    Step.checkOptions("tasks", options)
  ) as any

/**
 * The id of a parallel step's child: `${parentId}:${sequenceId}:${action}:${index}` (unless the
 * task gives its own). Pure; the same inputs always give the same id.
 *
 * @example
 * ```ts
 * import { Parallel } from "@teasel/core"
 * Parallel.childId("app", 3, "poems", 0) // "app:3:poems:0"
 * ```
 * @category ids
 * @since 0.1.0
 */
export const childId = (parentId: string, sequenceId: number, action: string, index: number): string =>
  ChildApp.childId(parentId, sequenceId, action, index)
