/**
 * Applications: a graph plus a position in it.
 *
 * An application is an immutable value: its state, the next action, the last action and the
 * number of steps completed. Running it returns a new application; the old value never changes,
 * so any application can be kept, compared or run again from where it was.
 *
 * @since 0.1.0
 */
import { Effect, type Layer, Queue, Stream } from "effect"
import { dual } from "effect/Function"
import type { Pipeable } from "effect/Pipeable"
import type { ActionError } from "./Action.js"
import type * as Event from "./Event.js"
import { type Graph, GraphError } from "./Graph.js"
import * as App from "./internal/application.js"
import * as ChildApp from "./internal/child.js"
import type { Emit } from "./internal/context.js"
import { unsatisfiedRead } from "./internal/dataflow.js"
import * as Loop from "./internal/loop.js"
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

/**
 * Runs exactly one action (the next one) and returns the application after it. For an application
 * that has ended, the result equals the input (same state, same position).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Graph } from "@teasel/core"
 * const inc = (s: { count: number }) => ({ count: s.count + 1 })
 * const graph = Graph.make({ actions: { a: inc, b: inc }, transitions: [["a", "b"]], entrypoint: "a" })
 * const app = await Effect.runPromise(Application.step(Application.make({ graph, state: { count: 0 } })))
 * app.state // { count: 1 }
 * app.next // "b"
 * ```
 * @category running
 * @since 0.1.0
 */
export const step: {
  (options?: { readonly inputs?: object | undefined }): <S, K extends string, E, R>(
    app: Application<S, K, E, R>
  ) => Effect.Effect<Application<S, K, E, R>, RunError<E>, R>
  <S, K extends string, E, R>(
    app: Application<S, K, E, R>,
    options?: { readonly inputs?: object | undefined }
  ): Effect.Effect<Application<S, K, E, R>, RunError<E>, R>
} = dual(
  (args) => App.isApplication(args[0]),
  (app: Application<any, any, any, any>, options?: { readonly inputs?: object | undefined }) =>
    runLoop(app, { inputs: options?.inputs, maxSteps: 1 }, undefined)
) as any

/**
 * Runs until an action in `haltAfter` has run, the next action is in `haltBefore` (it does not
 * run), or the graph ends. `inputs` go to the first action this call runs.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Graph } from "@teasel/core"
 * const inc = (s: { count: number }) => ({ count: s.count + 1 })
 * const graph = Graph.make({
 *   actions: { a: inc, b: inc, done: (s) => s },
 *   transitions: [["a", "b"], ["b", "done", (s) => s.count >= 10], ["b", "a"]],
 *   entrypoint: "a"
 * })
 * const app = await Effect.runPromise(Application.run(Application.make({ graph, state: { count: 0 } }), { haltAfter: ["done"] }))
 * app.state.count // 10
 * ```
 * @category running
 * @since 0.1.0
 */
export const run: {
  <K extends string>(options?: RunOptions<NoInfer<K>>): <S, E, R>(
    app: Application<S, K, E, R>
  ) => Effect.Effect<Application<S, K, E, R>, RunError<E>, R>
  <S, K extends string, E, R>(
    app: Application<S, K, E, R>,
    options?: RunOptions<NoInfer<K>>
  ): Effect.Effect<Application<S, K, E, R>, RunError<E>, R>
} = dual(
  (args) => App.isApplication(args[0]),
  (app: Application<any, any, any, any>, options?: RunOptions<string>) =>
    runLoop(app, loopOptions(app, options, "Application.run"), undefined)
) as any

/**
 * Runs like `run`, as a `Stream` of events: `StepStarted`, `Chunk` (from streaming actions, as
 * produced), `StepCompleted` and `StepFailed`, for the application and — interleaved as they
 * happen, with `parentId` — for its children, ending with a `Done` event that carries the final
 * application. A failing step fails the stream after its `StepFailed` event.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Application, Graph } from "@teasel/core"
 * const inc = (s: { count: number }) => ({ count: s.count + 1 })
 * const graph = Graph.make({ actions: { a: inc, b: inc }, transitions: [["a", "b"]], entrypoint: "a" })
 * const events = await Effect.runPromise(Stream.runCollect(Application.stream(Application.make({ graph, state: { count: 0 } }))))
 * events.map((e) => e._tag) // ["StepStarted", "StepCompleted", "StepStarted", "StepCompleted", "Done"]
 * ```
 * @category running
 * @since 0.1.0
 */
export const stream: {
  <K extends string>(options?: RunOptions<NoInfer<K>>): <S, E, R>(
    app: Application<S, K, E, R>
  ) => Stream.Stream<Event.Event<S, K, E, R>, RunError<E>, R>
  <S, K extends string, E, R>(
    app: Application<S, K, E, R>,
    options?: RunOptions<NoInfer<K>>
  ): Stream.Stream<Event.Event<S, K, E, R>, RunError<E>, R>
} = dual(
  (args) => App.isApplication(args[0]),
  (app: Application<any, any, any, any>, options?: RunOptions<string>) => {
    const checked = loopOptions(app, options, "Application.stream")
    return Stream.callback<Event.Event<any, any, any, any>, unknown, unknown>((queue) =>
      Effect.flatMap(
        runLoop(app, checked, (event) => {
          Queue.offerUnsafe(queue, event)
        }),
        (final) =>
          Effect.sync(() => {
            Queue.offerUnsafe(queue, { _tag: "Done", appId: final.id, app: final })
            Queue.endUnsafe(queue)
          })
      ))
  }
) as any

/**
 * What `runPromise` asks of an application that requires services: a `layer` providing them.
 * The message a type error shows when it is missing.
 *
 * @category models
 * @since 0.2.0
 */
export type NeedsLayer<R> = `Application.runPromise: this application requires services (${ServiceNames<R>}); pass { layer } providing them`

type ServiceNames<R> = R extends { readonly key: infer Key extends string } ? Key : R extends { readonly _tag: infer T extends string } ? T : "a service"

/**
 * Options of `runPromise`: those of `run`, and a `layer` providing what the application requires
 * (its services, and `Persistence` or `Tracking` if you want them: for example
 * `SqlPersistence.layerSqlite({ filename: "app.db" })` from `@teasel/sql`).
 *
 * @category models
 * @since 0.2.0
 */
export interface RunPromiseOptions<K extends string, R> extends RunOptions<K> {
  readonly layer?: Layer.Layer<R, unknown, never> | undefined
}

/**
 * `run` for code that does not use Effect: a `Promise` of the final application, rejected with
 * the step's error. An application that requires services needs them from `layer` (a type error
 * says so otherwise); `layer` may also add persistence or tracking to any application.
 *
 * @example
 * ```ts
 * import { Application, Graph } from "@teasel/core"
 * const inc = (s: { count: number }) => ({ count: s.count + 1 })
 * const graph = Graph.make({ actions: { inc }, transitions: [], entrypoint: "inc" })
 * const app = await Application.runPromise(Application.make({ graph, state: { count: 0 } }))
 * app.state.count // 1
 * ```
 * @category running
 * @since 0.1.0
 */
export const runPromise: {
  <S, K extends string, E, R>(
    app: Application<S, K, E, R>,
    options: RunPromiseOptions<NoInfer<K>, R> & { readonly layer: Layer.Layer<R, unknown, never> }
  ): Promise<Application<S, K, E, R>>
  <S, K extends string, E, R>(
    app: [R] extends [never] ? Application<S, K, E, R> : NeedsLayer<R>,
    options?: RunOptions<NoInfer<K>>
  ): Promise<Application<S, K, E, R>>
} = ((app: Application<any, any, any, any>, options?: RunPromiseOptions<string, any>): Promise<any> => {
  const program = run(app, options) as Effect.Effect<Application<any, any, any, any>, unknown, never>
  return Effect.runPromise(options?.layer === undefined ? program : Effect.provide(program, options.layer as unknown as Layer.Layer<never>))
}) as any

/**
 * The events of a run as an `AsyncIterable`, for `for await` in code that does not use Effect:
 * those of `stream`, ending with `Done`. The run starts when iteration starts and is interrupted
 * when the loop stops early. `layer` provides what the application requires, as for `runPromise`.
 *
 * @example
 * ```ts
 * import { Application, Graph } from "@teasel/core"
 * const inc = (s: { count: number }) => ({ count: s.count + 1 })
 * const graph = Graph.make({ actions: { a: inc, b: inc }, transitions: [["a", "b"]], entrypoint: "a" })
 * for await (const event of Application.events(Application.make({ graph, state: { count: 0 } }))) {
 *   console.log(event._tag) // StepStarted, StepCompleted, StepStarted, StepCompleted, Done
 * }
 * ```
 * @category running
 * @since 0.2.0
 */
export const events = <S, K extends string, E, R = never>(
  app: Application<S, K, E, R>,
  options?: RunPromiseOptions<NoInfer<K>, R>
): AsyncIterable<Event.Event<S, K, E, R>> => {
  const events = stream(app, options)
  const provided = options?.layer === undefined ? events : Stream.provide(events, options.layer)
  return Stream.toAsyncIterable(provided as Stream.Stream<Event.Event<S, K, E, R>, unknown, never>)
}

/**
 * The application `id` at its last persisted step, ready to continue; or a fresh one starting
 * from `state` when nothing is persisted for it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
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
 * import { Effect } from "effect"
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

/**
 * The step loop's options for a call of `run` or `stream`, checked at the call as `Graph.make`
 * checks a definition: a halt naming an action the graph lacks would never halt (a looping graph
 * would then run forever), so it is a `GraphError` listing the known names.
 */
const loopOptions = (app: Application<any, any, any, any>, options: RunOptions<string> | undefined, call: string): Loop.LoopOptions => {
  if (options === undefined) return {}
  const known = Object.keys(app.graph.actions)
  for (const field of ["haltAfter", "haltBefore"] as const) {
    const names: unknown = options[field]
    if (names === undefined) continue
    if (!Array.isArray(names)) throw new GraphError({ message: `${call}: \`${field}\` must be an array of action names; known actions: ${known.join(", ")}` })
    for (const name of names) {
      if (typeof name !== "string" || !Object.prototype.hasOwnProperty.call(app.graph.actions, name)) {
        throw new GraphError({
          message: `${call}: \`${field}\` names unknown action ${JSON.stringify(name)}; known actions: ${known.join(", ")}`,
          ...(typeof name === "string" ? { action: name } : {})
        })
      }
    }
  }
  const limit = options.maxSteps
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 1)) {
    throw new GraphError({ message: `${call}: \`maxSteps\` must be a whole number of at least 1; found ${String(limit)}` })
  }
  return { haltAfter: options.haltAfter, haltBefore: options.haltBefore, inputs: options.inputs, stepLimit: limit }
}

/** One run of the step loop, with the runtime its sub-graphs ask to run them. */
const runLoop = (app: Application<any, any, any, any>, options: Loop.LoopOptions, emit: Emit | undefined) =>
  ChildApp.withRuntime(Loop.run(app, options, emit))
