import { Deferred, Effect, Fiber } from "effect"
import { describe, expect, it } from "vitest"
import { Application, Graph } from "../src/index.js"

interface Counter {
  readonly count: number
}
const inc = (s: Counter): Counter => ({ count: s.count + 1 })

describe("interruption", () => {
  it("interrupting the fiber running an application interrupts the running action; its finalizer runs", async () => {
    const events: Array<string> = []
    const program = Effect.gen(function*() {
      const started = yield* Deferred.make<void>()
      const slow = (s: Counter) =>
        Effect.gen(function*() {
          events.push("started")
          yield* Deferred.succeed(started, undefined)
          yield* Effect.never
          return s
        }).pipe(Effect.onInterrupt(() => Effect.sync(() => events.push("finalized"))))
      const graph = Graph.make({ actions: { inc, slow, after: inc }, transitions: [["inc", "slow"], ["slow", "after"]], entrypoint: "inc" })
      const fiber = yield* Effect.forkChild(Application.run(Application.make({ graph, state: { count: 0 } })))
      yield* Deferred.await(started)
      yield* Fiber.interrupt(fiber)
      return yield* Fiber.await(fiber)
    })
    const exit = await Effect.runPromise(program)
    expect(exit._tag).toBe("Failure")
    expect(events).toEqual(["started", "finalized"])
  })

  it("a never-ending synchronous graph stays interruptible", async () => {
    let steps = 0
    const spin = (s: Counter) => {
      steps++
      return { count: s.count + 1 }
    }
    const graph = Graph.make({ actions: { spin }, transitions: [["spin", "spin"]], entrypoint: "spin" })
    const result = await Effect.runPromise(
      Application.run(Application.make({ graph, state: { count: 0 } })).pipe(Effect.timeoutOption("20 millis"))
    )
    expect(result._tag).toBe("None")
    expect(steps).toBeGreaterThan(1000)
    const after = steps
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(steps).toBe(after)
  })

  it("interrupting a run awaiting a Promise action stops the run before the next action", async () => {
    let afterRan = false
    const graph = Graph.make({
      actions: {
        wait: (s: Counter) => new Promise<Counter>((resolve) => setTimeout(() => resolve(s), 50)),
        after: (s: Counter) => {
          afterRan = true
          return s
        }
      },
      transitions: [["wait", "after"]],
      entrypoint: "wait"
    })
    const result = await Effect.runPromise(
      Application.run(Application.make({ graph, state: { count: 0 } })).pipe(Effect.timeoutOption("5 millis"))
    )
    expect(result._tag).toBe("None")
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(afterRan).toBe(false)
  })
})
