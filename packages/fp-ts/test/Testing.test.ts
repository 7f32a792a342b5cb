import { Schema } from "effect"
import * as Eq from "fp-ts/lib/Eq.js"
import * as M from "fp-ts/lib/Monoid.js"
import * as N from "fp-ts/lib/number.js"
import * as Sg from "fp-ts/lib/Semigroup.js"
import * as Str from "fp-ts/lib/string.js"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { checkMonoid, checkSemigroup, monoidLaws } from "@teasel/fp-ts/Testing"
import { Testing } from "@teasel/testing"

const caught = (p: Promise<void>) => p.then(() => undefined, (e: unknown) => e as Testing.LawError)

describe("checkMonoid / checkSemigroup", () => {
  it("lawful commutative monoids pass", async () => {
    await checkMonoid(N.MonoidSum, { values: Schema.Int })
    await checkMonoid(M.struct({ n: N.MonoidSum, m: M.max(N.Bounded) }), { values: fc.record({ n: fc.integer(), m: fc.integer() }) })
    await checkSemigroup(Sg.min(N.Ord), { values: fc.double({ noNaN: true }) })
  })

  it("string concatenation breaks commutativity, with a shrunk counterexample", async () => {
    const error = await caught(checkMonoid(Str.Monoid, { values: fc.string(), name: "strings" }))
    expect(error).toBeInstanceOf(Testing.LawError)
    expect(error?.law).toBe(monoidLaws.commutative)
    expect(error?.subject).toBe('Monoid "strings"')
    const { a, b } = error?.counterexample as { a: string; b: string }
    expect(a + b).not.toBe(b + a)
    expect(error?.message).toContain("Replay it with { seed:")
  })

  it("skip lets a caller accept a non-commutative monoid", () =>
    checkMonoid(Str.Monoid, { values: fc.string(), skip: ["commutative"] }))

  it("subtraction is not associative; a wrong empty is not an identity", async () => {
    const minus = { concat: (x: number, y: number) => x - y, empty: 0 }
    expect((await caught(checkMonoid(minus, { values: fc.integer() })))?.law).toBe(monoidLaws.associative)
    const badEmpty = { concat: N.MonoidSum.concat, empty: 1 }
    expect((await caught(checkMonoid(badEmpty, { values: fc.integer() })))?.law).toBe(monoidLaws.leftIdentity)
  })

  it("uses the given Eq: floating-point sums are lawful up to a tolerance only", async () => {
    const close: Eq.Eq<number> = { equals: (x, y) => Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(x), Math.abs(y)) }
    // Values whose sums round: (0.1 + 0.2) + 0.3 !== 0.1 + (0.2 + 0.3), (1e16 + -1e16) + 1 !== 1e16 + (-1e16 + 1).
    const floats = fc.constantFrom(0.1, 0.2, 0.3, 1, 1e16, -1e16)
    expect((await caught(checkMonoid(N.MonoidSum, { values: floats, numRuns: 500 })))?.law).toBe(monoidLaws.associative)
    await checkMonoid(N.MonoidSum, { values: fc.constantFrom(0.1, 0.2, 0.3, 1, 0.7), eq: close, numRuns: 500 })
  })

  it("a failure replays with its seed and path", async () => {
    const first = await caught(checkMonoid(Str.Monoid, { values: fc.string() }))
    const again = await caught(checkMonoid(Str.Monoid, { values: fc.string(), seed: first!.seed, path: first!.path }))
    expect(again?.counterexample).toEqual(first?.counterexample)
  })
})
