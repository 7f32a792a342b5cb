import { Effect, Exit } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import * as GroupCommit from "../src/internal/groupCommit.js"

/** A group commit over a write that records its batches; odd items fail, as a conflict would. */
const recording = () => {
  const batches: Array<ReadonlyArray<number>> = []
  const request = GroupCommit.make((items: ReadonlyArray<number>) =>
    Effect.sync(() => {
      batches.push(items)
      return items.map((n) => (n % 2 === 0 ? Exit.succeed(n * 10) : Exit.fail(`odd ${n}`)))
    })
  )
  return { batches, request }
}

describe("GroupCommit", () => {
  it("requests made together are written in one batch, in order, each caller told its own outcome", async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.nat(1000), { minLength: 1, maxLength: 50 }), async (items) => {
      const { batches, request } = recording()
      const exits = await Effect.runPromise(
        Effect.forEach(items, (n) => Effect.exit(request(n)), { concurrency: "unbounded" })
      )
      expect(batches).toEqual([items])
      expect(exits).toEqual(items.map((n) => (n % 2 === 0 ? Exit.succeed(n * 10) : Exit.fail(`odd ${n}`))))
    }))
  })

  it("a request made after the previous one completed is a batch of its own", async () => {
    const { batches, request } = recording()
    const out = await Effect.runPromise(Effect.forEach([2, 4, 6], request))
    expect(out).toEqual([20, 40, 60])
    expect(batches).toEqual([[2], [4], [6]])
  })

  it("a write that dies fails every caller of its batch with the defect; none is left waiting", async () => {
    const request = GroupCommit.make((_: ReadonlyArray<number>) => Effect.die(new Error("disk on fire")))
    const exits = await Effect.runPromise(
      Effect.forEach([1, 2, 3], (n) => Effect.exit(request(n)), { concurrency: "unbounded" })
    )
    for (const exit of exits) {
      expect(Exit.isFailure(exit) && String(exit.cause)).toMatch(/disk on fire/)
    }
  })
})
