/**
 * The action laws and the order-insensitivity law, on lawful actions (which pass) and on
 * deliberately broken ones (each caught, with the shrunk counterexample asserted).
 */
import { Context, Effect, Layer, Random, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Action } from "@teasel/core"
import { Testing } from "../src/index.js"

const State = Schema.Struct({ count: Schema.Int, items: Schema.Array(Schema.String) })
type State = typeof State.Type
const Inputs = Schema.Struct({ by: Schema.Int })

/** The LawError a check must reject with. */
const broken = async (check: Promise<void>): Promise<Testing.LawError> => {
  const error = await check.then(() => undefined, (e: unknown) => e)
  if (!(error instanceof Testing.LawError)) throw new Error(`expected a LawError, got ${String(error)}`)
  return error
}

describe("checkAction: lawful actions pass", () => {
  it("a plain action, with inputs", () =>
    Testing.checkAction((s: State, i: { by: number }) => ({ ...s, count: s.count + i.by }), { state: State, inputs: Inputs }))

  it("an action that declares its reads and writes", () =>
    Testing.checkAction(
      Action.make({ name: "inc", reads: ["count"], writes: ["count"], run: (s: State) => ({ ...s, count: s.count + 1 }) }),
      { state: State }
    ))

  it("an immer action (Action.produce) on frozen states", () =>
    Testing.checkAction(Action.produce((draft: State) => void (draft.items as Array<string>).push("x")), { state: State }))

  it("a Promise action and an Effect action with its layer and its sleeps (on a virtual clock)", async () => {
    class Clock extends Context.Service<Clock, { readonly tick: Effect.Effect<number> }>()("test/Clock") {}
    const layer = Layer.succeed(Clock, { tick: Effect.as(Effect.sleep("1 hour"), 1) })
    await Testing.checkAction((s: State) => Promise.resolve({ ...s, count: s.count * 2 }), { state: State })
    // Twenty hours of sleeps: on a real clock the test would time out.
    await Testing.checkAction(
      (s: State) => Effect.map(Clock.use((c) => c.tick), (n) => ({ ...s, count: s.count + n })),
      { state: State, layer, numRuns: 100 }
    )
  })

  it("a fast-check arbitrary instead of a schema", () =>
    Testing.checkAction((s: { n: number }) => ({ n: s.n + 1 }), { state: fc.record({ n: fc.integer() }) }))
})

describe("checkAction: broken actions are caught with a shrunk counterexample", () => {
  it("mutation of the state", async () => {
    const push = (s: State) => {
      ;(s.items as Array<string>).push("x")
      return s
    }
    const error = await broken(Testing.checkAction(push, { state: State }))
    expect(error.law).toBe("does not mutate its state or inputs")
    expect(error.counterexample).toEqual({ state: { count: 0, items: [] }, inputs: undefined })
    expect(error.message).toContain("Cannot add property 0, object is not extensible")
    expect(error.message).toContain(`Action "push" broke the law "does not mutate its state or inputs"`)
  })

  it("mutation of the inputs", async () => {
    const consume = (s: State, i: { by: number }) => {
      ;(i as { by: number }).by = 0
      return s
    }
    const error = await broken(Testing.checkAction(consume, { state: State, inputs: Inputs }))
    expect(error.law).toBe("does not mutate its state or inputs")
    expect(error.counterexample).toEqual({ state: { count: 0, items: [] }, inputs: { by: 0 } })
  })

  it("an undeclared write", async () => {
    const inc = Action.make({
      name: "inc",
      writes: ["count"],
      run: (s: State) => ({ ...s, count: s.count + 1, items: s.items.length > 1 ? s.items.slice(1) : s.items })
    })
    const error = await broken(Testing.checkAction(inc, { state: State }))
    expect(error.law).toBe("writes only its declared keys")
    expect(error.counterexample.state).toEqual({ count: 0, items: ["", ""] })
    expect(error.detail).toBe(`It wrote "items" outside its declared writes [count]: items: ["",""] → [""]`)
  })

  it("an undeclared read", async () => {
    const inc = Action.make({
      name: "inc",
      reads: ["count"],
      writes: ["count"],
      run: (s: State) => ({ ...s, count: s.count + s.items.length })
    })
    const error = await broken(Testing.checkAction(inc, { state: State }))
    expect(error.law).toBe("reads only its declared keys")
    // Two states equal on `count` that differ in `items`: the smallest such pair (in either order).
    const pair = [error.counterexample.state, error.counterexample.other]
    expect(pair).toContainEqual({ count: 0, items: [""] })
    expect(pair).toContainEqual({ count: 0, items: [] })
  })

  it("impure output: a hidden counter", async () => {
    let calls = 0
    const stamp = (s: State) => ({ ...s, count: s.count + calls++ })
    const error = await broken(Testing.checkAction(stamp, { state: State }))
    expect(error.law).toBe("gives the same output for the same input")
    expect(error.counterexample.state).toEqual({ count: 0, items: [] })
    expect(error.detail).toMatch(/^Two calls on equal copies differ at \$\.count: /)
  })

  it("impure output: Math.random and Effect's Random", async () => {
    const coin = (s: State) => ({ ...s, count: Math.random() < 0.5 ? 0 : 1 })
    expect((await broken(Testing.checkAction(coin, { state: State }))).law).toBe("gives the same output for the same input")
    const effectCoin = (s: State) => Effect.map(Random.next, (x) => ({ ...s, count: x < 0.5 ? 0 : 1 }))
    expect((await broken(Testing.checkAction(effectCoin, { state: State }))).law).toBe("gives the same output for the same input")
  })

  it("a result that is not an object", async () => {
    const last = (s: State) => (s.items.length > 1 ? s.items : s) as State
    const error = await broken(Testing.checkAction(last, { state: State }))
    expect(error.law).toBe("returns an object")
    expect(error.counterexample.state).toEqual({ count: 0, items: ["", ""] })
    expect(error.detail).toBe("It returned an array, not a state object.")
  })

  it("a throw on some states", async () => {
    const head = (s: State) => {
      if (s.count > 2) throw new Error("too many")
      return s
    }
    const error = await broken(Testing.checkAction(head, { state: State }))
    expect(error.law).toBe("completes without failing")
    expect(error.counterexample.state).toEqual({ count: 3, items: [] })
  })

  it("replays a failure from the printed seed and path", async () => {
    const push = (s: State) => {
      if (s.items.length > 2) (s.items as Array<string>).push("x")
      return s
    }
    // Any seed: the one this run draws is the one the message must print.
    const seed = Math.floor(Math.random() * 2 ** 31)
    const first = await broken(Testing.checkAction(push, { state: State, seed }))
    const again = await broken(Testing.checkAction(push, { state: State, seed: first.seed, path: first.path }))
    expect(again.counterexample).toEqual(first.counterexample)
    expect(first.message).toContain(`Replay it with { seed: ${seed}, path: "${first.path}" }`)
  })

  it("skips the laws it is told to", () => {
    let calls = 0
    const stamp = (s: State) => ({ ...s, count: s.count + calls++ })
    return Testing.checkAction(stamp, { state: State, skip: ["deterministic"] })
  })

  it("works as a vitest assertion", async () => {
    const push = (s: State) => {
      ;(s.items as Array<string>).push("x")
      return s
    }
    await expect(Testing.checkAction(push, { state: State })).rejects.toThrow(/does not mutate its state or inputs/)
  })
})

describe("checkOrderInsensitive", () => {
  const Results = Schema.Array(Schema.Struct({ n: Schema.Int }))
  const Total = Schema.Struct({ total: Schema.Int })

  it("passes a sum", () =>
    Testing.checkOrderInsensitive(
      (s: { total: number }, results: ReadonlyArray<{ n: number }>) => ({ ...s, total: results.reduce((t, r) => t + r.n, 0) }),
      { state: Total, results: Results }
    ))

  it("catches a reduce that keeps the first result, with the smallest swap", async () => {
    const first = (s: { total: number }, results: ReadonlyArray<{ n: number }>) => ({ ...s, total: results[0]?.n ?? 0 })
    const error = await broken(Testing.checkOrderInsensitive(first, { state: Total, results: Results }))
    expect(error.law).toBe("does not depend on the order of results")
    // Usually [{ n: 0 }, { n: 1 }] and its swap; some seeds shrink to a few more zeros. Always: zeros
    // and a single 1, permuted so that the first result changes.
    const { permuted, results, state } = error.counterexample as {
      state: unknown
      results: ReadonlyArray<{ n: number }>
      permuted: ReadonlyArray<{ n: number }>
    }
    expect(state).toEqual({ total: 0 })
    expect(results.map((r) => r.n).sort()).toEqual([...Array(results.length - 1).fill(0), 1])
    expect(permuted.map((r) => r.n).sort()).toEqual(results.map((r) => r.n).sort())
    expect(permuted[0]?.n).not.toBe(results[0]?.n)
  })

  it("catches a reduce that mutates its results", async () => {
    const sort = (s: { total: number }, results: ReadonlyArray<{ n: number }>) => {
      ;(results as Array<{ n: number }>).sort((a, b) => a.n - b.n)
      return s
    }
    const error = await broken(Testing.checkOrderInsensitive(sort, { state: Total, results: Results }))
    expect(error.law).toBe("does not mutate its state or results")
    expect(error.counterexample.results).toEqual([{ n: 0 }, { n: 0 }])
  })
})
