/**
 * With `onError: "collect"`, "`failures` is sorted by task index" and `results` hold the successes
 * in task order, whatever order the children finish in (docs/parallelism.md, "Ordering"). The
 * children here finish in reverse index order, forced by Deferreds (each child waits for the one
 * after it), not by sleeps.
 */
import { Deferred, Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Application, Graph, mapStates, Parallel, Persistence } from "../src/index.js"

interface Item {
  readonly i: number
}
interface Batch {
  readonly n: number
  readonly ok: ReadonlyArray<number>
  readonly failed: ReadonlyArray<string>
}

/**
 * Runs `n` children in one parallel step; child i waits until child i + 1 has finished (the last
 * one goes at once), so they finish n-1, n-2, …, 0. Odd children fail, even ones succeed.
 */
const runReversed = (n: number, options: Parallel.Options<Item>, persisted: boolean) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const finished = yield* Effect.forEach(Array.from({ length: n + 1 }), () => Deferred.make<void>())
      yield* Deferred.succeed(finished[n]!, undefined)
      const order: Array<number> = []
      const child = (c: Item) =>
        Effect.gen(function*() {
          yield* Deferred.await(finished[c.i + 1]!)
          // Completing a Deferred can resume its waiter at once, inside the finishing child's
          // finalizer: yield, so that child's failure is recorded by the step before this one ends.
          yield* Effect.yieldNow
          order.push(c.i)
          return c.i % 2 === 1 ? yield* Effect.fail(`child ${c.i} failed`) : c
        }).pipe(Effect.ensuring(Deferred.succeed(finished[c.i]!, undefined)))
      const fan = mapStates(
        child,
        (s: Batch) => Array.from({ length: s.n }, (_, i): Item => ({ i })),
        (s, results, failures) => ({
          ...s,
          ok: results.map((r) => r.i),
          failed: failures.map((f) => `${f.index} ${f.id} ${String(f.error)}`)
        }),
        { ...options, onError: "collect" }
      )
      const graph = Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
      const run = Application.run(Application.make({ graph, state: { n, ok: [], failed: [] }, id: "F" }))
      const app = yield* (persisted ? Effect.provide(run, Persistence.layerMemory) : run)
      return { order, state: app.state }
    })
  )

describe("onError collect: failures sorted by index, results in task order", () => {
  it.each([
    { name: "unbounded", options: {}, persisted: false },
    { name: "concurrency 6", options: { concurrency: 6 }, persisted: false },
    { name: "unbounded, persisted", options: {}, persisted: true }
  ])("children finishing in reverse order ($name)", async ({ options, persisted }) => {
    const { order, state } = await runReversed(6, options, persisted)
    // The scenario really happened: the children finished last index first.
    expect(order).toEqual([5, 4, 3, 2, 1, 0])
    expect(state.ok).toEqual([0, 2, 4])
    expect(state.failed).toEqual(["1 F:1:fan:1 child 1 failed", "3 F:1:fan:3 child 3 failed", "5 F:1:fan:5 child 5 failed"])
  })
})
