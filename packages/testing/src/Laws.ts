/**
 * Laws of actions and reduces, checked on generated states and inputs.
 *
 * `checkAction` checks that an action behaves as Teasel assumes every action does: it completes,
 * it does not mutate what it is given, it returns an object, it writes only the keys it declares
 * (and, when it declares `reads`, its writes depend only on them), and it is deterministic. Each
 * check returns a promise that rejects with a `LawError` showing the law broken and a shrunk
 * counterexample, so it can be awaited directly in a vitest `it`.
 *
 * @since 0.1.0
 */
import type { Layer } from "effect"
import { Action, type Parallel } from "@teasel/core"
import fc from "fast-check"
import { freeze } from "immer"
import { type Source, toArbitrary } from "./Arbitraries.js"
import { check, evaluate, isMutation, type LayerOption, type Outcome, type RunOptions, Violation } from "./internal/property.js"
import { at, describeError, difference, show } from "./internal/value.js"

/**
 * The laws `checkAction` checks, by the name `skip` takes:
 *
 * - `completes`: "completes without failing" — no throw, rejection or failed Effect;
 * - `immutable`: "does not mutate its state or inputs" — both are deep-frozen, so a write throws;
 * - `object`: "returns an object" — the next state is an object (not an array, not `undefined`);
 * - `writes`: "writes only its declared keys" — with `writes` declared (`Action.writesOf`);
 * - `reads`: "reads only its declared keys" — with `reads` declared: two states that agree on
 *   those keys get the same writes;
 * - `deterministic`: "gives the same output for the same input" — a second call on an equal copy
 *   gives an equal result.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Testing } from "@teasel/testing"
 * // A clock-reading action is not deterministic, by design: check the rest.
 * const stamp = (s: { at: number }) => ({ ...s, at: Date.now() })
 * await Testing.checkAction(stamp, { state: Schema.Struct({ at: Schema.Int }), skip: ["deterministic"] satisfies ReadonlyArray<Testing.ActionLaw> })
 * ```
 * @category models
 * @since 0.1.0
 */
export type ActionLaw = "completes" | "immutable" | "object" | "writes" | "reads" | "deterministic"

/**
 * Law sentences, as they appear in `LawError.law`.
 *
 * @example
 * ```ts
 * import { expect } from "vitest"
 * import { Testing } from "@teasel/testing"
 * declare const error: Testing.LawError
 * expect(error.law).toBe(Testing.actionLaws.immutable) // "does not mutate its state or inputs"
 * ```
 * @category models
 * @since 0.1.0
 */
export const actionLaws: { readonly [L in ActionLaw]: string } = {
  completes: "completes without failing",
  immutable: "does not mutate its state or inputs",
  object: "returns an object",
  writes: "writes only its declared keys",
  reads: "reads only its declared keys",
  deterministic: "gives the same output for the same input"
}

/**
 * Options of `checkAction`. `layer` provides what an effectful action requires.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import type { Testing } from "@teasel/testing"
 * const options: Testing.CheckActionOptions<{ readonly n: number }, { readonly by: number }, never> = {
 *   state: Schema.Struct({ n: Schema.Int }),
 *   inputs: Schema.Struct({ by: Schema.Int }),
 *   numRuns: 200,
 *   seed: 42
 * }
 * ```
 * @category models
 * @since 0.1.0
 */
export type CheckActionOptions<S, I, R> =
  & RunOptions
  & {
    /** The states to try: a Schema of the state or a fast-check arbitrary. */
    readonly state: Source<S>
    /** The inputs to try; `undefined` inputs when not given. */
    readonly inputs?: Source<I> | undefined
    /** Laws not to check. */
    readonly skip?: ReadonlyArray<ActionLaw> | undefined
    /** The action's name in messages (default: its function name). */
    readonly name?: string | undefined
  }
  & LayerOption<R>

/**
 * Checks the action laws (see `ActionLaw`) on generated states and inputs; rejects with a
 * `LawError` showing the shrunk counterexample. 100 runs by default.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { it } from "vitest"
 * import { Action } from "@teasel/core"
 * import { Testing } from "@teasel/testing"
 * const State = Schema.Struct({ count: Schema.Int, log: Schema.Array(Schema.String) })
 * const inc = Action.make({
 *   writes: ["count"],
 *   run: (s: typeof State.Type, i?: { by: number }) => ({ ...s, count: s.count + (i?.by ?? 1) })
 * })
 * it("inc is a lawful action", () =>
 *   Testing.checkAction(inc, { state: State, inputs: Schema.Struct({ by: Schema.Int }), seed: 1 }))
 * ```
 * @category laws
 * @since 0.1.0
 */
export const checkAction = <S, I = undefined, E = never, R = never>(
  action: (state: S, inputs: I) => Action.Next<S, E, R>,
  options: CheckActionOptions<NoInfer<S>, NoInfer<I>, NoInfer<R>>
): Promise<void> => {
  const skip = new Set(options.skip ?? [])
  const layer = options.layer as Layer.Layer<any, any, never> | undefined
  const name = options.name ?? (action.name || "anonymous")
  const writes = Action.writesOf(action)
  const reads = skip.has("reads") ? undefined : Action.readsOf(action)
  const states = toArbitrary(options.state)
  const inputs = options.inputs === undefined ? fc.constant(undefined) : toArbitrary(options.inputs)
  const others = reads === undefined ? fc.constant(undefined) : states
  let seed = 0
  const call = (state: unknown, input: unknown) => evaluate(() => action(state as S, input as I), layer, seed++)

  const property = fc.asyncProperty(states, inputs, others, async (state, input, other) => {
    const first = await call(state, input)
    const next = expectState(first, skip)
    if (next === undefined) return
    if (writes !== undefined && !skip.has("writes")) {
      const undeclared = changedKeys(state as object, next).filter((k) => !writes.includes(k))
      if (undeclared.length > 0) {
        throw new Violation(
          actionLaws.writes,
          `It wrote ${undeclared.map((k) => JSON.stringify(k)).join(", ")} outside its declared writes [${writes.join(", ")}]: ` +
            undeclared.map((k) => `${k}: ${show((state as any)[k], 80)} → ${show((next as any)[k], 80)}`).join("; ")
        )
      }
    }
    if (reads !== undefined && other !== undefined) {
      const mixed = freeze({ ...(other as object), ...pick(state as object, reads) }, true)
      const second = expectState(await call(mixed, input), skip)
      if (second !== undefined) {
        const written = new Set([...changedKeys(state as object, next), ...changedKeys(mixed, second), ...(writes ?? [])])
        for (const key of written) {
          const d = difference((next as any)[key], (second as any)[key])
          if (d !== undefined) {
            throw new Violation(
              actionLaws.reads,
              `With the declared reads [${reads.join(", ")}] equal, it wrote a different "${key}" ` +
                `(${show((next as any)[key], 80)} vs ${show((second as any)[key], 80)}): it reads something it does not declare.`,
              { other: mixed }
            )
          }
        }
      }
    }
    if (!skip.has("deterministic")) {
      const again = await call(copy(state), copy(input))
      const d = again._tag === "Success" ? difference(next, again.value) : "$"
      if (d !== undefined) {
        throw new Violation(
          actionLaws.deterministic,
          again._tag === "Failure"
            ? `The first call returned ${show(next, 120)}; a second call on an equal copy failed: ${describeError(again.error)}`
            : `Two calls on equal copies differ at ${d}: ${show(at(next, d), 120)} vs ${show(at(again.value, d), 120)}`
        )
      }
    }
  })
  return check(property, { ...options, defaultRuns: 100 }, `Action "${name}"`, ([state, input], violation) => ({
    state,
    inputs: input,
    ...(violation?.extra ?? {})
  }))
}

/**
 * Options of `checkOrderInsensitive`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import type { Testing } from "@teasel/testing"
 * const options: Testing.CheckOrderInsensitiveOptions<{ readonly total: number }, { readonly n: number }> = {
 *   state: Schema.Struct({ total: Schema.Int }),
 *   results: Schema.Array(Schema.Struct({ n: Schema.Int })),
 *   seed: 1
 * }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface CheckOrderInsensitiveOptions<S, C> extends RunOptions {
  /** The parent states to try. */
  readonly state: Source<S>
  /** The children's results to try (each permuted). */
  readonly results: Source<ReadonlyArray<C>>
  /** Provides what an effectful reduce requires. */
  readonly layer?: Layer.Layer<any, any, never> | undefined
  /** The reduce's name in messages. */
  readonly name?: string | undefined
}

/**
 * Checks that a reduce the user says is order-insensitive is: permuting the children's results
 * never changes the next state (nor does it mutate them: they are deep-frozen). 100 runs by
 * default; the counterexample shows the state, the results and the permutation.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { it } from "vitest"
 * import { Testing } from "@teasel/testing"
 * const total = (s: { total: number }, results: ReadonlyArray<{ n: number }>) =>
 *   ({ ...s, total: results.reduce((sum, r) => sum + r.n, 0) })
 * it("total does not depend on the order of results", () =>
 *   Testing.checkOrderInsensitive(total, {
 *     state: Schema.Struct({ total: Schema.Int }),
 *     results: Schema.Array(Schema.Struct({ n: Schema.Int })),
 *     seed: 1
 *   }))
 * ```
 * @category laws
 * @since 0.1.0
 */
export const checkOrderInsensitive = <S, C>(
  reduce: (state: S, results: ReadonlyArray<C>, failures: ReadonlyArray<Parallel.Failure>) => Action.Next<S, any, any>,
  options: CheckOrderInsensitiveOptions<NoInfer<S>, NoInfer<C>>
): Promise<void> => {
  const law = "does not depend on the order of results"
  let seed = 0
  const call = (state: unknown, results: ReadonlyArray<unknown>) =>
    evaluate(() => reduce(state as S, results as ReadonlyArray<C>, []), options.layer, seed++)
  // Sorting by generated keys (stable) gives every permutation; the keys shrink towards none, the identity.
  const keys = fc.array(fc.nat({ max: 15 }), { maxLength: 16 })
  const property = fc.asyncProperty(toArbitrary(options.state), toArbitrary(options.results), keys, async (state, results, order) => {
    const permuted = freeze(permute(results, order), true)
    const first = await call(state, results)
    const second = await call(state, permuted)
    for (const outcome of [first, second]) {
      if (outcome._tag === "Failure" && isMutation(outcome.error)) {
        throw new Violation("does not mutate its state or results", `It wrote to its frozen state or results: ${describeError(outcome.error)}`)
      }
    }
    const a = outcomeText(first)
    const b = outcomeText(second)
    if (a !== undefined || b !== undefined) {
      if (a !== b) throw new Violation(law, `In task order it ${a ?? "succeeded"}; permuted it ${b ?? "succeeded"}.`)
      return
    }
    const d = difference((first as { value: unknown }).value, (second as { value: unknown }).value)
    if (d !== undefined) {
      throw new Violation(
        law,
        `Permuted to ${show(permuted, 160)}, the next state differs at ${d}: ` +
          `${show(at((first as { value: unknown }).value, d), 120)} vs ${show(at((second as { value: unknown }).value, d), 120)}`
      )
    }
  })
  return check(property, { ...options, defaultRuns: 100 }, `Reduce "${options.name ?? (reduce.name || "anonymous")}"`, ([state, results, order]) => ({
    state,
    results,
    permuted: permute(results, order)
  }))
}

/** `results` sorted (stably) by `keys[i]` (0 past the end of `keys`). */
const permute = <C>(results: ReadonlyArray<C>, keys: ReadonlyArray<number>): Array<C> =>
  results.map((r, i) => [keys[i] ?? 0, i, r] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, , r]) => r)

const outcomeText = (outcome: Outcome): string | undefined =>
  outcome._tag === "Failure" ? `failed with ${describeError(outcome.error)}` : undefined

/** The next state of a successful call, or a violation of `completes`, `immutable` or `object`. */
const expectState = (outcome: Outcome, skip: ReadonlySet<ActionLaw>): object | undefined => {
  if (outcome._tag === "Failure") {
    if (isMutation(outcome.error)) {
      if (skip.has("immutable")) return undefined
      throw new Violation(actionLaws.immutable, `It wrote to its frozen state or inputs: ${describeError(outcome.error)}`)
    }
    if (skip.has("completes")) return undefined
    throw new Violation(actionLaws.completes, `It failed: ${describeError(outcome.error)}`)
  }
  const value = outcome.value
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    if (skip.has("object")) return undefined
    throw new Violation(actionLaws.object, `It returned ${Array.isArray(value) ? "an array" : show(value, 120)}, not a state object.`)
  }
  return value
}

/** Keys added, removed or replaced (by identity) from `before` to `after`, as the step loop counts writes. */
const changedKeys = (before: object, after: object): Array<string> => {
  const prev = before as Record<string, unknown>
  const next = after as Record<string, unknown>
  const out: Array<string> = []
  for (const key of Object.keys(next)) if (!(key in prev) || prev[key] !== next[key]) out.push(key)
  for (const key of Object.keys(prev)) if (!(key in next)) out.push(key)
  return out
}

const pick = (state: object, keys: ReadonlyArray<string>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const key of keys) if (key in state) out[key] = (state as Record<string, unknown>)[key]
  return out
}

/** An equal, separately allocated, frozen copy (the value itself when it cannot be cloned). */
const copy = <A>(value: A): A => {
  if (typeof value !== "object" || value === null) return value
  try {
    return freeze(structuredClone(value), true)
  } catch {
    return value
  }
}
