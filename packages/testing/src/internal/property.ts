/**
 * Running a fast-check property and turning its failure into a `LawError`: the law broken, the
 * shrunk counterexample and how to replay it.
 */
import { Cause, Effect, Exit, type Layer } from "effect"
import fc from "fast-check"
import { LawError } from "../LawError.js"
import { provideLayer, runVirtual } from "./harness.js"
import { describeError, show } from "./value.js"

/** Thrown inside a property: which law broke and what was seen. */
export class Violation extends Error {
  constructor(readonly law: string, readonly detail: string, readonly extra: Record<string, unknown> = {}) {
    super(`${law}: ${detail}`)
    this.name = "Violation"
  }
}

/**
 * The `layer` option: required when the subject requires services, optional when it requires
 * none, or when its requirements are unknown (`any`, as for the actions of a built graph).
 */
export type LayerOption<R> = 0 extends 1 & R ? { readonly layer?: Layer.Layer<any, any, never> | undefined }
  : [R] extends [never] ? { readonly layer?: Layer.Layer<never, any, never> | undefined }
  : { readonly layer: Layer.Layer<R, any, never> }

/** Options every check takes. */
export interface RunOptions {
  /** How many cases to generate. */
  readonly numRuns?: number | undefined
  /** fast-check seed; a failure prints the seed (and path) that replays it. */
  readonly seed?: number | undefined
  /** fast-check path of a failure to replay (with its `seed`). */
  readonly path?: string | undefined
}

/**
 * Checks `property`; on failure throws a `LawError` whose message names `subject`, the law, the
 * shrunk counterexample (laid out by `fields`) and the seed and path to replay it.
 */
export const check = async <Ts extends [unknown, ...Array<unknown>]>(
  property: fc.IAsyncProperty<Ts>,
  options: RunOptions & { readonly defaultRuns: number },
  subject: string,
  fields: (counterexample: Ts, violation: Violation | undefined) => Record<string, unknown>
): Promise<void> => {
  const details = await fc.check(property, {
    numRuns: options.numRuns ?? options.defaultRuns,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.path === undefined ? {} : { path: options.path })
  })
  if (!details.failed) return
  if (details.counterexample === null) {
    throw new Error(`${subject}: fast-check gave up (seed ${details.seed}): too many generated values were skipped or the run was interrupted`)
  }
  const violation = details.errorInstance instanceof Violation ? details.errorInstance : undefined
  const law = violation?.law ?? "runs without throwing"
  const detail = violation?.detail ?? `it threw ${describeError(details.errorInstance)}`
  const counterexample = fields(details.counterexample, violation)
  const lines = [
    `${subject} broke the law "${law}".`,
    `Counterexample (found after ${details.numRuns} run${details.numRuns === 1 ? "" : "s"}, shrunk ${details.numShrinks} time${details.numShrinks === 1 ? "" : "s"}):`,
    ...Object.entries(counterexample).map(([key, value]) => `  ${key}: ${show(value)}`),
    detail,
    `Replay it with { seed: ${details.seed}, path: ${JSON.stringify(details.counterexamplePath)} }.`
  ]
  throw new LawError({
    law,
    subject,
    counterexample,
    detail,
    seed: details.seed,
    path: details.counterexamplePath ?? "",
    runs: details.numRuns,
    shrinks: details.numShrinks,
    message: lines.join("\n")
  })
}

/** What calling an action (or a reduce) came to. */
export type Outcome =
  | { readonly _tag: "Success"; readonly value: unknown }
  | { readonly _tag: "Failure"; readonly error: unknown }

/**
 * Calls `f()` and waits for what it returns: a value, a promise (awaited) or an Effect (run on a
 * virtual clock with `layer`, Effect's `Random` seeded with `seed`).
 */
export const evaluate = async (
  f: () => unknown,
  layer: Layer.Layer<any, any, never> | undefined,
  seed: number
): Promise<Outcome> => {
  let out: unknown
  try {
    out = f()
  } catch (error) {
    return { _tag: "Failure", error }
  }
  if (Effect.isEffect(out)) {
    const exit = await runVirtual(provideLayer(out, layer), { seed })
    return Exit.isSuccess(exit)
      ? { _tag: "Success", value: exit.value }
      : { _tag: "Failure", error: Cause.squash(exit.cause) }
  }
  if (typeof out === "object" && out !== null && typeof (out as { then?: unknown }).then === "function") {
    try {
      return { _tag: "Success", value: await out }
    } catch (error) {
      return { _tag: "Failure", error }
    }
  }
  return { _tag: "Success", value: out }
}

/** Whether `error` is what a frozen object throws when code writes to it. */
export const isMutation = (error: unknown): boolean =>
  error instanceof TypeError &&
  /read.only|not extensible|Cannot delete property|Cannot redefine property|frozen/i.test(error.message)
