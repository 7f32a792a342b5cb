/**
 * A long run shares the process: timers and I/O run while it runs, and it can be interrupted in
 * the middle — also when every step suspends without waiting (a synchronous store, Effect.sync).
 * No clock is read: a macrotask that never runs during the run, or an interruption that cannot
 * land before the end, fails the test.
 */
import { Effect, Exit, Fiber } from "effect"
import { describe, expect, it } from "vitest"
import { Application, Graph, Persistence } from "../src/index.js"

interface Counter {
  readonly count: number
}
// The step loop yields to the event loop every 512 steps: 2,048 steps yield four times. The tests
// depend on those yields, not on time, so the run is kept short enough for a busy machine.
const STEPS = 2_048
const inc = (s: Counter): Counter => ({ count: s.count + 1 })
const incSync = (s: Counter) => Effect.sync(() => inc(s))
const graphOf = (step: (s: Counter) => Counter | Effect.Effect<Counter>) =>
  Graph.make({ actions: { step }, transitions: [["step", "step", (s) => s.count < STEPS]], entrypoint: "step" })

/** How many macrotasks (setImmediate callbacks) ran while `run` ran. */
const macrotasksDuring = async (run: () => Promise<unknown>) => {
  let ticks = 0
  let on = true
  const tick = () => {
    if (!on) return
    ticks++
    setImmediate(tick)
  }
  setImmediate(tick)
  await run()
  const during = ticks
  on = false
  return during
}

const cases = [
  ["persisted synchronous steps", graphOf(inc), true],
  ["Effect.sync steps", graphOf(incSync), false],
  ["persisted Effect.sync steps", graphOf(incSync), true]
] as const

describe("a long run shares the process", () => {
  for (const [name, graph, persisted] of cases) {
    const run = (app: Application.Application<Counter, "step">) => {
      const program = Application.run(app)
      return persisted ? program.pipe(Effect.provide(Persistence.layerMemory)) : program
    }

    it(`${name}: timers and I/O run while it runs`, async () => {
      let final: Application.Application<Counter, "step"> | undefined
      const ticks = await macrotasksDuring(async () => {
        final = await Effect.runPromise(run(Application.make({ graph, state: { count: 0 } })))
      })
      expect(final?.state.count).toBe(STEPS)
      expect(ticks).toBeGreaterThan(0)
    })

    it(`${name}: an interruption lands in the middle`, async () => {
      const exit = await Effect.runPromise(
        Effect.gen(function*() {
          const fiber = yield* Effect.forkChild(run(Application.make({ graph, state: { count: 0 }, id: "long" })))
          // Wait for one macrotask: it runs only once the run has yielded to the event loop.
          yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
          yield* Fiber.interrupt(fiber)
          return yield* Fiber.await(fiber)
        })
      )
      expect(Exit.isFailure(exit) && exit.cause.reasons.every((r) => r._tag === "Interrupt")).toBe(true)
    })
  }
})
