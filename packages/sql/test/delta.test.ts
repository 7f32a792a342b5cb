import { Persistence } from "@teasel/core"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { diff, digestsOf, type Known } from "../src/internal/delta.js"

const where = (sequenceId: number) => ({ appId: "a", partitionKey: "", sequenceId })

/** What the store would read back after applying `writes` of each step in turn. */
const replay = (stored: Map<string, string>, full: boolean, writes: ReadonlyArray<readonly [string, string | null]>) => {
  if (full) stored.clear()
  for (const [key, json] of writes) {
    if (json === null) stored.delete(key)
    else stored.set(key, json)
  }
  return Object.fromEntries(stored)
}

type Change = "keep" | "rebuild" | "replace" | "delete"
const keys = ["a", "b", "c", "__proto__x", "toString"] as const
const arbitrary = fc.array(
  fc.record({
    changes: fc.tuple(...keys.map(() => fc.constantFrom<Change>("keep", "keep", "rebuild", "replace", "delete"))),
    values: fc.tuple(...keys.map(() => fc.jsonValue({ maxDepth: 2 }))),
    forget: fc.boolean()
  }),
  { minLength: 1, maxLength: 12 }
)

describe("delta", () => {
  it("replaying the writes of every step gives back each step's state, whatever changed", () => {
    fc.assert(fc.property(arbitrary, (steps) => {
      let state: Record<string, unknown> = {}
      let known: Known | undefined
      const stored = new Map<string, string>()
      steps.forEach(({ changes, forget, values }, i) => {
        const next: Record<string, unknown> = { ...state }
        keys.forEach((key, k) => {
          const change = changes[k]!
          if (change === "delete") delete next[key]
          else if (change === "replace" || !Object.hasOwn(state, key)) next[key] = values[k]
          else if (change === "rebuild") next[key] = JSON.parse(JSON.stringify(state[key]))
        })
        const sequenceId = i + 1
        const delta = diff(forget ? undefined : known, next, where(sequenceId))
        const expected = Persistence.encodeState(next, where(sequenceId))
        expect(replay(stored, delta.full, delta.writes)).toEqual(expected)
        expect(delta.full).toBe(forget || known === undefined)
        expect(delta.digests).toEqual(digestsOf(expected))
        if (!delta.full) {
          // Only what changed is written: an unchanged JSON text is never written again.
          for (const [key, json] of delta.writes) {
            expect(json === null ? !Object.hasOwn(expected, key) : !Object.hasOwn(state, key) || JSON.stringify(state[key]) !== json).toBe(true)
          }
        }
        known = { appRef: 1, sequenceId, base: 1, state: next, digests: delta.digests }
        state = next
      })
    }))
  })

  it("does not encode (or check) keys that hold the same value as in the previous step", () => {
    const big = { text: "x".repeat(1000) }
    const first = diff(undefined, { big, n: 1 }, where(1))
    const known: Known = { appRef: 1, sequenceId: 1, base: 1, state: { big, n: 1 }, digests: first.digests }
    const second = diff(known, { big, n: 2 }, where(2))
    expect(second).toMatchObject({ full: false, writes: [["n", "2"]], added: [] })
    const removed = diff(known, { n: 1, m: [1] }, where(2))
    expect(removed.writes).toEqual([["m", "[1]"], ["big", null]])
    expect(removed.added).toEqual(["m"])
  })

  it("refuses what encodeState refuses, naming the key", () => {
    const known: Known = { appRef: 1, sequenceId: 1, base: 1, state: { ok: 1 }, digests: digestsOf({ ok: "1" }) }
    expect(() => diff(known, { ok: 1, f: () => 1 }, where(2))).toThrow(
      `Application "a" (step 2): state key "f" cannot be stored as JSON: it holds a function`
    )
    expect(() => diff(undefined, { n: 10n }, where(1))).toThrow(/state key "n".*BigInt/)
  })
})
