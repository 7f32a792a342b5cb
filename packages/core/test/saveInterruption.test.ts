/**
 * "Once an action has completed, the step and its save are one uninterruptible unit: interrupting
 * the run at that moment still saves it" (docs/persistence.md), for every kind of action: plain,
 * Effect and Promise. The store's `save` blocks on a Deferred the test holds, so the interrupt is
 * delivered exactly while the completed step is being saved — no timing involved.
 */
import { Deferred, Effect, Exit, Fiber, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { Application, Graph, Persistence } from "../src/index.js"

interface Counter {
  readonly count: number
}

const kinds = [
  { kind: "plain", first: (s: Counter): Counter => ({ count: s.count + 1 }) },
  { kind: "Effect", first: (s: Counter) => Effect.andThen(Effect.yieldNow, Effect.succeed({ count: s.count + 1 })) },
  { kind: "Promise", first: (s: Counter) => Promise.resolve({ count: s.count + 1 }) }
] as const

describe("a completed step is saved even when the run is interrupted during its save", () => {
  it.each(kinds)("$kind action", async ({ first }) => {
    let secondRan = false
    const second = (s: Counter): Counter => {
      secondRan = true
      return { count: s.count + 10 }
    }
    const graph = Graph.make({ actions: { first, second }, transitions: [["first", "second"]], entrypoint: "first" })
    const program = Effect.gen(function*() {
      const saving = yield* Deferred.make<Persistence.Step>()
      const release = yield* Deferred.make<void>()
      // A store whose save announces itself, then waits for the test before it writes.
      const blocking = Layer.effect(
        Persistence.Persistence,
        Persistence.Persistence.use((inner) =>
          Effect.succeed(Persistence.Persistence.of({
            ...inner,
            save: (step) =>
              Deferred.succeed(saving, step).pipe(Effect.andThen(Deferred.await(release)), Effect.andThen(inner.save(step)))
          }))
        )
      ).pipe(Layer.provide(Persistence.layerMemory))
      return yield* Effect.gen(function*() {
        const store = yield* Persistence.Persistence
        const fiber = yield* Effect.forkChild(Application.run(Application.make({ graph, state: { count: 0 }, id: "i" })))
        const inFlight = yield* Deferred.await(saving)
        // Delivered now, synchronously, while the save waits on `release`.
        const interrupting = yield* Effect.forkChild(Fiber.interrupt(fiber), { startImmediately: true })
        yield* Deferred.succeed(release, undefined)
        yield* Fiber.join(interrupting)
        const exit = yield* Fiber.await(fiber)
        return { exit, inFlight, saved: yield* store.load({ appId: "i", partitionKey: "" }) }
      }).pipe(Effect.provide(blocking))
    })
    const { exit, inFlight, saved } = await Effect.runPromise(program)
    expect(inFlight).toMatchObject({ sequenceId: 1, action: "first" })
    expect(Exit.hasInterrupts(exit)).toBe(true)
    expect(saved).toMatchObject({ sequenceId: 1, action: "first", next: "second", state: { count: 1 } })
    // The interrupt still stops the run: the next action never starts.
    expect(secondRan).toBe(false)
  })
})
