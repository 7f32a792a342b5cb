/**
 * Laws of the algebra behind a reduce, checked with fast-check on generated values. A reduce built
 * with `reduceWith` / `foldMapWith` gives the same next state whatever order the children
 * complete in, and whatever concurrency limit or resume splits the work, exactly when its
 * `concat` is associative and commutative and `empty` is an identity. `checkMonoid` checks those
 * laws and rejects with `@teasel/testing`'s `LawError` naming the broken law and the shrunk values.
 *
 * Import it from `@teasel/fp-ts/Testing` (it needs `fast-check` and `@teasel/testing`).
 *
 * @since 0.1.0
 */
import { Testing } from "@teasel/testing"
import fc from "fast-check"
import type { Eq } from "fp-ts/lib/Eq.js"
import type { Monoid } from "fp-ts/lib/Monoid.js"
import type { Semigroup } from "fp-ts/lib/Semigroup.js"

/**
 * The laws, by name, as they appear in `LawError.law`.
 *
 * @example
 * ```ts
 * import { monoidLaws } from "@teasel/fp-ts/Testing"
 * console.log(monoidLaws.commutative) // concat is commutative (the reduce does not depend on the order of results)
 * ```
 * @category models
 * @since 0.1.0
 */
export const monoidLaws = {
  associative: "concat is associative",
  leftIdentity: "empty is a left identity",
  rightIdentity: "empty is a right identity",
  commutative: "concat is commutative (the reduce does not depend on the order of results)"
} as const

/**
 * A law of `monoidLaws`, by key.
 *
 * @category models
 * @since 0.1.0
 */
export type MonoidLaw = keyof typeof monoidLaws

/**
 * Options of `checkMonoid` and `checkSemigroup`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import type { CheckMonoidOptions } from "@teasel/fp-ts/Testing"
 * const options: CheckMonoidOptions<number> = { values: Schema.Int, numRuns: 200, seed: 7 }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface CheckMonoidOptions<A> {
  /** The values to try: an Effect `Schema` or a fast-check `Arbitrary`. */
  readonly values: Testing.Source<A>
  /** Equality of two values; structural equality of plain data by default (numbers by value: `0` equals `-0`). */
  readonly eq?: Eq<A> | undefined
  /** Laws not to check (e.g. `commutative`, for a reduce whose children always finish in task order). */
  readonly skip?: ReadonlyArray<MonoidLaw> | undefined
  /** The monoid's name in messages. */
  readonly name?: string | undefined
  /** How many cases to generate (100 by default). */
  readonly numRuns?: number | undefined
  /** fast-check seed; a failure prints the seed and path that replay it. */
  readonly seed?: number | undefined
  /** fast-check path of a failure to replay (with its `seed`). */
  readonly path?: string | undefined
}

class Broken extends Error {
  constructor(readonly law: MonoidLaw, readonly detail: string) {
    super(detail)
  }
}

/** Structural equality of plain data; numbers by value (0 equals -0, NaN equals NaN). */
const deepEqual = (x: unknown, y: unknown): boolean => {
  if (typeof x === "number" && typeof y === "number") return x === y || (Number.isNaN(x) && Number.isNaN(y))
  if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) return Object.is(x, y)
  if (Array.isArray(x) !== Array.isArray(y)) return false
  const kx = Object.keys(x)
  const ky = Object.keys(y)
  return kx.length === ky.length &&
    kx.every((k) => Object.hasOwn(y, k) && deepEqual((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]))
}

const show = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

const run = async <A>(
  semigroup: Semigroup<A>,
  empty: { readonly value: A } | undefined,
  options: CheckMonoidOptions<A>,
  kind: string
): Promise<void> => {
  const equals = (x: A, y: A) => options.eq === undefined ? deepEqual(x, y) : options.eq.equals(x, y)
  const skip = new Set(options.skip ?? [])
  const concat = semigroup.concat
  const values = Testing.toArbitrary(options.values)
  const property = fc.property(values, values, values, (a, b, c) => {
    const expect = (law: MonoidLaw, left: A, right: A, what: string) => {
      if (!skip.has(law) && !equals(left, right)) {
        throw new Broken(law, `${what}: ${show(left)} vs ${show(right)}`)
      }
    }
    expect("associative", concat(concat(a, b), c), concat(a, concat(b, c)), "concat(concat(a, b), c) differs from concat(a, concat(b, c))")
    if (empty !== undefined) {
      expect("leftIdentity", concat(empty.value, a), a, "concat(empty, a) differs from a")
      expect("rightIdentity", concat(a, empty.value), a, "concat(a, empty) differs from a")
    }
    expect("commutative", concat(a, b), concat(b, a), "concat(a, b) differs from concat(b, a)")
  })
  const details = fc.check(property, {
    numRuns: options.numRuns ?? 100,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.path === undefined ? {} : { path: options.path })
  })
  if (!details.failed) return
  const subject = `${kind} "${options.name ?? "anonymous"}"`
  if (details.counterexample === null) throw new Error(`${subject}: fast-check gave up (seed ${details.seed})`)
  const [a, b, c] = details.counterexample
  const broken = details.errorInstance instanceof Broken ? details.errorInstance : undefined
  const law = broken === undefined ? "concat and empty do not throw" : monoidLaws[broken.law]
  const detail = broken?.detail ?? `it threw ${String(details.errorInstance)}`
  const path = details.counterexamplePath ?? ""
  throw new Testing.LawError({
    law,
    subject,
    counterexample: { a, b, c },
    detail,
    seed: details.seed,
    path,
    runs: details.numRuns,
    shrinks: details.numShrinks,
    message: [
      `${subject} broke the law "${law}".`,
      `Counterexample (found after ${details.numRuns} runs, shrunk ${details.numShrinks} times):`,
      `  a: ${show(a)}`,
      `  b: ${show(b)}`,
      `  c: ${show(c)}`,
      detail,
      `Replay it with { seed: ${details.seed}, path: ${JSON.stringify(path)} }.`
    ].join("\n")
  })
}

/**
 * Checks that `monoid` makes an order-insensitive reduce: `concat` is associative and commutative
 * and `empty` is an identity on both sides. Rejects with a `LawError` (from `@teasel/testing`)
 * whose `law` is one of `monoidLaws` and whose `counterexample` holds the shrunk `a`, `b`, `c`.
 *
 * @example
 * ```ts
 * import * as N from "fp-ts/lib/number.js"
 * import * as S from "fp-ts/lib/string.js"
 * import { Schema } from "effect"
 * import { checkMonoid } from "@teasel/fp-ts/Testing"
 *
 * await checkMonoid(N.MonoidSum, { values: Schema.Int, name: "sum" }) // passes
 * const error = await checkMonoid(S.Monoid, { values: Schema.String, name: "string" }).catch((e: Error) => e)
 * console.log((error as { law?: string }).law) // concat is commutative (the reduce does not depend on the order of results)
 * ```
 * @category laws
 * @since 0.1.0
 */
export const checkMonoid = <A>(monoid: Monoid<A>, options: CheckMonoidOptions<A>): Promise<void> =>
  run(monoid, { value: monoid.empty }, options, "Monoid")

/**
 * Checks that `semigroup` makes an order-insensitive reduce (`reduceWithSemigroup`): `concat` is
 * associative and commutative. Rejects with a `LawError` like `checkMonoid`.
 *
 * @example
 * ```ts
 * import * as N from "fp-ts/lib/number.js"
 * import * as Sg from "fp-ts/lib/Semigroup.js"
 * import { Schema } from "effect"
 * import { checkSemigroup } from "@teasel/fp-ts/Testing"
 *
 * await checkSemigroup(Sg.max(N.Ord), { values: Schema.Finite, name: "max" }) // passes
 * ```
 * @category laws
 * @since 0.1.0
 */
export const checkSemigroup = <A>(semigroup: Semigroup<A>, options: CheckMonoidOptions<A>): Promise<void> =>
  run(semigroup, undefined, options, "Semigroup")
