import { Effect, Layer } from "effect"
import * as TE from "fp-ts/lib/TaskEither.js"
import fc from "fast-check"
import { describe, expect, expectTypeOf, it } from "vitest"
import { Application, type ActionError, type PersistenceError } from "@teasel/core"
import { checkMonoid } from "@teasel/fp-ts/Testing"
import { Testing } from "@teasel/testing"
import { type Best, BestMonoid, CatalogService, graph, type OverBudget, start } from "../src/quotes.js"

/** A deterministic catalog: a price from the names, and no quote from suppliers starting with "x". */
const catalog = {
  quote: (supplier: string, item: string) =>
    supplier.startsWith("x")
      ? TE.left(`${supplier} is closed`)
      : TE.right([...`${supplier}/${item}`].reduce((n, c) => (n * 31 + c.charCodeAt(0)) % 97, 7))
}
const catalogLayer = Layer.succeed(CatalogService, catalog)

const buy = (item: string, budget: number, suppliers: ReadonlyArray<string>) =>
  Application.run(Application.make({ graph, state: start(item, budget, suppliers) })).pipe(Effect.provide(catalogLayer))

describe("purchases with fp-ts actions, predicates and a monoid reduce", () => {
  it("orders the cheapest quote when two suppliers answered, escalates otherwise", async () => {
    const suppliers = ["acme", "bolt", "cray", "xeno"]
    const prices = await Promise.all(suppliers.slice(0, 3).map((s) => catalog.quote(s, "teapot")()))
    const cheapest = Math.min(...prices.map((p) => (p._tag === "Right" ? p.right : Infinity)))
    const done = await Effect.runPromise(buy("teapot", 1000, suppliers))
    expect(done.state).toMatchObject({ status: "ordered", failed: 1, best: { price: cheapest, answered: 3 } })
    expect(done.last).toBe("order")

    const alone = await Effect.runPromise(buy("teapot", 1000, ["acme", "xeno"]))
    expect(alone.state).toMatchObject({ status: "escalated", failed: 1, best: { answered: 1 } })
    const nobody = await Effect.runPromise(buy("teapot", 1000, ["xa", "xb"]))
    expect(nobody.state).toMatchObject({ status: "escalated", failed: 2, best: { answered: 0 } })
  })

  it("an order over budget fails the run with the Left, typed", async () => {
    const run = buy("teapot", -1, ["acme", "bolt"])
    type Errors = Effect.Error<typeof run>
    expectTypeOf<OverBudget>().toExtend<Errors>()
    expectTypeOf<ActionError | PersistenceError>().toExtend<Errors>()
    // Handled, it leaves the error channel.
    const handled = run.pipe(Effect.catchTag("OverBudget", () => Effect.succeed("over")))
    expectTypeOf<OverBudget>().not.toExtend<Effect.Error<typeof handled>>()
    const error = await Effect.runPromise(Effect.flip(run))
    expect(error).toMatchObject({ _tag: "OverBudget", budget: -1 })
  })

  it("BestMonoid is a lawful, commutative monoid", () =>
    checkMonoid(BestMonoid, {
      values: fc.record({
        price: fc.integer({ min: 0, max: 1_000_000 }),
        supplier: fc.constantFrom("acme", "bolt", "cray"),
        answered: fc.nat({ max: 100 })
      }) satisfies fc.Arbitrary<Best>,
      name: "BestMonoid"
    }))

  it("the parallel step does not depend on concurrency, completion order or a resume", () =>
    Testing.checkReduce(graph.actions.gather, {
      name: "gather",
      state: fc.record({
        item: fc.constantFrom("teapot", "kettle"),
        budget: fc.constant(100),
        suppliers: fc.uniqueArray(fc.constantFrom("acme", "bolt", "cray", "dune", "xeno"), { maxLength: 5 }),
        best: fc.constant(start("", 0, []).best),
        failed: fc.constant(0),
        status: fc.constant("asking" as const)
      }),
      layer: catalogLayer,
      numRuns: 30
    }))

  it("a monoid whose ties depend on the order is caught", async () => {
    const firstWins = { ...BestMonoid, concat: (a: Best, b: Best) => (a.price <= b.price ? a : b) }
    const error = await checkMonoid(firstWins, {
      values: fc.record({ price: fc.integer({ min: 0, max: 3 }), supplier: fc.constantFrom("acme", "bolt"), answered: fc.constant(0) })
    }).then(() => undefined, (e: Testing.LawError) => e)
    expect(error?.law).toBe("concat is commutative (the reduce does not depend on the order of results)")
  })
})

