/**
 * "Errors raised by `reduce` itself are not wrapped: they fail the step as they are"
 * (docs/parallelism.md, "Failure"): a reduce's typed failure arrives as itself, never inside a
 * `ParallelError`, whatever path the children took (synchronous, concurrent, collected failures,
 * persisted).
 */
import { Data, Effect, Exit, Schedule } from "effect"
import { describe, expect, it } from "vitest"
import { Application, Graph, mapStates, Parallel, Persistence } from "../src/index.js"

class OverBudget extends Data.TaggedError("OverBudget")<{ readonly total: number }> {}

interface Item {
  readonly n: number
}
interface Batch {
  readonly ns: ReadonlyArray<number>
  readonly total: number
}
const items = (s: Batch) => s.ns.map((n): Item => ({ n }))
/** A reduce that refuses totals over 5 with its own typed error. */
const budget = (s: Batch, results: ReadonlyArray<Item>) => {
  const total = results.reduce((sum, r) => sum + r.n, 0)
  return total > 5 ? Effect.fail(new OverBudget({ total })) : Effect.succeed({ ...s, total })
}

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected the step to fail")
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (reason === undefined || reason._tag !== "Fail") throw new Error(`expected a typed failure: ${String(exit.cause)}`)
  return reason.error
}

const branches = {
  synchronous: (c: Item): Item => c,
  Effect: (c: Item) => Effect.andThen(Effect.yieldNow, Effect.succeed(c)),
  Promise: (c: Item) => Promise.resolve(c)
} as const

const cases: ReadonlyArray<{
  readonly name: string
  readonly branch: keyof typeof branches
  readonly options: Parallel.Options<Item>
  readonly persisted?: boolean
}> = [
  { name: "synchronous children, unbounded", branch: "synchronous", options: {} },
  { name: "Effect children, concurrency 2", branch: "Effect", options: { concurrency: 2 } },
  { name: "Promise children, onError collect", branch: "Promise", options: { onError: "collect" } },
  { name: "Effect children with retry", branch: "Effect", options: { retry: Schedule.recurs(1) } },
  { name: "synchronous children, persisted", branch: "synchronous", options: {}, persisted: true }
]

describe("errors raised by reduce are not wrapped in a ParallelError", () => {
  it.each(cases)("$name", async ({ branch, options, persisted }) => {
    const fan = mapStates(branches[branch], items, budget, options)
    const graph = Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
    const run = Application.run(Application.make({ graph, state: { ns: [1, 2, 3], total: 0 }, id: "r" }))
    const exit = await Effect.runPromise(Effect.exit(persisted === true ? Effect.provide(run, Persistence.layerMemory) : run))
    const error = failureOf(exit)
    expect(error).toBeInstanceOf(OverBudget)
    expect(error).toEqual(new OverBudget({ total: 6 }))
  })

  it("a reduce that fails after collecting a child's failure still fails with its own error", async () => {
    const fan = mapStates(
      (c: Item) => (c.n === 2 ? Effect.fail("two is refused") : Effect.succeed(c)),
      items,
      (s: Batch, results, failures) =>
        failures.length > 0 ? Effect.fail(new OverBudget({ total: -failures.length })) : Effect.succeed(s),
      { onError: "collect" }
    )
    const graph = Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
    const exit = await Effect.runPromise(Effect.exit(Application.run(Application.make({ graph, state: { ns: [1, 2, 3], total: 0 } }))))
    expect(failureOf(exit)).toEqual(new OverBudget({ total: -1 }))
  })

  it("a reduce's error called directly (outside an application) arrives as is too", async () => {
    const fan = mapStates(branches.synchronous, items, budget)
    const error = await Effect.runPromise(Effect.flip(fan({ ns: [4, 4], total: 0 })))
    expect(error).toEqual(new OverBudget({ total: 8 }))
  })

  it("a child's failure, by contrast, is wrapped: the ParallelError names the child", async () => {
    const fan = mapStates((c: Item) => (c.n === 2 ? Effect.fail("two is refused") : Effect.succeed(c)), items, budget)
    const graph = Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
    const exit = await Effect.runPromise(Effect.exit(Application.run(Application.make({ graph, state: { ns: [1, 2, 3], total: 0 }, id: "w" }))))
    expect(failureOf(exit)).toMatchObject({ _tag: "ParallelError", action: "fan", appId: "w", index: 1, childId: "w:1:fan:1", cause: "two is refused" })
  })
})
