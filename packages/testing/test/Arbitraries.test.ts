import { Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Testing } from "../src/index.js"

const State = Schema.Struct({
  count: Schema.Int,
  items: Schema.Array(Schema.String),
  kind: Schema.Literals(["draft", "final"]),
  note: Schema.optionalKey(Schema.String)
})

const isDeepFrozen = (u: unknown): boolean =>
  typeof u !== "object" || u === null || (Object.isFrozen(u) && Object.values(u).every(isDeepFrozen))

/** The shrunk counterexample of a property that must fail. */
const counterexample = <A>(arbitrary: fc.Arbitrary<A>, predicate: (a: A) => boolean): A => {
  const details = fc.check(fc.property(arbitrary, predicate), { numRuns: 200 })
  if (!details.failed || details.counterexample === null) throw new Error("expected a counterexample")
  return details.counterexample[0]
}

describe("fromSchema", () => {
  it("generates values of the schema, deep-frozen", () => {
    const is = Schema.is(State)
    fc.assert(fc.property(Testing.fromSchema(State), (s) => is(s) && isDeepFrozen(s)), { numRuns: 200 })
  })

  it("is reproducible from the fast-check seed", () => {
    // Any seed will do: a fresh one each run, used twice.
    const seed = Math.floor(Math.random() * 2 ** 31)
    const a = fc.sample(Testing.fromSchema(State), { seed, numRuns: 20 })
    const b = fc.sample(Testing.fromSchema(State), { seed, numRuns: 20 })
    expect(a).toEqual(b)
    expect(new Set(a.map((s) => JSON.stringify(s))).size).toBeGreaterThan(10)
  })

  it("honours the schema's checks while generating and while shrinking", () => {
    const Bounded = Schema.Struct({ n: Schema.Int.check(Schema.isBetween({ minimum: 5, maximum: 50 })) })
    fc.assert(fc.property(Testing.fromSchema(Bounded), (s) => s.n >= 5 && s.n <= 50 && Number.isInteger(s.n)), { numRuns: 200 })
    // Shrinking towards 0 stops at the schema's minimum.
    expect(counterexample(Testing.fromSchema(Bounded), () => false)).toEqual({ n: 5 })
  })

  it("shrinks to a minimal counterexample: shortest arrays, empty strings, numbers nearest zero", () => {
    const arbitrary = Testing.fromSchema(State)
    expect(counterexample(arbitrary, (s) => s.items.length < 3)).toEqual({ count: 0, items: ["", "", ""], kind: "draft" })
    expect(counterexample(arbitrary, (s) => s.count < 10)).toEqual({ count: 10, items: [], kind: "draft" })
    expect(counterexample(arbitrary, (s) => s.kind !== "final")).toEqual({ count: 0, items: [], kind: "final" })
    // Strings shrink in length, not in their characters: one string of two code units, any two.
    const long = counterexample(arbitrary, (s) => !s.items.some((i) => i.length > 1))
    expect(long).toEqual({ count: 0, items: [expect.any(String)], kind: "draft" })
    expect(long.items[0]).toHaveLength(2)
  })

  it("keeps size in check", () => {
    const small = fc.sample(Testing.fromSchema(State, { maxSize: 2 }), { numRuns: 200 })
    expect(Math.max(...small.map((s) => s.items.length))).toBeLessThanOrEqual(2)
  })
})

describe("frozen and toArbitrary", () => {
  it("deep-freezes the values of a fast-check arbitrary", () => {
    const states = Testing.frozen(fc.record({ items: fc.array(fc.record({ n: fc.nat() })) }))
    fc.assert(fc.property(states, isDeepFrozen), { numRuns: 200 })
  })

  it("accepts a schema or an arbitrary", () => {
    const fromSchema = fc.sample(Testing.toArbitrary(Schema.Struct({ n: Schema.Int })), { numRuns: 20 })
    const fromArbitrary = fc.sample(Testing.toArbitrary(fc.record({ n: fc.integer() })), { numRuns: 20 })
    for (const s of [...fromSchema, ...fromArbitrary]) {
      expect(Number.isInteger(s.n)).toBe(true)
      expect(Object.isFrozen(s)).toBe(true)
    }
  })
})
