import { Schema } from "effect"
import * as M from "fp-ts/lib/Monoid.js"
import * as N from "fp-ts/lib/number.js"
import * as Str from "fp-ts/lib/string.js"
import { describe, expect, it } from "vitest"
import { Application, Graph, mapStates, tasks } from "@teasel/core"
import { foldMapWith, reduceWith, reduceWithSemigroup } from "@teasel/fp-ts"
import { Testing } from "@teasel/testing"
import { checkMonoid } from "@teasel/fp-ts/Testing"
import fc from "fast-check"

interface Stats {
  readonly count: number
  readonly total: number
  readonly max: number
}
// The empty value is persisted with the state, so it must be JSON: a finite bottom, not -Infinity.
const MaxSafe = M.max({ ...N.Bounded, bottom: Number.MIN_SAFE_INTEGER, top: Number.MAX_SAFE_INTEGER })
const StatsMonoid: M.Monoid<Stats> = M.struct({ count: N.MonoidSum, total: N.MonoidSum, max: MaxSafe })

const State = Schema.Struct({ xs: Schema.Array(Schema.Int.check(Schema.isBetween({ minimum: -1000, maximum: 1000 }))), stats: Schema.Struct({ count: Schema.Int, total: Schema.Int, max: Schema.Number }) })
type State = typeof State.Type

const stats = mapStates(
  (c: Stats) => ({ ...c, total: c.total * 2 }),
  (s: State) => s.xs.map((x) => ({ count: 1, total: x, max: x })),
  reduceWith(StatsMonoid, (s: State, combined) => ({ ...s, stats: combined }))
)

describe("reduces from a Monoid or Semigroup", () => {
  it("reduceWith combines the children in a graph", async () => {
    const graph = Graph.make({ actions: { stats }, transitions: [], entrypoint: "stats" })
    const done = await Application.runPromise(Application.make({ graph, state: { xs: [3, -1, 7], stats: { count: 0, total: 0, max: 0 } } }))
    expect(done.state.stats).toEqual({ count: 3, total: 18, max: 7 })
    const none = await Application.runPromise(Application.make({ graph, state: { xs: [], stats: { count: 9, total: 9, max: 9 } } }))
    expect(none.state.stats).toEqual({ count: 0, total: 0, max: Number.MIN_SAFE_INTEGER })
  })

  it("the monoid is lawful and commutative", () =>
    checkMonoid(StatsMonoid, { values: fc.record({ count: fc.nat(), total: fc.integer(), max: fc.integer() }) }))

  it("a commutative monoid's reduce passes checkReduce (concurrency, order, resume)", () =>
    Testing.checkReduce(stats, { state: State, numRuns: 30 }))

  it("foldMapWith with a non-commutative monoid is caught by checkOrderInsensitive", async () => {
    const joined = foldMapWith(Str.Monoid, (c: { readonly x: number }) => `${c.x},`, (s: { readonly text: string }, text) => ({ ...s, text }))
    const error = await Testing.checkOrderInsensitive(joined, {
      state: Schema.Struct({ text: Schema.String }),
      results: Schema.Array(Schema.Struct({ x: Schema.Int }))
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Testing.LawError)
    expect((error as Testing.LawError).law).toBe("does not depend on the order of results")
  })

  it("reduceWithSemigroup starts from the parent's value (tasks, with ids)", async () => {
    const best = tasks(
      (s: { readonly bids: ReadonlyArray<number>; readonly best: number }) => s.bids.map((bid, i) => ({ branch: (c: { readonly bid: number }) => c, state: { bid }, id: `bid-${i}` })),
      reduceWithSemigroup(
        { concat: (a: { readonly bid: number }, b: { readonly bid: number }) => ({ bid: Math.max(a.bid, b.bid) }) },
        (s: { readonly bids: ReadonlyArray<number>; readonly best: number }) => ({ bid: s.best }),
        (s, b) => ({ ...s, best: b.bid })
      )
    )
    const graph = Graph.make({ actions: { best }, transitions: [], entrypoint: "best" })
    expect((await Application.runPromise(Application.make({ graph, state: { bids: [3, 9, 4], best: 5 } }))).state.best).toBe(9)
    expect((await Application.runPromise(Application.make({ graph, state: { bids: [], best: 5 } }))).state.best).toBe(5)
  })
})
