/**
 * Why a parallel step failed: `ParallelError`, re-exported by `Parallel` and by the package root.
 *
 * @since 0.2.0
 */
import { Data } from "effect"

/**
 * A child of a parallel step failed (with `onError: "fail"`), or the step's tasks were invalid.
 * `cause` is the child's error.
 *
 * @category errors
 * @since 0.1.0
 */
export class ParallelError<E = unknown> extends Data.TaggedError("ParallelError")<{
  /** The parallel action. */
  readonly action: string
  /** The parent application. */
  readonly appId: string
  /** The parent's step. */
  readonly sequenceId: number
  /** Position of the failing task. */
  readonly index: number
  /** Id of the failing child application. */
  readonly childId: string
  readonly cause: E
  readonly message: string
}> {}
