/**
 * Why a step failed: `ActionError`, and its reasons, each a small tagged class with fields of its
 * own (match on `error.reason._tag`). Re-exported by `Action` (`Action.Threw`, ...) and, for the
 * error itself, by the package root.
 *
 * @since 0.2.0
 */
import { Data } from "effect"

/**
 * Why a step failed: the action threw.
 *
 * @category errors
 * @since 0.2.0
 */
export class Threw extends Data.TaggedClass("Threw")<{ readonly cause: unknown }> {}

/**
 * Why a step failed: the action's promise rejected.
 *
 * @category errors
 * @since 0.2.0
 */
export class Rejected extends Data.TaggedClass("Rejected")<{ readonly cause: unknown }> {}

/**
 * Why a step failed: the action returned something that is not a state object (`found` says
 * what it was).
 *
 * @category errors
 * @since 0.2.0
 */
export class NotAnObject extends Data.TaggedClass("NotAnObject")<{ readonly found: string }> {}

/**
 * Why a step failed: the action changed keys outside its declared `writes`.
 *
 * @category errors
 * @since 0.2.0
 */
export class UndeclaredWrite extends Data.TaggedClass("UndeclaredWrite")<{
  /** The keys it added, removed or replaced without declaring them. */
  readonly keys: ReadonlyArray<string>
  /** Its declared `writes`. */
  readonly writes: ReadonlyArray<string>
}> {}

/**
 * Why a step failed: the action's result lacks keys it declares in its `writes` (and not in its
 * `optionalWrites`).
 *
 * @category errors
 * @since 0.2.0
 */
export class MissingWrite extends Data.TaggedClass("MissingWrite")<{
  /** The declared keys missing from the result. */
  readonly keys: ReadonlyArray<string>
}> {}

/**
 * Why a step failed: the call ran `maxSteps` steps already (`Application.run`'s option), and this
 * one would exceed the limit. The step did not run.
 *
 * @category errors
 * @since 0.2.0
 */
export class StepLimit extends Data.TaggedClass("StepLimit")<{ readonly limit: number }> {}

/**
 * Why a step failed before its action ran: the action declares inputs (`Action.make({ inputs })`)
 * that the call did not give.
 *
 * @category errors
 * @since 0.2.0
 */
export class MissingInput extends Data.TaggedClass("MissingInput")<{
  /** The declared inputs missing from the call. */
  readonly keys: ReadonlyArray<string>
}> {}

/**
 * Why a step failed: the application's next action is not an action of its graph.
 *
 * @category errors
 * @since 0.2.0
 */
export class UnknownAction extends Data.TaggedClass("UnknownAction")<{}> {}

/**
 * Why a step failed: the action completed, but a transition condition out of it threw.
 *
 * @category errors
 * @since 0.2.0
 */
export class ConditionThrew extends Data.TaggedClass("ConditionThrew")<{ readonly cause: unknown }> {}

/**
 * Why a step failed, each reason with its own fields (`_tag` tells which).
 *
 * @category errors
 * @since 0.2.0
 */
export type ActionErrorReason =
  | Threw
  | Rejected
  | NotAnObject
  | UndeclaredWrite
  | MissingWrite
  | MissingInput
  | UnknownAction
  | ConditionThrew
  | StepLimit

/**
 * A step failed for a reason that is not the action's own typed error: the action threw, its
 * promise rejected, it returned something that is not an object, it wrote a key outside its
 * declared `writes`, it was not found, or a transition condition out of it threw. `reason` says
 * which (a tagged class with its own fields).
 *
 * @example
 * ```ts
 * import { Effect, Exit } from "effect"
 * import { Application, Graph } from "@teasel/core"
 * const graph = Graph.make({ actions: { bad: (_: { n: number }) => { throw new Error("no") } }, transitions: [], entrypoint: "bad" })
 * const exit = await Effect.runPromiseExit(Application.run(Application.make({ graph, state: { n: 0 } }), {}))
 * // exit fails with ActionError { action: "bad", sequenceId: 1, reason: Threw { cause: Error("no") } }
 * ```
 * @category errors
 * @since 0.1.0
 */
export class ActionError extends Data.TaggedError("ActionError")<{
  /** Name of the action that failed. */
  readonly action: string
  /** Id of the application that ran it. */
  readonly appId: string
  /** The step that failed (1 for the first step of the application). */
  readonly sequenceId: number
  /** What went wrong. */
  readonly reason: ActionErrorReason
  readonly message: string
  /** The thrown or rejected value, when there is one. */
  readonly cause?: unknown
}> {}
