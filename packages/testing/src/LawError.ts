/**
 * The error every check throws when a law breaks.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * A law broke. `message` says which, shows the shrunk counterexample and how to replay it;
 * `counterexample` holds the same values for assertions.
 *
 * @example
 * ```ts
 * import { expect, it } from "vitest"
 * import { Schema } from "effect"
 * import { Testing } from "@teasel/testing"
 * const push = (s: { items: Array<number> }) => {
 *   s.items.push(1)
 *   return s
 * }
 * it("catches a mutation", async () => {
 *   const error = await Testing.checkAction(push, { state: Schema.Struct({ items: Schema.mutable(Schema.Array(Schema.Number)) }) })
 *     .catch((e: Testing.LawError) => e)
 *   expect(error).toMatchObject({ _tag: "LawError", law: "does not mutate its state or inputs" })
 * })
 * ```
 * @category errors
 * @since 0.1.0
 */
export class LawError extends Data.TaggedError("LawError")<{
  /** The law that broke, as a sentence about the subject ("does not mutate its state or inputs"). */
  readonly law: string
  /** What was checked ("Action \"inc\""). */
  readonly subject: string
  /** The shrunk counterexample, by name (`state`, `inputs`, `schedule`, ...). */
  readonly counterexample: Readonly<Record<string, unknown>>
  /** What happened on the counterexample. */
  readonly detail: string
  /** fast-check seed and path that replay the failure. */
  readonly seed: number
  readonly path: string
  /** Runs until the first failure, and shrinking steps taken after it. */
  readonly runs: number
  readonly shrinks: number
  readonly message: string
}> {}
