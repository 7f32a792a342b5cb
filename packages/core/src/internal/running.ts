/**
 * Running an application: `step`, `run`, `stream`, and for code that does not use Effect
 * `runPromise` and `events`. Re-exported by `Application`, whose types they take; each call checks
 * its options, then hands the application to the step loop with the runtime its sub-graphs need.
 */
import { Effect, type Layer, Stream } from "effect"
import { dual } from "effect/Function"
import type { Application, RunError, RunOptions } from "../Application.js"
import type * as Event from "../Event.js"
import { GraphError } from "../Graph.js"
import * as App from "./application.js"
import * as ChildApp from "./child.js"
import type { Emit } from "./context.js"
import { eventsOf } from "./events.js"
import * as Loop from "./loop.js"

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
    return eventsOf((emit) => runLoop(app, checked, emit))
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
