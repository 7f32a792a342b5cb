/**
 * Arbitraries: fast-check generators of states and inputs, deep-frozen so that an action that
 * mutates what it is given fails at once instead of corrupting the next test case.
 *
 * `fromSchema` derives a generator from an Effect `Schema` of the state: values come from Effect's
 * own schema-aware generator (so every check of the schema holds: refinements, patterns, lengths,
 * literals), seeded by fast-check so that a failing run replays from its seed; shrinking is
 * structural (shorter arrays and strings, numbers towards zero, optional keys dropped) and keeps
 * only candidates the schema accepts.
 *
 * @since 0.1.0
 */
import { Arbitrary as EffectArbitrary, Effect, Schema } from "effect"
import fc from "fast-check"
import { freeze } from "immer"

/**
 * Where test values come from: an Effect `Schema` of the value, or a fast-check arbitrary.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import fc from "fast-check"
 * import type { Testing } from "@teasel/testing"
 * const bySchema: Testing.Source<{ readonly n: number }> = Schema.Struct({ n: Schema.Int })
 * const byArbitrary: Testing.Source<{ n: number }> = fc.record({ n: fc.integer() })
 * ```
 * @category models
 * @since 0.1.0
 */
export type Source<A> = Schema.Schema<A> | fc.Arbitrary<A>

/**
 * Options of `fromSchema`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Testing } from "@teasel/testing"
 * const small = Testing.fromSchema(Schema.Array(Schema.String), { maxSize: 3 })
 * ```
 * @category models
 * @since 0.1.0
 */
export interface FromSchemaOptions {
  /**
   * The largest size generated values grow to (lengths of arrays and strings, magnitude of
   * numbers, each counted on its own); 8 by default. Keep it small: counterexamples shrink, but
   * every run of a workflow law runs the workflow.
   */
  readonly maxSize?: number | undefined
}

/**
 * A fast-check arbitrary of the values of `schema`, deep-frozen. Generation is Effect's
 * schema-aware generator, seeded from fast-check (so `seed` and `path` replay a failure);
 * shrinking is structural and keeps only candidates that `schema` accepts.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import fc from "fast-check"
 * import { Testing } from "@teasel/testing"
 * const Counter = Schema.Struct({ count: Schema.Int, items: Schema.Array(Schema.String) })
 * const [state] = fc.sample(Testing.fromSchema(Counter), { numRuns: 1, seed: 1 })
 * Object.isFrozen(state) // true
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromSchema = <A>(schema: Schema.Schema<A>, options?: FromSchemaOptions): fc.Arbitrary<A> =>
  new SchemaArbitrary(schema, options?.maxSize ?? 8)

/**
 * The same arbitrary with every generated value (and every shrink candidate) deep-frozen with
 * immer's `freeze(value, true)`.
 *
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { Testing } from "@teasel/testing"
 * const states = Testing.frozen(fc.record({ items: fc.array(fc.string()) }))
 * fc.assert(fc.property(states, (s) => Object.isFrozen(s.items)))
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const frozen = <A>(arbitrary: fc.Arbitrary<A>): fc.Arbitrary<A> => arbitrary.map((value) => freeze(value, true))

/**
 * A deep-frozen fast-check arbitrary from a `Source`: a schema goes through `fromSchema`, an
 * arbitrary through `frozen`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import fc from "fast-check"
 * import { Testing } from "@teasel/testing"
 * const a = Testing.toArbitrary(Schema.Struct({ n: Schema.Int }))
 * const b = Testing.toArbitrary(fc.record({ n: fc.integer() }))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const toArbitrary = <A>(source: Source<A>, options?: FromSchemaOptions): fc.Arbitrary<A> =>
  Schema.isSchema(source) ? fromSchema(source as Schema.Schema<A>, options) : frozen(source as fc.Arbitrary<A>)

class SchemaArbitrary<A> extends fc.Arbitrary<A> {
  private readonly sampler: EffectArbitrary.Arbitrary<A>
  private readonly valid: (u: unknown) => boolean
  /** A few of the simplest values of the schema: shrinking tries their parts in place of larger ones. */
  private readonly simplest: ReadonlyArray<unknown>

  constructor(schema: Schema.Schema<A>, private readonly maxSize: number) {
    super()
    this.sampler = EffectArbitrary.schema(schema) as EffectArbitrary.Arbitrary<A>
    this.valid = Schema.is(schema)
    this.simplest = Effect.runSync(EffectArbitrary.sampleEffect(this.sampler, { count: 8, seed: 0, size: 0 }))
  }

  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<A> {
    const seed = mrng.nextInt(0, 2_147_483_647)
    // Like fast-check's own arbitraries: one value in `biasFactor` is a small one.
    const small = biasFactor !== undefined && mrng.nextInt(1, biasFactor) === 1
    const size = small ? mrng.nextInt(0, Math.min(2, this.maxSize)) : mrng.nextInt(0, this.maxSize)
    const [value] = Effect.runSync(EffectArbitrary.sampleEffect(this.sampler, { count: 1, seed, size }))
    return new fc.Value(freeze(value as A, true), undefined)
  }

  canShrinkWithoutContext(value: unknown): value is A {
    return this.valid(value)
  }

  shrink(value: A): fc.Stream<fc.Value<A>> {
    const valid = this.valid
    const simplest = this.simplest
    // Every kind of candidate is smaller in its own way; keeping only those that also rank lower
    // as a whole puts them all in one well-founded order, so shrinking cannot go round in circles.
    const own = rank(value)
    return new fc.Stream(
      (function*() {
        for (const candidate of smaller(value, simplest)) {
          if (lower(rank(candidate), own) && valid(candidate)) yield new fc.Value(freeze(candidate as A, true), undefined)
        }
      })()
    )
  }
}

/**
 * Structurally smaller values, simplest first: empty or shorter arrays and strings, numbers
 * towards zero, `false`, objects with a key dropped, then each part shrunk in place. `hints` are
 * the values at the same place in the schema's simplest samples; one replaces `value` when it
 * ranks lower (so a literal "final" can shrink to "draft").
 */
function* smaller(value: unknown, hints: ReadonlyArray<unknown>): Generator<unknown> {
  const own = rank(value)
  for (const hint of hints) if (hint !== undefined && lower(rank(hint), own)) yield hint
  switch (typeof value) {
    case "number": {
      if (value === 0) {
        if (Object.is(value, -0)) yield 0
        return
      }
      if (!Number.isFinite(value)) return yield 0
      yield 0
      if (!Number.isInteger(value)) return yield Math.trunc(value) || 0
      // A positive number is simpler than its negative (shorter), and never shrinks back.
      if (value < 0) yield -value
      const half = Math.trunc(value / 2) || 0
      if (half !== 0) yield half
      const step = value - Math.sign(value)
      if (step !== 0 && step !== half) yield step
      return
    }
    case "string": {
      if (value.length === 0) return
      yield ""
      if (value.length > 1) {
        yield value.slice(0, Math.floor(value.length / 2))
        yield value.slice(1)
        yield value.slice(0, -1)
      }
      const i = value.search(/[^a]/)
      if (i !== -1) yield value.slice(0, i) + "a" + value.slice(i + 1)
      return
    }
    case "boolean":
      if (value) yield false
      return
    case "bigint":
      if (value !== 0n) {
        yield 0n
        if (value / 2n !== 0n) yield value / 2n
      }
      return
  }
  if (Array.isArray(value)) {
    const n = value.length
    if (n === 0) return
    yield []
    if (n > 2) {
      yield value.slice(0, Math.floor(n / 2))
      yield value.slice(Math.floor(n / 2))
    }
    for (let i = 0; i < n; i++) yield [...value.slice(0, i), ...value.slice(i + 1)]
    for (let i = 0; i < n; i++) {
      const inner = hints.map((h) => (Array.isArray(h) ? h[i] : undefined))
      for (const part of smaller(value[i], inner)) yield [...value.slice(0, i), part, ...value.slice(i + 1)]
    }
    return
  }
  if (typeof value !== "object" || value === null) return
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return
  const record = value as Record<string, unknown>
  const keys = Object.keys(record)
  for (const key of keys) {
    const { [key]: _, ...rest } = record
    yield rest
  }
  for (const key of keys) {
    const inner = hints.map((h) => (typeof h === "object" && h !== null && !Array.isArray(h) ? (h as Record<string, unknown>)[key] : undefined))
    for (const part of smaller(record[key], inner)) yield { ...record, [key]: part }
  }
}

/** A total order on plain values: shorter JSON first, then JSON text (`-0` ranks above `0`). */
const rank = (value: unknown): readonly [number, string] => {
  let text: string
  try {
    text = JSON.stringify(value, (_key, v) => (Object.is(v, -0) ? "-0" : typeof v === "bigint" ? `${v}n` : v)) ?? ""
  } catch {
    text = ""
  }
  return [text.length, text]
}

const lower = (a: readonly [number, string], b: readonly [number, string]): boolean =>
  a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])
