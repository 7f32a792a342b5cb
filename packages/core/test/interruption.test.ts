import { Deferred, Effect, Exit, Fiber, Latch } from "effect"
import { describe, expect, it } from "vitest"
import { Application, Graph } from "../src/index.js"

interface Counter {
  readonly count: number
}
const inc = (s: Counter): Counter => ({ count: s.count + 1 })

/** A few turns of the event loop: time for work that should not happen to show. */
const turns = async (n = 10) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

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
    // The test's fiber is woken after 1,000 steps: only if the run lets other fibers in.
    const spinning = Latch.makeUnsafe()
    const spin = (s: Counter) => {
      if (++steps === 1000) spinning.openUnsafe()
      return { count: s.count + 1 }
    }
    const graph = Graph.make({ actions: { spin }, transitions: [["spin", "spin"]], entrypoint: "spin" })
    const exit = await Effect.runPromise(Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(Application.run(Application.make({ graph, state: { count: 0 } })))
      yield* spinning.await
      yield* Fiber.interrupt(fiber)
      return yield* Fiber.await(fiber)
    }))
    expect(Exit.hasInterrupts(exit)).toBe(true)
    expect(steps).toBeGreaterThanOrEqual(1000)
    const after = steps
    await turns()
    expect(steps).toBe(after)
  })

  it("interrupting a run awaiting a Promise action stops the run before the next action", async () => {
    let afterRan = false
    // The Promise settles when the test says so: after the run has been interrupted.
    const waiting = Latch.makeUnsafe()
    let settle: () => void = () => {}
    const graph = Graph.make({
      actions: {
        wait: (s: Counter) =>
          new Promise<Counter>((resolve) => {
            settle = () => resolve(s)
            waiting.openUnsafe()
          }),
        after: (s: Counter) => {
          afterRan = true
          return s
        }
      },
      transitions: [["wait", "after"]],
      entrypoint: "wait"
    })
    const exit = await Effect.runPromise(Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(Application.run(Application.make({ graph, state: { count: 0 } })))
      yield* waiting.await
      yield* Fiber.interrupt(fiber)
      return yield* Fiber.await(fiber)
    }))
    expect(Exit.hasInterrupts(exit)).toBe(true)
    settle()
    await turns()
    expect(afterRan).toBe(false)
  })
})
