/**
 * Applications: a graph plus a position in it.
 *
 * An application is an immutable value: its state, the next action, the last action and the
 * number of steps completed. Running it returns a new application; the old value never changes,
 * so any application can be kept, compared or run again from where it was.
 *
 * @since 0.1.0
 */
import { Effect, Option } from "effect"
import type { Pipeable } from "effect/Pipeable"
import type { ActionError } from "./Action.js"
import { type Graph, GraphError } from "./Graph.js"
import * as App from "./internal/application.js"
import { unsatisfiedRead } from "./internal/dataflow.js"
import * as Output from "./internal/output.js"
import * as Storable from "./internal/storable.js"
import { NotFound, Persistence, PersistenceError, type Step, Unreadable } from "./Persistence.js"

/**
 * @category symbols
 * @since 0.1.0
 */
export const TypeId: typeof App.TypeId = App.TypeId

/**
 * An application over state `S` with action names `K`; running it may fail with `E` (its
 * effectful actions' errors) and requires `R`.
 *
 * @category models
 * @since 0.1.0
 */
export interface Application<in out S, K extends string = string, out E = never, out R = never> extends Pipeable {
  readonly [App.TypeId]: typeof App.TypeId
  readonly graph: Graph<S, K, E, R>
  /** Identity of the application (a random UUID unless given). */
  readonly id: string
  /** Partition the application belongs to (`""` unless given). */
  readonly partitionKey: string
  /** For a child application (a sub-graph or a parallel branch), the id of its parent. */
  readonly parentId: string | undefined
  /** The current state. */
  readonly state: S
  /** The action that runs next; `undefined` once the application has ended. */
  readonly next: K | undefined
  /** The last action run; `undefined` before the first step. */
  readonly last: K | undefined
  /** Number of steps completed. */
  readonly sequenceId: number
}

/**
 * Everything running an application of graph error `E` can fail with.
 *
 * @category models
 * @since 0.1.0
 */
export type RunError<E> = ActionError | PersistenceError | E

/**
 * Options of `run` and `stream`.
 *
 * @category models
 * @since 0.1.0
 */
export interface RunOptions<K extends string> {
  /** Stop once one of these actions has run. */
  readonly haltAfter?: ReadonlyArray<K> | undefined
  /**
   * Stop when the next action is one of these (it does not run). The first action of the call
   * always runs, so running again continues past the halt.
   */
  readonly haltBefore?: ReadonlyArray<K> | undefined
  /** Inputs of the first action this call runs. */
  readonly inputs?: object | undefined
  /**
   * At most this many steps in this call (like LangGraph's `recursionLimit`): the step after the
   * last one allowed fails with an `ActionError` of reason `StepLimit` naming the limit and the
   * action that would have run, instead of looping forever.
   */
  readonly maxSteps?: number | undefined
}

/**
 * A fresh application of `graph` starting from `state`, at the graph's entrypoint (or at
 * `entrypoint`).
 *
 * @example
 * ```ts
 * import { Application, Graph } from "@teasel/core"
 * const inc = (s: { count: number }) => ({ count: s.count + 1 })
 * const graph = Graph.make({ actions: { inc }, transitions: [], entrypoint: "inc" })
 * const app = Application.make({ graph, state: { count: 0 }, id: "counter-1" })
 * app.next // "inc"
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = <S, K extends string, E, R>(options: {
  readonly graph: Graph<S, K, E, R>
  readonly state: NoInfer<S>
  readonly id?: string | undefined
  readonly partitionKey?: string | undefined
  readonly entrypoint?: NoInfer<K> | undefined
}): Application<S, K, E, R> => {
  const entrypoint = options.entrypoint ?? options.graph.entrypoint
  if (!Object.prototype.hasOwnProperty.call(options.graph.actions, entrypoint)) {
    throw new GraphError({
      message: `Application.make: unknown entrypoint "${entrypoint}"; known actions: ${Object.keys(options.graph.actions).join(", ")}`,
      action: entrypoint
    })
  }
  const unsatisfied = typeof options.state === "object" && options.state !== null
    ? unsatisfiedRead(options.graph, entrypoint, Object.keys(options.state))
    : undefined
  if (unsatisfied !== undefined) {
    throw new GraphError({
      message: `Application.make: action "${unsatisfied.action}" reads "${unsatisfied.key}", which no action before it writes and the initial state lacks` +
        ` (available there: ${unsatisfied.available.length === 0 ? "nothing" : unsatisfied.available.join(", ")})`,
      action: unsatisfied.action
    })
  }
  const identity = { graph: options.graph, id: options.id ?? crypto.randomUUID(), partitionKey: options.partitionKey ?? "", parentId: undefined }
  return App.start(identity, options.state, entrypoint)
}

/**
 * Whether `u` is an application.
 *
 * @category guards
 * @since 0.1.0
 */
export const isApplication: (u: unknown) => u is Application<unknown, string, unknown, unknown> = App.isApplication

export {
  events,
  type NeedsLayer,
  run,
  runPromise,
  type RunPromiseOptions,
  step,
  stream
} from "./internal/running.js"

/**
 * The application `id` at its last persisted step, ready to continue; or a fresh one starting
 * from `state` when nothing is persisted for it.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Application, Graph, Persistence } from "@teasel/core"
 * const inc = (s: { count: number }) => ({ count: s.count + 1 })
 * const graph = Graph.make({ actions: { inc }, transitions: [["inc", "inc"]], entrypoint: "inc" })
 * const program = Effect.gen(function*() {
 *   const app = yield* Application.load({ graph, id: "counter", state: { count: 0 } })
 *   return yield* Application.run(app, { haltAfter: ["inc"] })
 * }).pipe(Effect.provide(Persistence.layerMemory))
 * ```
 * @category persistence
 * @since 0.1.0
 */
export const load = <S, K extends string, E, R>(options: {
  readonly graph: Graph<S, K, E, R>
  readonly id: string
  readonly state: NoInfer<S>
  readonly partitionKey?: string | undefined
}): Effect.Effect<Application<S, K, E, R>, PersistenceError, Persistence> => {
  const partitionKey = options.partitionKey ?? ""
  return Persistence.use((store) =>
    Effect.flatMap(Storable.load(store, { appId: options.id, partitionKey }), (saved) =>
      saved === undefined
        ? Effect.succeed(make({ graph: options.graph, state: options.state, id: options.id, partitionKey }))
        : fromStep(options.graph, saved, options.id)))
}

/**
 * A new application (id `id`, or a random UUID) that starts from the persisted step
 * `from.sequenceId` of application `from.id`. The fork's first record points back at its source;
 * the source is never modified.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Application, Graph } from "@teasel/core"
 * declare const graph: Graph.Graph<{ count: number }, "inc">
 * const forked = Application.fork({ graph, from: { id: "counter", sequenceId: 3 }, id: "counter-b" })
 * ```
 * @category persistence
 * @since 0.1.0
 */
export const fork = <S, K extends string, E, R>(options: {
  readonly graph: Graph<S, K, E, R>
  readonly from: { readonly id: string; readonly sequenceId: number; readonly partitionKey?: string | undefined }
  readonly id?: string | undefined
}): Effect.Effect<Application<S, K, E, R>, PersistenceError, Persistence> => {
  const partitionKey = options.from.partitionKey ?? ""
  const id = options.id ?? crypto.randomUUID()
  return Persistence.use((store) =>
    Effect.flatMap(Storable.load(store, { appId: options.from.id, partitionKey, sequenceId: options.from.sequenceId }), (saved) => {
      if (saved === undefined) {
        return Effect.fail(
          new PersistenceError({
            reason: new NotFound(),
            appId: options.from.id,
            partitionKey,
            sequenceId: options.from.sequenceId,
            message:
              `Application.fork: application "${options.from.id}" (partition "${partitionKey}") has no saved step ${options.from.sequenceId}`
          })
        )
      }
      const base: Step = {
        ...saved,
        appId: id,
        parentId: undefined,
        forkedFrom: { appId: saved.appId, sequenceId: saved.sequenceId },
        createdAt: Date.now()
      }
      return Effect.flatMap(store.save(base), () => fromStep(options.graph, base, id))
    }))
}

/**
 * The saved steps of application `id` (of `partitionKey`, `""` by default), oldest first: each
 * step's sequence id, the action that completed, the next action, the state after it and when it
 * was saved (LangGraph's `getStateHistory`). Empty when nothing is saved. A fork's history starts
 * at the step it was forked from.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Application, Graph, Persistence } from "@teasel/core"
 * const inc = (s: { count: number }) => ({ count: s.count + 1 })
 * const graph = Graph.make({ actions: { inc }, transitions: [["inc", "inc", (s) => s.count < 3]], entrypoint: "inc" })
 * const steps = await Effect.runPromise(
 *   Effect.gen(function*() {
 *     yield* Application.run(Application.make({ graph, state: { count: 0 }, id: "c" }))
 *     return yield* Application.history({ id: "c" })
 *   }).pipe(Effect.provide(Persistence.layerMemory))
 * )
 * steps.map((s) => [s.sequenceId, s.action, s.state]) // [[1, "inc", { count: 1 }], [2, "inc", { count: 2 }], [3, "inc", { count: 3 }]]
 * ```
 * @category persistence
 * @since 0.2.0
 */
export const history = (options: {
  readonly id: string
  readonly partitionKey?: string | undefined
}): Effect.Effect<ReadonlyArray<Step>, PersistenceError, Persistence> => {
  const query = { appId: options.id, partitionKey: options.partitionKey ?? "" }
  return Persistence.use((store) =>
    Effect.flatMap(Storable.load(store, query), (latest) => {
      if (latest === undefined) return Effect.succeed([])
      const ids = Array.from({ length: latest.sequenceId }, (_, i) => i + 1)
      return Effect.map(
        Effect.forEach(ids, (sequenceId) => Storable.load(store, { ...query, sequenceId }), { concurrency: 8 }),
        (steps) => steps.filter((step): step is Step => step !== undefined)
      )
    }))
}

/**
 * The application with its state edited, at the same position (LangGraph's `updateState`): its
 * next action is unchanged, and with a `Persistence` layer the edit is saved as a new step — of
 * the last action, or of `as` — so that `load`, `fork` and `history` see it. `change` is the new
 * state or a function of the current one; the new state is checked as an action's output is.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Application, Graph, Persistence } from "@teasel/core"
 * const draft = (s: { text: string; approved: boolean }) => ({ ...s, text: "a draft" })
 * const graph = Graph.make({ actions: { draft, send: (s: { text: string; approved: boolean }) => s }, transitions: [["draft", "send"]], entrypoint: "draft" })
 * const program = Effect.gen(function*() {
 *   const waiting = yield* Application.run(Application.make({ graph, state: { text: "", approved: false }, id: "post" }), { haltBefore: ["send"] })
 *   const edited = yield* Application.update(waiting, (s) => ({ ...s, text: "a better draft" }))
 *   return (yield* Application.load({ graph, id: "post", state: { text: "", approved: false } })).state.text // "a better draft"
 * }).pipe(Effect.provide(Persistence.layerMemory))
 * ```
 * @category persistence
 * @since 0.2.0
 */
export const update = <S, K extends string, E, R>(
  app: Application<S, K, E, R>,
  change: NoInfer<S> | ((state: S) => NoInfer<S>),
  options: { readonly as?: NoInfer<K> | undefined } = {}
): Effect.Effect<Application<S, K, E, R>, PersistenceError | ActionError> =>
  Effect.flatMap(Effect.serviceOption(Persistence), (store): Effect.Effect<Application<S, K, E, R>, PersistenceError | ActionError> => {
    const state = typeof change === "function" ? (change as (state: S) => S)(app.state) : change
    const action = options.as ?? app.last
    const sequenceId = app.sequenceId + 1
    const problem = Output.check(app.state, state, undefined)
    if (problem !== undefined) return Effect.fail(Output.actionError(app.id, action ?? "update", sequenceId, problem))
    const edited = App.make(app, { state, next: app.next, last: action, sequenceId }) as Application<S, K, E, R>
    if (Option.isNone(store)) return Effect.succeed(edited)
    return Effect.as(
      store.value.save({
        appId: app.id,
        partitionKey: app.partitionKey,
        sequenceId,
        action,
        next: app.next,
        state,
        parentId: app.parentId,
        createdAt: Date.now()
      }),
      edited
    )
  })

const fromStep = <S, K extends string, E, R>(
  graph: Graph<S, K, E, R>,
  saved: Step,
  id: string
): Effect.Effect<Application<S, K, E, R>, PersistenceError> => {
  for (const name of [saved.next, saved.action]) {
    if (name !== undefined && !Object.prototype.hasOwnProperty.call(graph.actions, name)) {
      return Effect.fail(
        new PersistenceError({
          reason: new Unreadable({}),
          appId: id,
          partitionKey: saved.partitionKey,
          sequenceId: saved.sequenceId,
          message:
            `Application "${id}" (step ${saved.sequenceId}) was saved at action "${name}", which this graph does not have`
        })
      )
    }
  }
  return Effect.succeed(App.make(
    { graph, id, partitionKey: saved.partitionKey, parentId: saved.parentId },
    { state: saved.state, next: saved.next, last: saved.action, sequenceId: saved.sequenceId }
  ))
}
