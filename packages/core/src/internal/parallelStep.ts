/**
 * A parallel step as an action: what the four combinators share. It reads where it runs (the
 * step context), asks the combinator for its task list, settles the step's own services (its
 * concurrency, executor, persistence and tracking), runs the children with the engine
 * (`engine.ts`) and reduces their results into the next state.
 */
import { Context, Effect, Layer, Predicate, Stream } from "effect"
import * as Action from "../Action.js"
import { GraphError } from "../Graph.js"
import type { Executor, Failure, Options, ParallelAction, TaskContext } from "../Parallel.js"
import { ParallelError } from "../ParallelError.js"
import { Persistence } from "../Persistence.js"
import { Tracking } from "../Tracking.js"
import * as Children from "./engine.js"
import { CurrentStep, type StepContext } from "./context.js"
import { describe } from "./output.js"
import { type Services, servicesOf } from "./services.js"

export const CurrentExecutor = Context.Reference<Executor | undefined>("@teasel/core/Parallel/CurrentExecutor", {
  defaultValue: () => undefined
})

export const CurrentConcurrency = Context.Reference<number | "unbounded">("@teasel/core/Parallel/CurrentConcurrency", {
  defaultValue: () => "unbounded"
})

/**
 * The options, checked when the combinator is made: a bad value is a mistake in the graph's
 * definition, reported as a `GraphError` naming the combinator, the option and what it expects.
 */
export const checkOptions = <C>(combinator: string, options: Options<C> | undefined): Options<C> | undefined => {
  if (options === undefined) return undefined
  const bad = (option: string, expected: string, found: unknown) => {
    throw new GraphError({ message: `${combinator}: option \`${option}\` must be ${expected}; found ${describe(found)}` })
  }
  const { concurrency, onError, stopWhen } = options
  if (concurrency !== undefined && concurrency !== "unbounded" && !(Number.isSafeInteger(concurrency) && concurrency >= 1)) {
    bad("concurrency", "a whole number of at least 1, or \"unbounded\"", concurrency)
  }
  if (onError !== undefined && onError !== "fail" && onError !== "collect") bad("onError", "\"fail\" or \"collect\"", onError)
  if (stopWhen !== undefined && typeof stopWhen !== "function") bad("stopWhen", "a function", stopWhen)
  return options
}

/** Where a parallel step runs: from the step context, or a fresh identity outside any application. */
const placeOf = (step: StepContext | undefined) =>
  step ?? {
    appId: crypto.randomUUID(),
    parentId: undefined,
    parentSequenceId: undefined,
    partitionKey: "",
    sequenceId: 0,
    action: "parallel",
    emit: undefined,
    chunk: () => {}
  }

/**
 * What a combinator's function may return for its tasks (or states, or branches): an `Iterable`
 * (the children start at once); a `Promise` or an `Effect` of one (they start once it resolves);
 * an `AsyncIterable` or a `Stream` (each child starts as its task arrives — `tasks` and
 * `mapStates` — under the concurrency limit, the results still in task order). The errors and
 * requirements of an `Effect` or a `Stream` flow into the step's types.
 *
 * @category models
 * @since 0.2.0
 */
export type Source<A, E = never, R = never> =
  | Iterable<A>
  | AsyncIterable<A>
  | PromiseLike<Iterable<A>>
  | Effect.Effect<Iterable<A>, E, R>
  | Stream.Stream<A, E, R>


/** A combinator's tasks: at once (a list), once known (an Effect), or as they arrive (a Stream). */
export type Made<C> =
  | Children.TaskList<C>
  | Effect.Effect<Children.TaskList<C>, unknown, unknown>
  | Stream.Stream<Children.TaskItem<C>, unknown, unknown>

const isAsyncIterable = (u: unknown): u is AsyncIterable<unknown> =>
  typeof u === "object" && u !== null && typeof (u as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"

/**
 * What a combinator's function returned (`what` names it in errors), as its tasks: an iterable at
 * once; a Promise or an Effect of one once it resolves; an `AsyncIterable` or a `Stream` task by
 * task as they arrive (or, without `arriving`, once they all have: for combinators that need the
 * whole list, as `product` does).
 */
export const fromSource = <A, C>(
  value: unknown,
  what: string,
  list: (items: ReadonlyArray<A>) => Children.TaskList<C>,
  item: (a: A) => Children.TaskItem<C>,
  arriving = true
): Made<C> => {
  const stream = Stream.isStream(value)
    ? value as Stream.Stream<A, unknown, unknown>
    : isAsyncIterable(value) && !(Symbol.iterator in value)
    ? Stream.fromAsyncIterable(value as AsyncIterable<A>, (error) => error)
    : undefined
  if (stream !== undefined) {
    return arriving ? Stream.map(stream, item) : Effect.map(Stream.runCollect(stream), (all) => list(Array.from(all)))
  }
  if (Effect.isEffect(value)) return Effect.map(value as Effect.Effect<Iterable<A>, unknown, unknown>, (all) => list(Children.toArray(all, what)))
  if (Predicate.isPromiseLike(value)) return Effect.map(Effect.promise(() => value as PromiseLike<Iterable<A>>), (all) => list(Children.toArray(all, what)))
  return list(Children.toArray(value as Iterable<A>, what))
}

export const fromTasks = <S, C>(
  make: (state: S, inputs: any, context: TaskContext) => Made<C>,
  reduce: (state: S, results: ReadonlyArray<C>, failures: ReadonlyArray<Failure<any>>) => Action.Next<S, any, any>,
  options: Options<C> | undefined
): ParallelAction<S, unknown, unknown> =>
(state, inputs) =>
  Effect.flatMap(Effect.context<never>(), (context) => {
    const place = placeOf(Context.get(context, CurrentStep))
    const made = make(state, inputs, {
      appId: place.appId,
      sequenceId: place.sequenceId,
      partitionKey: place.partitionKey
    })
    const concurrency = options?.concurrency ?? Context.get(context, CurrentConcurrency)
    const executor = options?.executor === undefined || options.executor === "inherit"
      ? Context.get(context, CurrentExecutor)
      : options.executor === "local" ? undefined : options.executor
    const run = (services: Services) => {
      const settings: Children.Settings<C> = {
        options: options ?? {},
        concurrency,
        executor,
        services,
        error: (index, childId, cause, what) => parallelError(place, index, childId, cause, what)
      }
      if (Stream.isStream(made)) return Children.runArriving(place, made, settings)
      if (Effect.isEffect(made)) return Effect.flatMap(made, (list) => Children.run(place, list, settings))
      return Children.run(place, made, settings)
    }
    const gathered = options?.persistence === undefined && options?.tracking === undefined
      ? run(servicesOf(context))
      : withOwnServices(options, Effect.flatMap(Effect.context<never>(), (own) => run(servicesOf(own))))
    return Effect.flatMap(
      Effect.provideService(gathered, CurrentConcurrency, concurrency),
      ({ failures, results }) => Action.toEffect(reduce(state, results, failures))
    )
  })

/** `effect` with the step's own persistence and tracking (off, or a layer), for it and every descendant. */
const withOwnServices = <A, E, R>(options: Options<any>, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  let out: Effect.Effect<A, E, R> = effect
  const own = [[options.persistence, Persistence], [options.tracking, Tracking]] as const
  for (const [setting, key] of own) {
    if (setting === undefined || setting === "inherit") continue
    out = setting === "off"
      ? Effect.updateContext(out, (context: Context.Context<R>) => Context.omit(key)(context) as Context.Context<R>)
      : Effect.provide(out, Layer.orDie(setting as Layer.Layer<never, unknown, never>)) as Effect.Effect<A, E, R>
  }
  return out
}

const parallelError = (place: StepContext, index: number, childId: string, cause: unknown, what: string) =>
  new ParallelError({
    action: place.action,
    appId: place.appId,
    sequenceId: place.sequenceId,
    index,
    childId,
    cause,
    message: `Parallel action "${place.action}" of application "${place.appId}" (step ${place.sequenceId}): ${what}`
  })
