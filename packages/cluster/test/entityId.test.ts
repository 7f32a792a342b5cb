/**
 * Entity ids (internal, and worth a focused test): the cluster stores them in VARCHAR(255), so a
 * long child id is hashed — deterministically, injectively in practice, and never colliding with
 * a short id that happens to look like a hash.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { entityIdOf, maxEntityIdLength } from "../src/internal/entityId.js"

describe("entityIdOf", () => {
  it("keeps short ids, hashes long ones into at most 255 characters", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (id) => {
        const entity = entityIdOf(id)
        expect(entity.length).toBeLessThanOrEqual(255)
        expect(entityIdOf(id)).toBe(entity)
        if (id.length <= maxEntityIdLength && !id.startsWith("sha256:")) expect(entity).toBe(id)
        else expect(entity).toMatch(/^sha256:[0-9a-f]{64}$/)
      })
    )
  })

  it("gives different ids different entity ids", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.string({ maxLength: 400 }), (a, b) => {
        fc.pre(a !== b)
        expect(entityIdOf(a)).not.toBe(entityIdOf(b))
      })
    )
    const hashLike = entityIdOf("y".repeat(300))
    expect(entityIdOf(hashLike)).not.toBe(hashLike)
  })
})
