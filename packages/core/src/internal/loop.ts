/**
 * The step loop: choose → run → save → track, for one application.
 *
 * Actions that return a plain state run in a plain `while` loop with no Effect machinery between
 * them; an action that returns an Effect or a Promise suspends the loop, which resumes from the
 * same place when it completes. Every few hundred synchronous steps the loop yields, so a long
 * synchronous run stays interruptible and fair to other fibers.
 */
import { Cause, Context, Effect, Exit, Option } from "effect"
import { ActionError, writesOf } from "../Action.js"
import type { Application } from "../Application.js"
import type { Graph } from "../Graph.js"
import { Persistence } from "../Persistence.js"
import * as Tracking from "../Tracking.js"
import * as App from "./application.js"
import { Recorder } from "./recorder.js"
import { CurrentStep, type Emit, type StepContext } from "./context.js"
import { choose } from "./transition.js"

export interface LoopOptions {
  readonly haltAfter?: ReadonlyArray<string> | undefined
  readonly haltBefore?: ReadonlyArray<string> | undefined
  /** Given to the first action this call runs. */
  readonly inputs?: object | undefined
  /** At most this many steps (`Application.step` runs one). */
  readonly maxSteps?: number | undefined
  /** For a child application: the parent's step that spawned it (reported to tracking). */
  readonly parentSequenceId?: number | undefined
}

const YIELD_EVERY = 512

/** The optional services of the running program: persistence and tracking, when provided. */
export interface Services {
  readonly store: Persistence["Service"] | undefined
  readonly tracker: Tracking.Tracking["Service"] | undefined
  readonly project: string
}

/** Reads the optional services from a context. */
export const servicesOf = (context: Context.Context<never>): Services => ({
  store: Option.getOrUndefined(Context.getOption(context, Persistence)),
  tracker: Option.getOrUndefined(Context.getOption(context, Tracking.Tracking)),
  project: Context.get(context, Tracking.CurrentProject)
})

const withServices = <A, E, R>(f: (services: Services) => Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.context<never>(), (context) => f(servicesOf(context)))

/** Runs `start` until it halts or ends; events go to `emit` when someone listens. */
export const run = (
  start: Application<any, any, any, any>,
  options: LoopOptions,
  emit: Emit | undefined
): Effect.Effect<Application<any, any, any, any>, unknown, unknown> =>
  withServices((services) => new Run(start, options, emit, services).continue())

/**
 * Starts `start` and runs it as far as it goes synchronously: the finished application when every
 * action ran synchronously (and nothing is persisted), or an Effect that completes the run.
 * Parallel steps use this to finish synchronous children without a fiber each.
 */
export const advance = (
  start: Application<any, any, any, any>,
  options: LoopOptions,
  emit: Emit | undefined,
  services: Services
): Application<any, any, any, any> | Effect.Effect<Application<any, any, any, any>, unknown, unknown> =>
  new Run(start, options, emit, services).advance()

/** Like `advance`, for an application whose first action the caller already called. */
export const advanceWith = (
  start: Application<any, any, any, any>,
  options: LoopOptions,
  services: Services,
  outcome: { readonly out: unknown } | { readonly thrown: unknown }
): Application<any, any, any, any> | Effect.Effect<Application<any, any, any, any>, unknown, unknown> =>
  new Run(start, options, undefined, services).advanceWith(outcome)

/** Whether `out`, returned by an action, is a state that needs no further checks. */
export const isPlainState = (out: unknown): out is object =>
  typeof out === "object" && out !== null && !Array.isArray(out) && !Effect.isEffect(out) && !isPromiseLike(out)

/** Runs a sub-graph as a child application of the step that calls it; succeeds with its final state. */
export const runSubgraph = (
  graph: Graph<any, string, any, any>,
  state: unknown,
  inputs: object | undefined,
  options: { readonly haltAfter: ReadonlyArray<string>; readonly entrypoint: string }
): Effect.Effect<any, any, any> =>
  withServices((services) =>
    CurrentStep.use((step) => {
      const child = App.make({
        graph,
        id: step === undefined ? crypto.randomUUID() : childId(step.appId, step.sequenceId, step.action),
        partitionKey: step?.partitionKey ?? "",
        parentId: step?.appId,
        state,
        next: options.entrypoint,
        last: undefined,
        sequenceId: 0
      })
      return runChild(
        child,
        { haltAfter: options.haltAfter, inputs, parentSequenceId: step?.sequenceId },
        step?.emit,
        services
      )
    }))

/**
 * Runs a child application and succeeds with its final state. With persistence, a child that
 * already finished is not run again (its saved final state is used) and an unfinished one
 * continues from its last saved step.
 */
export const runChild = (
  fresh: Application<any, any, any, any>,
  options: LoopOptions,
  emit: Emit | undefined,
  services: Services
): Effect.Effect<unknown, unknown, unknown> => {
  const store = services.store
  if (store === undefined) {
    return Effect.suspend(() => {
      const out = advance(fresh, options, emit, services)
      return Effect.isEffect(out) ? Effect.map(out, stateOf) : Effect.succeed(out.state)
    })
  }
  return Effect.flatMap(store.load({ appId: fresh.id, partitionKey: fresh.partitionKey }), (saved) => {
    if (saved === undefined) return Effect.map(new Run(fresh, options, emit, services).continue(), stateOf)
    const finished = saved.next === undefined ||
      (saved.action !== undefined && options.haltAfter !== undefined && options.haltAfter.includes(saved.action))
    if (finished) return Effect.succeed(saved.state)
    const resumed = App.make({
      graph: fresh.graph,
      id: fresh.id,
      partitionKey: fresh.partitionKey,
      parentId: fresh.parentId,
      state: saved.state,
      next: saved.next,
      last: saved.action,
      sequenceId: saved.sequenceId
    })
    // Its first action already had the inputs.
    return Effect.map(new Run(resumed, { ...options, inputs: undefined }, emit, services).continue(), stateOf)
  })
}

export const stateOf = (app: Application<any, any, any, any>) => app.state

/**
 * The id of a child application: derived from its parent's id, the parent's step and action, and
 * (for parallel branches) the branch index, so a resumed parent finds its children again and a
 * repeated invocation of the same action gets new ones.
 */
export const childId = (parentId: string, sequenceId: number, action: string, index?: number): string =>
  index === undefined ? `${parentId}:${sequenceId}:${action}` : childIdPrefix(parentId, sequenceId, action) + index

/** What every parallel child id of one step starts with; the task index follows. */
export const childIdPrefix = (parentId: string, sequenceId: number, action: string): string =>
  `${parentId}:${sequenceId}:${action}:`

class Run {
  private state: unknown
  private next: string | undefined
  private last: string | undefined
  private sequenceId: number
  private ran = 0
  private sinceYield = 0
  private readonly actions: Record<string, (state: unknown, inputs?: unknown) => unknown>
  private readonly store: Persistence["Service"] | undefined
  /** With tracking: what this run tells the tracker, and when. */
  private readonly recorder: Recorder | undefined
  /** With tracking: whether the recorder is told of every step's start. */
  private readonly startsEvery: boolean
  /** Whether this run's interruption is watched (once per run, not per step). */
  private watched = false

  constructor(
    private readonly start: Application<any, any, any, any>,
    private readonly options: LoopOptions,
    private readonly emit: Emit | undefined,
    private readonly services: Services
  ) {
    this.state = start.state
    this.next = start.next
    this.last = start.last
    this.sequenceId = start.sequenceId
    this.actions = start.graph.actions
    this.store = services.store
    if (services.tracker === undefined) {
      this.recorder = undefined
      this.startsEvery = false
    } else {
      this.recorder = new Recorder(services.tracker, start.id, start.partitionKey)
      this.startsEvery = this.recorder.startEvery
      this.recorder.applicationStarted({
        project: services.project,
        appId: start.id,
        partitionKey: start.partitionKey,
        parentId: start.parentId,
        parentSequenceId: options.parentSequenceId,
        sequenceId: start.sequenceId,
        state: start.state,
        graph: Tracking.shapeOf(start.graph)
      })
    }
  }

  continue(): Effect.Effect<Application<any, any, any, any>, unknown, unknown> {
    if (this.recorder !== undefined) this.recorder.resumed()
    const out = this.advance()
    return Effect.isEffect(out) ? out : Effect.succeed(out)
  }

  advance(): Application<any, any, any, any> | Effect.Effect<Application<any, any, any, any>, unknown, unknown> {
    const { haltBefore } = this.options
    const maxSteps = this.options.maxSteps ?? Infinity
    while (true) {
      const name = this.next
      if (
        name === undefined || this.ran >= maxSteps ||
        (this.ran > 0 && haltBefore !== undefined && haltBefore.includes(name))
      ) {
        return this.finish()
      }
      if (this.sinceYield >= YIELD_EVERY) {
        this.sinceYield = 0
        this.recorder?.pause()
        return this.watch(Effect.flatMap(Effect.yieldNow, () => this.continue()))
      }
      const action = this.actions[name]
      const sequenceId = this.sequenceId + 1
      if (action === undefined) {
        return this.fail(this.error(name, sequenceId, "unknown-action", "is not an action of this graph"), false)
      }
      const inputs = this.begin(name, sequenceId)
      let out: unknown
      try {
        out = action(this.state, inputs)
      } catch (cause) {
        return this.fail(this.error(name, sequenceId, "threw", `threw ${describe(cause)}`, cause))
      }
      const stopped = this.handle(name, sequenceId, out)
      if (stopped !== undefined) return stopped
    }
  }

  /**
   * Runs the first step with an outcome computed by the caller (the next action called directly
   * by a parallel step), then goes on like `advance`.
   */
  advanceWith(
    outcome: { readonly out: unknown } | { readonly thrown: unknown }
  ): Application<any, any, any, any> | Effect.Effect<Application<any, any, any, any>, unknown, unknown> {
    const name = this.next!
    const sequenceId = this.sequenceId + 1
    this.begin(name, sequenceId)
    if ("thrown" in outcome) {
      const cause = outcome.thrown
      return this.fail(this.error(name, sequenceId, "threw", `threw ${describe(cause)}`, cause))
    }
    return this.handle(name, sequenceId, outcome.out) ?? this.advance()
  }

  /** Starts a step: counts it, reports it, and returns its inputs. */
  private begin(name: string, sequenceId: number): object | undefined {
    const inputs = this.ran === 0 ? this.options.inputs : undefined
    this.ran++
    this.sinceYield++
    if (this.emit !== undefined) this.emit(this.event({ _tag: "StepStarted", action: name, sequenceId }))
    if (this.startsEvery) this.recorder!.stepStarted(name, sequenceId)
    return inputs
  }

  /**
   * Takes what an action returned: completes the step when it is a state, or returns the Effect
   * that completes it. Returns `undefined` when the loop should go on synchronously.
   */
  private handle(
    name: string,
    sequenceId: number,
    out: unknown
  ): Application<any, any, any, any> | Effect.Effect<Application<any, any, any, any>, unknown, unknown> | undefined {
    if (Effect.isEffect(out)) {
      this.sinceYield = 0
      if (this.recorder !== undefined) this.recorder.suspended(name, sequenceId)
      return this.watch(this.resume(this.guard(out, name, sequenceId), name, sequenceId))
    }
    if (isPromiseLike(out)) {
      this.sinceYield = 0
      if (this.recorder !== undefined) this.recorder.suspended(name, sequenceId)
      const promise = out
      const awaited = Effect.tryPromise({
        try: () => promise,
        catch: (cause) => this.error(name, sequenceId, "rejected", `rejected with ${describe(cause)}`, cause)
      })
      return this.watch(this.resume(this.observeFailure(awaited, name, sequenceId), name, sequenceId))
    }
    const error = this.complete(name, sequenceId, out)
    if (error !== undefined) return this.fail(error)
    if (this.store !== undefined) {
      this.sinceYield = 0
      this.recorder?.pause()
      return this.watch(Effect.flatMap(Effect.uninterruptible(this.save(this.store, name)), () => this.after(name)))
    }
    const haltAfter = this.options.haltAfter
    if (haltAfter !== undefined && haltAfter.includes(name)) return this.finish()
    return undefined
  }

  /**
   * Completes an asynchronous step and continues. With persistence, the step's completion and its
   * save are one uninterruptible unit: once the action has completed, its save happens.
   */
  private resume(
    running: Effect.Effect<unknown, unknown, unknown>,
    name: string,
    sequenceId: number
  ): Effect.Effect<Application<any, any, any, any>, unknown, unknown> {
    const store = this.store
    if (store === undefined && this.emit === undefined && this.recorder !== undefined) {
      // Only a tracker watches: one frame both completes the step and records its failure (the
      // action was not wrapped by `observeFailure`), where `onError` and `flatMap` cost two.
      return Effect.matchCauseEffect(running, {
        onFailure: (cause) => {
          this.trackFailure(name, sequenceId, cause)
          return Effect.failCause(cause)
        },
        onSuccess: (out) => {
          const error = this.complete(name, sequenceId, out)
          return error === undefined ? this.after(name) : this.fail(error)
        }
      })
    }
    const completed = store === undefined
      ? Effect.flatMap(running, (out) => this.completeOrFail(name, sequenceId, out))
      : Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(restore(running), (out) =>
          Effect.flatMap(this.completeOrFail(name, sequenceId, out), () => {
            this.recorder?.pause()
            return this.save(store, name)
          }))
      )
    return Effect.flatMap(completed, () => this.after(name))
  }

  private completeOrFail(name: string, sequenceId: number, out: unknown): Effect.Effect<void, ActionError> {
    const error = this.complete(name, sequenceId, out)
    return error === undefined ? Effect.void : this.fail(error)
  }

  /** After a completed (and saved) step: halt, or go on. */
  private after(name: string) {
    const haltAfter = this.options.haltAfter
    if (haltAfter !== undefined && haltAfter.includes(name)) return Effect.succeed(this.finish())
    return this.continue()
  }

  private save(store: Persistence["Service"], name: string) {
    return store.save({
      appId: this.start.id,
      partitionKey: this.start.partitionKey,
      sequenceId: this.sequenceId,
      action: name,
      next: this.next,
      state: this.state,
      parentId: this.start.parentId,
      createdAt: Date.now()
    })
  }

  /** Validates the next state, records it and chooses the next action. */
  private complete(name: string, sequenceId: number, out: unknown): ActionError | undefined {
    if (typeof out !== "object" || out === null || Array.isArray(out)) {
      return this.error(
        name,
        sequenceId,
        "not-an-object",
        `returned ${describe(out)}; an action must return the next state as an object (or a Promise or Effect of one)`
      )
    }
    const writes = writesOf(this.actions[name]!)
    if (writes !== undefined) {
      const undeclared = undeclaredWrites(this.state as object, out, writes)
      if (undeclared.length > 0) {
        return this.error(
          name,
          sequenceId,
          "undeclared-write",
          `wrote ${undeclared.map((k) => JSON.stringify(k)).join(", ")} outside its declared writes [${writes.join(", ")}]`
        )
      }
    }
    let next: string | undefined
    try {
      next = choose(this.start.graph.edges, name, out)
    } catch (cause) {
      return this.error(name, sequenceId, "threw", `completed, but a transition condition out of it threw ${describe(cause)}`, cause)
    }
    this.state = out
    this.last = name
    this.next = next
    this.sequenceId = sequenceId
    if (this.emit !== undefined) {
      this.emit(this.event({ _tag: "StepCompleted", action: name, sequenceId, state: out }))
    }
    if (this.recorder !== undefined) this.recorder.stepCompleted(name, sequenceId, out, next)
    return undefined
  }

  /** Runs an effectful action with its step context; its defects become `ActionError`s. */
  private guard(effect: Effect.Effect<unknown, unknown, unknown>, name: string, sequenceId: number) {
    const step: StepContext = {
      appId: this.start.id,
      parentId: this.start.parentId,
      partitionKey: this.start.partitionKey,
      sequenceId,
      action: name,
      emit: this.recorder === undefined ? this.emit : this.countingEmit
    }
    const guarded = effect.pipe(
      Effect.catchDefect((cause) => Effect.fail(this.error(name, sequenceId, "threw", `threw ${describe(cause)}`, cause))),
      Effect.provideService(CurrentStep, step)
    )
    return this.observeFailure(guarded, name, sequenceId)
  }

  /** Reports a failed (or interrupted) action to listeners; a tracker alone is told by `resume`. */
  private observeFailure<A, E, R>(effect: Effect.Effect<A, E, R>, name: string, sequenceId: number) {
    if (this.emit === undefined && this.store === undefined) return effect
    return Effect.onError(effect, (cause) => {
      if (!Cause.hasInterruptsOnly(cause)) return this.failed(name, sequenceId, Cause.squash(cause))
      this.trackFailure(name, sequenceId, cause)
      return Effect.void
    })
  }

  /** Records an action's failure: a `StepInterrupted` when it was interrupted, else a `StepFailed`. */
  private trackFailure(name: string, sequenceId: number, cause: Cause.Cause<unknown>) {
    if (!Cause.hasInterruptsOnly(cause)) {
      // Without persistence, `failed` returns Effect.void: nothing is left to run.
      if (this.store === undefined) void this.failed(name, sequenceId, Cause.squash(cause))
      return
    }
    if (this.recorder !== undefined) this.recorder.stepInterrupted(name, sequenceId)
  }

  /**
   * With tracking, this run's first suspension (an action's Effect or Promise, a save, a yield) is
   * wrapped, once, to record how the run stops when it does not stop by itself: interrupted (with
   * the step in flight, if any) or failed outside a step (a save that failed). The rest of the run
   * executes inside that effect, and a frame per step would cost every step (an interrupted fiber
   * skips `matchCauseEffect`'s failure handler, which `resume` uses when only a tracker watches).
   */
  private watch(effect: Effect.Effect<Application<any, any, any, any>, unknown, unknown>) {
    const recorder = this.recorder
    if (this.watched || recorder === undefined) return effect
    this.watched = true
    return Effect.onExit(effect, (exit) => {
      if (Exit.isFailure(exit)) {
        if (Cause.hasInterrupts(exit.cause)) recorder.interruptedInFlight()
        recorder.stopped(Cause.hasInterruptsOnly(exit.cause) ? "interrupted" : "failed", this.sequenceId, this.next)
      }
      return Effect.void
    })
  }

  /** Fails the run with `error` (`started`: whether the failing step had started). */
  private fail(error: ActionError, started = true) {
    return this.emit === undefined && this.store === undefined && this.recorder === undefined
      ? Effect.fail(error)
      : Effect.flatMap(this.failed(error.action, error.sequenceId, error, started), () => Effect.fail(error))
  }

  /** Reports a failed step to listeners and records it, so that it runs again on load. */
  private failed(name: string, sequenceId: number, error: unknown, started = true): Effect.Effect<void> {
    if (this.emit !== undefined) {
      this.emit(this.event({ _tag: "StepFailed", action: name, sequenceId, error }))
    }
    if (this.recorder !== undefined) {
      this.recorder.stepFailed(name, sequenceId, error, started)
      this.recorder.stopped("failed", this.sequenceId, this.next)
    }
    if (this.store === undefined) return Effect.void
    return Effect.ignore(this.store.saveFailure({
      appId: this.start.id,
      partitionKey: this.start.partitionKey,
      sequenceId,
      action: name,
      error: describe(error),
      createdAt: Date.now()
    }))
  }

  /** Forwards events to the listener, counting this application's chunks for tracking. */
  private readonly countingEmit: Emit = (event) => {
    if (event._tag === "Chunk" && event.appId === this.start.id) this.recorder!.chunks++
    if (this.emit !== undefined) this.emit(event)
  }

  private error(name: string, sequenceId: number, reason: ActionError["reason"], what: string, cause?: unknown) {
    return new ActionError({
      action: name,
      appId: this.start.id,
      sequenceId,
      reason,
      message: `Action "${name}" of application "${this.start.id}" (step ${sequenceId}) ${what}`,
      ...(cause === undefined ? {} : { cause })
    })
  }

  private event<T extends object>(fields: T): T & { appId: string; parentId?: string } {
    const parentId = this.start.parentId
    return parentId === undefined
      ? { ...fields, appId: this.start.id }
      : { ...fields, appId: this.start.id, parentId }
  }

  private finish() {
    if (this.recorder !== undefined) {
      this.recorder.finish(this.next === undefined ? "ended" : "halted", this.sequenceId, this.next)
    }
    return App.make({
      graph: this.start.graph,
      id: this.start.id,
      partitionKey: this.start.partitionKey,
      parentId: this.start.parentId,
      state: this.state,
      next: this.next,
      last: this.last,
      sequenceId: this.sequenceId
    })
  }
}

/** Keys whose value changed (added, removed or replaced) that are not in `writes`. */
const undeclaredWrites = (before: object, after: object, writes: ReadonlyArray<string>): Array<string> => {
  const prev = before as Record<string, unknown>
  const next = after as Record<string, unknown>
  const out: Array<string> = []
  for (const key of Object.keys(next)) {
    if (!writes.includes(key) && (!(key in prev) || prev[key] !== next[key])) out.push(key)
  }
  for (const key of Object.keys(prev)) {
    if (!writes.includes(key) && !(key in next)) out.push(key)
  }
  return out
}

const isPromiseLike = (u: unknown): u is PromiseLike<unknown> =>
  typeof u === "object" && u !== null && typeof (u as { then?: unknown }).then === "function"

const describe = (u: unknown): string => {
  if (u instanceof Error) return `${u.name}: ${u.message}`
  if (u === undefined || u === null) return String(u)
  if (Array.isArray(u)) return "an array"
  if (typeof u === "string") return JSON.stringify(u)
  if (typeof u === "object") return "an object"
  return `${typeof u} ${String(u)}`
}
