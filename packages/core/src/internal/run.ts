/**
 * One run of the step loop over one application (see `loop.ts` for the entry points).
 *
 * A `Run` holds the run's position (state, next, last, sequence id) while it runs: the loop is a
 * `while` over it and its asynchronous continuations resume it, so the position lives in one place
 * rather than travelling through a closure per step. What an action returned is checked by the pure
 * `Output.check`; who watches the run is one `Observer`, absent when nobody does.
 */
import { Cause, Effect, Exit, Predicate } from "effect"
import type { Context } from "../Action.js"
import {
  type ActionError,
  type ActionErrorReason,
  ConditionThrew,
  MissingInput,
  Rejected,
  StepLimit,
  Threw,
  UnknownAction
} from "../ActionError.js"
import type { Application } from "../Application.js"
import type { Persistence } from "../Persistence.js"
import * as App from "./application.js"
import { call, type Contract, contractsOf } from "./contract.js"
import { CurrentStep, type Emit, type StepContext } from "./context.js"
import type { FirstOutcome, LoopOptions, Outcome } from "./loop.js"
import * as Observer from "./observer.js"
import * as Output from "./output.js"
import type { Services } from "./services.js"
import { choose } from "./transition.js"

type AnyApp = Application<any, any, any, any>

/** Every this many steps the run yields to the scheduler (see `loop.ts`). */
const YIELD_EVERY = 512

export class Run {
  private state: unknown
  private next: string | undefined
  private last: string | undefined
  private sequenceId: number
  /** Steps this run has started, and since it last yielded. */
  private ran = 0
  private sinceYield = 0
  private readonly actions: Record<string, (state: unknown, inputs?: unknown, context?: Context) => unknown>
  /** What the graph's actions declare; `undefined` when none declares anything. */
  private readonly contracts: Readonly<Record<string, Contract>> | undefined
  private readonly store: Persistence["Service"] | undefined
  private readonly observer: Observer.Observer | undefined
  /** Whether this run's end is watched for the observer (once per run, not per step). */
  private watched = false

  constructor(
    private readonly app: AnyApp,
    private readonly options: LoopOptions,
    private readonly emit: Emit | undefined,
    services: Services
  ) {
    this.state = app.state
    this.next = app.next
    this.last = app.last
    this.sequenceId = app.sequenceId
    this.actions = app.graph.actions
    this.contracts = contractsOf(app.graph)
    this.store = services.store
    this.observer = Observer.make(app, options.parentSequenceId, emit, services)
  }

  /** The whole run, as an Effect. */
  start(): Effect.Effect<AnyApp, unknown, unknown> {
    if (this.observer !== undefined) this.observer.resumed()
    const out = this.runSync()
    return Effect.isEffect(out) ? out : Effect.succeed(out)
  }

  /** Runs steps while their actions return plain states; stops at the first that suspends. */
  runSync(): Outcome {
    const { haltBefore } = this.options
    const maxSteps = this.options.maxSteps ?? Infinity
    const stepLimit = this.options.stepLimit ?? Infinity
    while (true) {
      const name = this.next
      if (name === undefined || this.ran >= maxSteps || (this.ran > 0 && haltBefore !== undefined && haltBefore.includes(name))) {
        return this.finish()
      }
      if (this.ran >= stepLimit) {
        return this.failStep(this.error(name, this.sequenceId + 1, new StepLimit({ limit: stepLimit })), false)
      }
      if (this.sinceYield >= YIELD_EVERY) {
        this.sinceYield = 0
        this.observer?.paused()
        return this.watchExit(Effect.flatMap(Effect.yieldNow, () => this.start()))
      }
      const action = this.actions[name]
      const sequenceId = this.sequenceId + 1
      if (action === undefined) return this.failStep(this.error(name, sequenceId, new UnknownAction()), false)
      const inputs = this.begin(name, sequenceId)
      const contract = this.contracts === undefined ? undefined : this.contracts[name]
      let out: unknown
      if (contract === undefined) {
        try {
          out = action(this.state, inputs)
        } catch (cause) {
          return this.failStep(this.error(name, sequenceId, new Threw({ cause })))
        }
      } else {
        const called = call(action, contract, this.state, this.options.inputs, this.ran === 1, () => this.contextOf(name, sequenceId))
        if ("missing" in called) return this.failStep(this.error(name, sequenceId, new MissingInput({ keys: called.missing })))
        if ("thrown" in called) return this.failStep(this.error(name, sequenceId, new Threw({ cause: called.thrown })))
        out = called.out
      }
      const stopped = this.settle(name, sequenceId, out)
      if (stopped !== undefined) return stopped
    }
  }

  /** Takes `first` as the outcome of the next action, then goes on like `runSync`. */
  runFrom(first: FirstOutcome): Outcome {
    const name = this.next!
    const sequenceId = this.sequenceId + 1
    this.begin(name, sequenceId)
    if ("thrown" in first) return this.failStep(this.error(name, sequenceId, new Threw({ cause: first.thrown })))
    return this.settle(name, sequenceId, first.out) ?? this.runSync()
  }

  /** Starts a step: counts it, reports it, and returns its inputs. */
  private begin(name: string, sequenceId: number): object | undefined {
    const inputs = this.ran === 0 ? this.options.inputs : undefined
    this.ran++
    this.sinceYield++
    if (this.observer !== undefined) this.observer.started(name, sequenceId)
    return inputs
  }

  /**
   * Takes what an action returned: completes the step when it is a state, or returns the Effect
   * that completes it. Returns `undefined` when the loop goes on synchronously.
   */
  private settle(name: string, sequenceId: number, out: unknown): Outcome | undefined {
    if (Effect.isEffect(out)) {
      if (this.observer !== undefined) this.observer.suspended(name, sequenceId)
      return this.watchExit(this.awaitStep(this.provideStep(out, name, sequenceId), name, sequenceId))
    }
    if (Predicate.isPromiseLike(out)) {
      if (this.observer !== undefined) this.observer.suspended(name, sequenceId)
      const awaited = Effect.tryPromise({
        try: () => out,
        catch: (cause) => this.error(name, sequenceId, new Rejected({ cause }))
      })
      return this.watchExit(this.awaitStep(this.reportFailure(awaited, name, sequenceId), name, sequenceId))
    }
    const error = this.complete(name, sequenceId, out)
    if (error !== undefined) return this.failStep(error)
    if (this.store !== undefined) {
      this.observer?.paused()
      return this.watchExit(Effect.flatMap(Effect.uninterruptible(this.save(this.store, name)), () => this.afterStep(name)))
    }
    const haltAfter = this.options.haltAfter
    if (haltAfter !== undefined && haltAfter.includes(name)) return this.finish()
    return undefined
  }

  /**
   * Completes an asynchronous step and goes on. With persistence, the step's completion and its
   * save are one uninterruptible unit: once the action has completed, its save happens.
   */
  private awaitStep(running: Effect.Effect<unknown, unknown, unknown>, name: string, sequenceId: number) {
    const store = this.store
    if (store === undefined && this.observer !== undefined && this.emit === undefined) {
      // Only a tracker watches: one frame both completes the step and records its failure (the
      // action was not wrapped by `reportFailure`), where `onError` and `flatMap` cost two.
      return Effect.matchCauseEffect(running, {
        onFailure: (cause) => {
          this.observeFailure(name, sequenceId, cause)
          return Effect.failCause(cause)
        },
        onSuccess: (out) => {
          const error = this.completeAwaited(name, sequenceId, out)
          return error === undefined ? this.afterStep(name) : this.failStep(error)
        }
      })
    }
    const completed = store === undefined
      ? Effect.flatMap(running, (out) => this.completeOrFail(name, sequenceId, out))
      : Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(restore(running), (out) =>
          Effect.flatMap(this.completeOrFail(name, sequenceId, out), () => {
            this.observer?.paused()
            return this.save(store, name)
          }))
      )
    return Effect.flatMap(completed, () => this.afterStep(name))
  }

  private completeOrFail(name: string, sequenceId: number, out: unknown): Effect.Effect<void, ActionError> {
    const error = this.completeAwaited(name, sequenceId, out)
    return error === undefined ? Effect.void : this.failStep(error)
  }

  /** `complete`, for what an action's Effect or Promise completed with (never awaited twice). */
  private completeAwaited(name: string, sequenceId: number, out: unknown): ActionError | undefined {
    const nested = Output.checkAwaited(out)
    return nested === undefined ? this.complete(name, sequenceId, out) : this.error(name, sequenceId, nested)
  }

  /** After a completed (and saved) step: halt, or go on. */
  private afterStep(name: string): Effect.Effect<AnyApp, unknown, unknown> {
    const haltAfter = this.options.haltAfter
    if (haltAfter !== undefined && haltAfter.includes(name)) return Effect.succeed(this.finish())
    return this.start()
  }

  private save(store: Persistence["Service"], name: string) {
    return store.save({
      appId: this.app.id,
      partitionKey: this.app.partitionKey,
      sequenceId: this.sequenceId,
      action: name,
      next: this.next,
      state: this.state,
      parentId: this.app.parentId,
      parentSequenceId: this.options.parentSequenceId,
      parentAction: this.options.parentAction,
      createdAt: Date.now()
    })
  }

  /** Checks the next state, moves the run to it and chooses the next action. */
  private complete(name: string, sequenceId: number, out: unknown): ActionError | undefined {
    const contract = this.contracts === undefined ? undefined : this.contracts[name]
    const problem = contract === undefined
      ? Output.check(this.state, out, undefined)
      : Output.check(this.state, out, contract.writes, contract.optionalWrites)
    if (problem !== undefined) return this.error(name, sequenceId, problem)
    let next: string | undefined
    try {
      next = choose(this.app.graph.edges, name, out)
    } catch (cause) {
      return this.error(name, sequenceId, new ConditionThrew({ cause }))
    }
    this.state = out
    this.last = name
    this.next = next
    this.sequenceId = sequenceId
    if (this.observer !== undefined) this.observer.completed(name, sequenceId, out, next)
    return undefined
  }

  /** Runs an effectful action with its step context; its defects become `ActionError`s. */
  private provideStep(effect: Effect.Effect<unknown, unknown, unknown>, name: string, sequenceId: number) {
    const step: StepContext = {
      appId: this.app.id,
      parentId: this.app.parentId,
      parentSequenceId: this.options.parentSequenceId,
      partitionKey: this.app.partitionKey,
      sequenceId,
      action: name,
      emit: this.emit,
      chunk: this.observer === undefined ? ignore : (chunk) => this.observer!.chunk(name, sequenceId, chunk)
    }
    const provided = effect.pipe(
      Effect.catchDefect((cause) => Effect.fail(this.error(name, sequenceId, new Threw({ cause })))),
      Effect.provideService(CurrentStep, step)
    )
    return this.reportFailure(provided, name, sequenceId)
  }

  /** Reports a failed (or interrupted) action; a tracker alone is told by `awaitStep`. */
  private reportFailure<A, E, R>(effect: Effect.Effect<A, E, R>, name: string, sequenceId: number) {
    if (this.emit === undefined && this.store === undefined) return effect
    return Effect.onError(effect, (cause) => {
      if (!Cause.hasInterruptsOnly(cause)) return this.recordFailure(name, sequenceId, Cause.squash(cause))
      this.observeFailure(name, sequenceId, cause)
      return Effect.void
    })
  }

  /** Tells the observer of an action's failure: interrupted, or failed. */
  private observeFailure(name: string, sequenceId: number, cause: Cause.Cause<unknown>) {
    if (!Cause.hasInterruptsOnly(cause)) {
      // Without persistence, `recordFailure` returns Effect.void: nothing is left to run.
      if (this.store === undefined) void this.recordFailure(name, sequenceId, Cause.squash(cause))
      return
    }
    if (this.observer !== undefined) this.observer.interrupted(name, sequenceId)
  }

  /**
   * When the observer watches the run's end, this run's first suspension (an action's Effect or
   * Promise, a save, a yield) is wrapped, once, to report how the run stops when it does not stop
   * by itself: interrupted (with the step in flight, if any) or failed outside a step (a save that
   * failed). The rest of the run executes inside that effect; a frame per step would cost every
   * step (an interrupted fiber skips `matchCauseEffect`'s failure handler, which `awaitStep` uses
   * when only a tracker watches).
   */
  private watchExit(effect: Effect.Effect<AnyApp, unknown, unknown>): Effect.Effect<AnyApp, unknown, unknown> {
    const observer = this.observer
    if (this.watched || observer === undefined || !observer.watchesExit) return effect
    this.watched = true
    return Effect.onExit(effect, (exit) => {
      if (Exit.isFailure(exit)) {
        const interruptedOnly = Cause.hasInterruptsOnly(exit.cause)
        observer.exited(interruptedOnly ? "interrupted" : "failed", Cause.hasInterrupts(exit.cause), this.sequenceId, this.next)
      }
      return Effect.void
    })
  }

  /** Fails the run with `error` (`started`: whether the failing step had started). */
  private failStep(error: ActionError, started = true): Effect.Effect<never, ActionError> {
    return this.observer === undefined && this.store === undefined
      ? Effect.fail(error)
      : Effect.flatMap(this.recordFailure(error.action, error.sequenceId, error, started), () => Effect.fail(error))
  }

  /** Tells the observer of a failed step and saves the failure, so that the step runs again on load. */
  private recordFailure(name: string, sequenceId: number, error: unknown, started = true): Effect.Effect<void> {
    if (this.observer !== undefined) this.observer.failed(name, sequenceId, error, started, this.sequenceId, this.next)
    if (this.store === undefined) return Effect.void
    return Effect.ignore(this.store.saveFailure({
      appId: this.app.id,
      partitionKey: this.app.partitionKey,
      sequenceId,
      action: name,
      error: Output.describe(error),
      createdAt: Date.now()
    }))
  }

  /** Where step `sequenceId` (action `name`) runs, for an action that reads it. */
  private contextOf(name: string, sequenceId: number): Context {
    return {
      appId: this.app.id,
      partitionKey: this.app.partitionKey,
      sequenceId,
      action: name,
      parentId: this.app.parentId,
      parentSequenceId: this.options.parentSequenceId
    }
  }

  private error(name: string, sequenceId: number, reason: ActionErrorReason): ActionError {
    return Output.actionError(this.app.id, name, sequenceId, reason)
  }

  /** The run stops by itself: the application where it stands. */
  private finish(): AnyApp {
    if (this.observer !== undefined) this.observer.ended(this.next === undefined ? "ended" : "halted", this.sequenceId, this.next)
    return App.make(this.app, { state: this.state, next: this.next, last: this.last, sequenceId: this.sequenceId })
  }
}

const ignore = () => {}
