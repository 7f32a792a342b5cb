/**
 * The executor seam and the per-child options: `retry` and `timeout` wrap the effect a custom
 * `Parallel.CurrentExecutor` returns from `run`, not only the local run it is handed, so they apply
 * wherever the child runs (docs/parallelism.md, "The executor seam"). Time is virtual (TestClock).
 */
import { Cause, type Duration, Effect, Exit, Fiber, Schedule } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import { Application, Graph, mapStates, Parallel } from "../src/index.js"

interface Item {
  readonly n: number
}
interface Batch {
  readonly ns: ReadonlyArray<number>
  readonly out: ReadonlyArray<number>
}
const double = (c: Item): Item => ({ n: c.n * 2 })

const graphWith = (options: Parallel.Options<Item>) =>
  Graph.make({
    actions: {
      fan: mapStates(double, (s: Batch) => s.ns.map((n): Item => ({ n })), (s, results) => ({ ...s, out: results.map((r) => r.n) }), options)
    },
    transitions: [],
    entrypoint: "fan"
  })

/**
 * Runs the batch [1, 2] with `executor`, on a TestClock advanced by `advance`; resolves with the
 * run's exit.
 */
const runWith = (options: Parallel.Options<Item>, executor: Parallel.Executor, advance: Duration.Input = "1 hour") =>
  Effect.runPromise(
    Effect.gen(function*() {
      const app = Application.make({ graph: graphWith(options), state: { ns: [1, 2], out: [] }, id: "X" })
      const fiber = yield* Effect.forkChild(
        Application.run(app).pipe(Effect.provideService(Parallel.CurrentExecutor, executor))
      )
      yield* TestClock.adjust(advance)
      return yield* Fiber.await(fiber)
    }).pipe(Effect.provide(TestClock.layer()))
  )

describe("retry and timeout wrap the executor's effect", () => {
  it("retry re-runs the executor's effect when it fails, not only the local run", async () => {
    const attempts = new Map<string, number>()
    // A remote executor whose first attempt per child fails before it ever runs `local`.
    const flakyRemote: Parallel.Executor = {
      run: (child, local) =>
        Effect.suspend(() => {
          const attempt = (attempts.get(child.id) ?? 0) + 1
          attempts.set(child.id, attempt)
          return attempt === 1 ? Effect.fail(`remote unavailable for ${child.id}`) : local
        })
    }
    const exit = await runWith({ retry: Schedule.recurs(1), concurrency: 1 }, flakyRemote)
    if (Exit.isFailure(exit)) throw new Error(`expected the retried children to succeed: ${String(exit.cause)}`)
    expect(exit.value.state.out).toEqual([2, 4])
    expect([...attempts]).toEqual([["X:1:fan:0", 2], ["X:1:fan:1", 2]])
  })

  it("timeout bounds the executor's effect, not only the local run", async () => {
    // A remote executor that takes an hour (virtual) before it runs the child.
    const slowRemote: Parallel.Executor = { run: (_child, local) => Effect.andThen(Effect.sleep("1 hour"), local) }
    const exit = await runWith({ timeout: "1 second" }, slowRemote, "2 hours")
    if (Exit.isSuccess(exit)) throw new Error(`expected the slow executor to time out, but the step completed: ${JSON.stringify(exit.value.state)}`)
    const error = Cause.squash(exit.cause)
    expect(error).toMatchObject({ _tag: "ParallelError", action: "fan", appId: "X", index: 0, childId: "X:1:fan:0" })
    expect(Cause.isTimeoutError((error as Parallel.ParallelError).cause)).toBe(true)
  })

  it("a timed-out executor attempt is retried: each attempt gets the timeout", async () => {
    const attempts = new Map<string, number>()
    // The first attempt per child hangs in the executor; the second runs at once.
    const hangsOnce: Parallel.Executor = {
      run: (child, local) =>
        Effect.suspend(() => {
          const attempt = (attempts.get(child.id) ?? 0) + 1
          attempts.set(child.id, attempt)
          return attempt === 1 ? Effect.andThen(Effect.sleep("1 hour"), local) : local
        })
    }
    const exit = await runWith({ timeout: "1 second", retry: Schedule.recurs(1) }, hangsOnce, "2 hours")
    if (Exit.isFailure(exit)) throw new Error(`expected success: ${String(exit.cause)}`)
    expect(exit.value.state.out).toEqual([2, 4])
    expect([...attempts]).toEqual([["X:1:fan:0", 2], ["X:1:fan:1", 2]])
  })
})
