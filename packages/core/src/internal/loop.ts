/**
 * The step loop: choose → run → save → observe, for one run of one application.
 *
 * Actions that return a plain state run in a plain `while` loop with no Effect machinery between
 * them; an action that returns an Effect or a Promise suspends the loop, which resumes from the
 * same place when it completes. Every few hundred steps the loop yields to the scheduler, so a long
 * run stays interruptible and fair to other fibers, timers and I/O — also when its steps suspend
 * without waiting (an `Effect.sync` action, a save to a synchronous store such as SQLite): a
 * suspension is not a yield, so every step counts.
 *
 * This module is the loop's entry points and options; one run is a `Run` (`run.ts`).
 */
import { Effect, Predicate } from "effect"
import type { Application } from "../Application.js"
import type { Emit } from "./context.js"
import { Run } from "./run.js"
import { type Services, withServices } from "./services.js"

export interface LoopOptions {
  readonly haltAfter?: ReadonlyArray<string> | undefined
  readonly haltBefore?: ReadonlyArray<string> | undefined
  /** Given to the first action this call runs. */
  readonly inputs?: object | undefined
  /** At most this many steps, then the run halts (`Application.step` runs one). */
  readonly maxSteps?: number | undefined
  /** At most this many steps, then the next one fails with `StepLimit` (`maxSteps` of `run`). */
  readonly stepLimit?: number | undefined
  /** For a child application: the parent's step that spawned it, and its action (saved with each step, reported to tracking). */
  readonly parentSequenceId?: number | undefined
  readonly parentAction?: string | undefined
}

type AnyApp = Application<any, any, any, any>

/** A run's result: the application where it stopped, or the Effect that gets there. */
export type Outcome = AnyApp | Effect.Effect<AnyApp, unknown, unknown>

/** What the caller of `runFrom` got from calling the first action itself. */
export type FirstOutcome = { readonly out: unknown } | { readonly thrown: unknown }

/** Runs `start` until it halts or ends; events go to `emit` when someone listens. */
export const run = (start: AnyApp, options: LoopOptions, emit: Emit | undefined): Effect.Effect<AnyApp, unknown, unknown> =>
  withServices((services) => runWith(start, options, emit, services))

/** `run`, with the services already read. */
export const runWith = (
  start: AnyApp,
  options: LoopOptions,
  emit: Emit | undefined,
  services: Services
): Effect.Effect<AnyApp, unknown, unknown> => new Run(start, options, emit, services).start()

/**
 * Runs `start` as far as it goes synchronously: the application where it stopped when every action
 * ran synchronously (and nothing is persisted), or an Effect that completes the run. Parallel steps
 * use it to finish synchronous children without a fiber each.
 */
export const runSync = (start: AnyApp, options: LoopOptions, emit: Emit | undefined, services: Services): Outcome =>
  new Run(start, options, emit, services).runSync()

/**
 * Like `runSync`, for a run whose first action the caller has already called (a parallel step's
 * fast path calls a plain branch itself and needs the loop only when the result is not a plain
 * state): its outcome is taken as the first step's, then the run goes on.
 */
export const runFrom = (start: AnyApp, options: LoopOptions, services: Services, first: FirstOutcome): Outcome =>
  new Run(start, options, undefined, services).runFrom(first)

/** Whether `out`, returned by an action, is a state that needs no further checks. */
export const isPlainState = (out: unknown): out is object =>
  typeof out === "object" && out !== null && !Array.isArray(out) && !Effect.isEffect(out) && !Predicate.isPromiseLike(out)
