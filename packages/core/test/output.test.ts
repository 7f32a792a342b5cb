/**
 * Checking an action's output is a pure function (no Effect, no application): an object is a
 * state, anything else is named; with declared writes, only those keys may change.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { check } from "../src/internal/output.js"

const key = fc.constantFrom("a", "b", "c", "d")
const record = fc.dictionary(key, fc.integer({ min: 0, max: 3 }))

describe("output check", () => {
  it("accepts any object when no writes are declared, and names every non-object", () => {
    expect(check({}, { x: 1 }, undefined)).toBeUndefined()
    expect(check({ x: 1 }, {}, undefined)).toBeUndefined()
    for (const [value, found] of [[undefined, "undefined"], [null, "null"], [3, "number 3"], ["s", "\"s\""], [[1], "an array"], [true, "boolean true"]] as const) {
      expect(check({}, value, undefined)).toMatchObject({ _tag: "NotAnObject", found })
      expect(check({}, value, ["a"])).toMatchObject({ _tag: "NotAnObject", found })
    }
  })

  it("with declared writes: fails exactly when a key outside them was added, removed or replaced", () => {
    fc.assert(
      fc.property(record, record, fc.uniqueArray(key), (before, after, writes) => {
        const changed = (["a", "b", "c", "d"] as Array<string>).filter((k) =>
          (k in before) !== (k in after) || (before as Record<string, unknown>)[k] !== (after as Record<string, unknown>)[k]
        )
        const undeclared = changed.filter((k) => !(writes as Array<string>).includes(k))
        // Every declared write optional here: this property is about the keys outside them.
        const problem = check(before, after, writes, writes)
        if (undeclared.length === 0) expect(problem).toBeUndefined()
        else {
          expect(problem?._tag).toBe("UndeclaredWrite")
          expect(problem?._tag === "UndeclaredWrite" && [...problem.keys].sort()).toEqual(undeclared.sort())
          expect(problem?._tag === "UndeclaredWrite" && problem.writes).toEqual(writes)
        }
      }),
      { numRuns: 300 }
    )
  })

  it("with declared writes: fails when the result lacks one, unless it is optional", () => {
    fc.assert(
      fc.property(record, fc.uniqueArray(key), fc.uniqueArray(key), (after, writes, optional) => {
        const before = after // nothing outside the writes changed
        const missing = writes.filter((k) => !(k in after) && !optional.includes(k))
        const problem = check(before, after, writes, optional)
        if (missing.length === 0) expect(problem).toBeUndefined()
        else expect(problem).toMatchObject({ _tag: "MissingWrite", keys: missing })
      }),
      { numRuns: 300 }
    )
  })

  it("compares values by identity: a rebuilt equal value is a write", () => {
    const list = [1]
    expect(check({ list }, { list }, [])).toBeUndefined()
    expect(check({ list }, { list: [1] }, [])).toMatchObject({ _tag: "UndeclaredWrite", keys: ["list"] })
  })
})
