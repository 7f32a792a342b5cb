/**
 * A parallel step as an action: what the four combinators share. It reads where it runs (the
 * step context), asks the combinator for its task list, settles the step's own services (its
 * concurrency, executor, persistence and tracking), runs the children with the engine
 * (`children.ts`) and reduces their results into the next state.
 */
import { Context, Effect, Layer } from "effect"
import * as Action from "../Action.js"
import { GraphError } from "../Graph.js"
import type { Executor, Failure, Options, ParallelAction, TaskContext } from "../Parallel.js"
import { ParallelError } from "../ParallelError.js"
import { Persistence } from "../Persistence.js"
import { Tracking } from "../Tracking.js"
import * as Children from "./children.js"
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

export const fromTasks = <S, C>(
  make: (state: S, inputs: any, context: TaskContext) => Children.TaskList<C>,
  reduce: (state: S, results: ReadonlyArray<C>, failures: ReadonlyArray<Failure<any>>) => Action.Next<S, any, any>,
  options: Options<C> | undefined
): ParallelAction<S, unknown, unknown> =>
(state, inputs) =>
  Effect.flatMap(Effect.context<never>(), (context) => {
    const place = placeOf(Context.get(context, CurrentStep))
    const list = make(state, inputs, {
      appId: place.appId,
      sequenceId: place.sequenceId,
      partitionKey: place.partitionKey
    })
    const concurrency = options?.concurrency ?? Context.get(context, CurrentConcurrency)
    const executor = options?.executor === undefined || options.executor === "inherit"
      ? Context.get(context, CurrentExecutor)
      : options.executor === "local" ? undefined : options.executor
    const run = (services: Services) =>
      Children.run(place, list, {
        options: options ?? {},
        concurrency,
        executor,
        services,
        error: (index, childId, cause, what) => parallelError(place, index, childId, cause, what)
      })
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
