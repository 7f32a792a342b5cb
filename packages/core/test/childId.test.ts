/**
 * Child ids are derived, not stored: the same parent, step, action and index always give the same
 * id (a resumed parent finds its children), and any difference in them gives another (a repeated
 * invocation gets new children, siblings never share one).
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Parallel } from "../src/index.js"

const place = fc.record({
  parentId: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes(":")),
  sequenceId: fc.nat({ max: 1_000 }),
  action: fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes(":")),
  index: fc.nat({ max: 10_000 })
})

describe("Parallel.childId", () => {
  it("is deterministic and spelled parent:step:action:index", () => {
    fc.assert(
      fc.property(place, ({ action, index, parentId, sequenceId }) => {
        const id = Parallel.childId(parentId, sequenceId, action, index)
        expect(Parallel.childId(parentId, sequenceId, action, index)).toBe(id)
        expect(id).toBe(`${parentId}:${sequenceId}:${action}:${index}`)
      }),
      { numRuns: 200 }
    )
  })

  it("differs whenever the parent, the step, the action or the index differs", () => {
    fc.assert(
      fc.property(place, place, (a, b) => {
        const same = a.parentId === b.parentId && a.sequenceId === b.sequenceId && a.action === b.action && a.index === b.index
        const idA = Parallel.childId(a.parentId, a.sequenceId, a.action, a.index)
        const idB = Parallel.childId(b.parentId, b.sequenceId, b.action, b.index)
        expect(idA === idB).toBe(same)
      }),
      { numRuns: 500 }
    )
  })

  it("gives the children of one step distinct ids, and a later step of the same action new ones", () => {
    const first = Array.from({ length: 1_000 }, (_, i) => Parallel.childId("app", 3, "fan", i))
    const again = Array.from({ length: 1_000 }, (_, i) => Parallel.childId("app", 5, "fan", i))
    expect(new Set(first).size).toBe(1_000)
    expect(first.some((id) => again.includes(id))).toBe(false)
  })
})
