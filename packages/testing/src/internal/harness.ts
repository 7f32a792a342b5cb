/**
 * Running applications under test: on a virtual clock, with an executor that delays, limits and
 * fails parallel children on purpose, and with a memory store that counts its saves (and can be
 * "killed" after the k-th one).
 */
import { Context, Data, Effect, Exit, Fiber, Layer, Random, Scope, type Semaphore } from "effect"
import { TestClock } from "effect/testing"
import { Application, type Graph, Parallel, Persistence, type Tracking } from "@teasel/core"

/** The workflow a check runs: shared by `checkCrash` and `explore`. */
export interface WorkflowOptions<S, K extends string, R> {
  readonly graph: Graph.Graph<S, K, any, R>
  /** The state a fresh application starts from. */
  readonly state: NoInfer<S>
  readonly id?: string | undefined
  readonly partitionKey?: string | undefined
  /** How the application runs (`haltAfter`, `haltBefore`, `inputs` of its first action). */
  readonly run?: Application.RunOptions<NoInfer<K>> | undefined
}

/** The workflow of `options` with its defaults filled in, as the runners take it. */
export const workflowOf = <S, K extends string, R>(
  options: WorkflowOptions<S, K, R> & { readonly layer?: Layer.Layer<any, any, never> | undefined },
  defaultId: string
) => ({
  graph: options.graph as unknown as Graph.Graph<S, string, any, any>,
  id: options.id ?? defaultId,
  partitionKey: options.partitionKey ?? "",
  state: options.state,
  run: (options.run ?? {}) as Application.RunOptions<string>,
  layer: options.layer as Layer.Layer<any, any, never> | undefined
})

/** A failure put into a child on purpose; never produced by the code under test. */
export class InjectedFailure extends Data.TaggedError("InjectedFailure")<{
  readonly childId: string
  readonly message: string
}> {}

/** Whether an error (or a cause squashed to one) is, or wraps, an injected failure. */
export const isInjected = (error: unknown, depth = 0): boolean => {
  if (error instanceof InjectedFailure) return true
  if (depth > 8 || typeof error !== "object" || error === null) return false
  return isInjected((error as { cause?: unknown }).cause, depth + 1)
}

/** What the test executor does to the children of parallel steps. */
export interface Plan {
  /** Virtual milliseconds the `n`-th child to start waits before it runs. */
  readonly delay?: ((n: number, child: Parallel.Child) => number) | undefined
  /** Whether the `n`-th child to start fails instead of running, or after running. */
  readonly fail?: ((n: number, child: Parallel.Child) => "before" | "after" | undefined) | undefined
  /** `"fail"`: a typed failure (subject to `retry` and `onError`); `"die"`: a defect that fails the step. */
  readonly failWith?: "fail" | "die" | undefined
  /** At most this many children of the application `root` run at once. */
  readonly limit?: { readonly root: string; readonly semaphore: Semaphore.Semaphore } | undefined
}

/** One child as the executor saw it start. */
export interface Started {
  readonly n: number
  readonly id: string
  readonly index: number
  readonly parentId: string
  readonly delay: number
  readonly failed: "before" | "after" | undefined
}

/** An executor that follows `plan` and logs every child it starts into `log`. */
export const executor = (plan: Plan, log: Array<Started>): Parallel.Executor => ({
  run: (child, local) =>
    Effect.suspend(() => {
      const n = log.length
      const delay = Math.max(0, Math.floor(plan.delay?.(n, child) ?? 0))
      const failed = plan.fail?.(n, child)
      log.push({ n, id: child.id, index: child.index, parentId: child.parentId, delay, failed })
      const injected = Effect.suspend(() => {
        const error = new InjectedFailure({
          childId: child.id,
          message: `injected failure of child ${child.index} ("${child.id}")${failed === "after" ? " after it completed" : ""}`
        })
        return plan.failWith === "die" ? Effect.die(error) : Effect.fail(error)
      })
      let body: Effect.Effect<unknown, unknown, unknown> = failed === "before"
        ? injected
        : failed === "after"
        ? Effect.andThen(local, injected)
        : local
      if (delay > 0) body = Effect.andThen(Effect.sleep(delay), body)
      const limit = plan.limit
      return limit !== undefined && child.parentId === limit.root ? limit.semaphore.withPermits(1)(body) : body
    })
})

/** Runs `effect` with the test executor. */
export const withExecutor = <A, E, R>(effect: Effect.Effect<A, E, R>, executor: Parallel.Executor) =>
  Effect.provideService(effect, Parallel.CurrentExecutor, executor)

const memory = (): Persistence.Persistence["Service"] =>
  Effect.runSync(Effect.provide(Persistence.Persistence.use((service) => Effect.succeed(service)), Persistence.layerMemory))

/** A step as the counting store saw it saved, without its timestamp. */
export interface Saved {
  readonly appId: string
  readonly sequenceId: number
  readonly action: string | undefined
  readonly next: string | undefined
  readonly parentId: string | undefined
  readonly state: unknown
}

/**
 * A memory store that records every successful save. After `killAfter` saves it is "dead": the
 * save that reached the count calls `onKill`, and every later save fails, as if the process had
 * died right after it.
 */
export interface Store {
  readonly saves: Array<Saved>
  readonly layer: Layer.Layer<Persistence.Persistence>
  killAfter: number | undefined
  onKill: (() => void) | undefined
  dead: boolean
}

/** A memory store (or a store built by `backend`, per call) that counts its saves; `close` releases it. */
export const openStore = async (
  backend?: (() => Layer.Layer<Persistence.Persistence, unknown, never>) | undefined
): Promise<Store & { readonly close: () => Promise<void> }> => {
  if (backend === undefined) return Object.assign(makeStore(), { close: () => Promise.resolve() })
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(Layer.buildWithScope(backend(), scope))
  const store = makeStore(Context.get(context, Persistence.Persistence))
  return Object.assign(store, { close: () => Effect.runPromise(Scope.close(scope, Exit.void)) })
}

export const makeStore = (inner: Persistence.Persistence["Service"] = memory()): Store => {
  const store: Store = {
    saves: [],
    killAfter: undefined,
    onKill: undefined,
    dead: false,
    layer: Layer.sync(Persistence.Persistence, () => Persistence.Persistence.of({ ...inner, save: (step) => save(store, inner, step) }))
  }
  return store
}

/** Saves through `inner` and counts the save; fails once the store is dead. */
const save = (store: Store, inner: Persistence.Persistence["Service"], step: Persistence.Step) =>
  Effect.suspend(() => {
    if (store.dead) {
      return Effect.fail(
        new Persistence.PersistenceError({
          reason: new Persistence.Backend({ operation: "save the step" }),
          appId: step.appId,
          partitionKey: step.partitionKey,
          sequenceId: step.sequenceId,
          message: `the process was killed before step ${step.sequenceId} of "${step.appId}" could be saved`
        })
      )
    }
    return Effect.tap(inner.save(step), () =>
      Effect.sync(() => {
        store.saves.push({
          appId: step.appId,
          sequenceId: step.sequenceId,
          action: step.action,
          next: step.next,
          parentId: step.parentId,
          state: step.state
        })
        if (store.killAfter !== undefined && store.saves.length >= store.killAfter) {
          store.dead = true
          store.onKill?.()
        }
      }))
  })

/** Rounds of virtual time the driver advances before it gives up on a run. */
const MAX_ROUNDS = 2_000

/**
 * Runs `effect` on a `TestClock` (from virtual time 0, with Effect's `Random` seeded by `seed`),
 * advancing the clock until it completes: sleeps run in order of their virtual time, instantly.
 * When `store` is given, its `onKill` interrupts the run (a crash right after the k-th save).
 */
export const runVirtual = <A, E>(
  effect: Effect.Effect<A, E, never>,
  options: { readonly seed: number; readonly store?: Store | undefined }
): Promise<Exit.Exit<A, E>> =>
  Effect.runPromise(
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(Random.withSeed(effect, options.seed))
      if (options.store !== undefined) options.store.onKill = () => fiber.interruptUnsafe()
      for (let round = 0; fiber.pollUnsafe() === undefined; round++) {
        if (round >= MAX_ROUNDS) {
          yield* Fiber.interrupt(fiber)
          return Exit.die(new Error(`the run did not finish within ${MAX_ROUNDS} hours of virtual time`)) as Exit.Exit<A, E>
        }
        yield* TestClock.adjust("1 hour")
        // Let work that waits on something other than the clock (a promise, I/O) make progress.
        if (fiber.pollUnsafe() === undefined) yield* TestClock.withLive(Effect.sleep(1))
      }
      return yield* Fiber.await(fiber)
    }).pipe(Effect.provide(TestClock.layer()))
  )

/** Provides `layer` (when given) to `effect`, erasing the requirements it covers. */
export const provideLayer = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  layer: Layer.Layer<any, any, never> | undefined
): Effect.Effect<A, unknown, never> =>
  (layer === undefined ? effect : Effect.provide(effect, layer)) as Effect.Effect<A, unknown, never>

/** How one attempt at a persisted workflow runs. */
export interface AttemptOptions<S> {
  readonly graph: Graph.Graph<S, string, any, any>
  readonly id: string
  readonly partitionKey: string
  readonly state: S
  readonly run: Application.RunOptions<string>
  readonly layer: Layer.Layer<any, any, never> | undefined
  readonly store: Store
  readonly plan?: Plan | undefined
  readonly tracking?: Layer.Layer<Tracking.Tracking> | undefined
  readonly seed: number
}

/**
 * Loads the application from `store` (fresh when nothing is saved) and runs it, on a virtual
 * clock. `run.inputs` go to the first action only when the application starts from scratch.
 */
export const attempt = async <S>(options: AttemptOptions<S>): Promise<{
  readonly exit: Exit.Exit<Application.Application<S, string, any, any>, unknown>
  readonly log: ReadonlyArray<Started>
}> => {
  const log: Array<Started> = []
  let program: Effect.Effect<Application.Application<S, string, any, any>, unknown, unknown> = Effect.gen(function*() {
    const app = yield* Application.load({
      graph: options.graph,
      id: options.id,
      state: options.state,
      partitionKey: options.partitionKey
    })
    const { inputs: _, ...rest } = options.run
    return yield* Application.run(app, app.sequenceId === 0 ? options.run : rest)
  })
  if (options.plan !== undefined) program = withExecutor(program, executor(options.plan, log))
  if (options.tracking !== undefined) program = provideLayer(program, options.tracking)
  program = provideLayer(program, options.store.layer)
  const exit = await runVirtual(provideLayer(program, options.layer), { seed: options.seed, store: options.store })
  return { exit, log }
}

/** A save, as a comparable key: application, step, action, next action and the JSON of the state. */
export const savedKey = (s: Saved): string =>
  JSON.stringify([s.appId, s.sequenceId, s.action ?? null, s.next ?? null, s.state])
