/**
 * A long persisted run on SQLite shares the process: timers and I/O run while it saves step after
 * step, and it can be interrupted in the middle. No clock is read: a macrotask that never runs
 * during the run, or an interruption that cannot land before its end, fails the test.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Fiber } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { Application, Graph } from "@teasel/core"
import { SqlPersistence } from "../src/index.js"

const dir = mkdtempSync(join(tmpdir(), "teasel-fair-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

interface Counter {
  readonly count: number
}
const STEPS = 5_000
const inc = (s: Counter): Counter => ({ count: s.count + 1 })
const graph = Graph.make({ actions: { inc }, transitions: [["inc", "inc", (s) => s.count < STEPS]], entrypoint: "inc" })

describe("a persisted synchronous run on SQLite shares the process", () => {
  it("timers and I/O run while it saves", async () => {
    const layer = SqlPersistence.layerSqlite({ filename: join(dir, "timers.db") })
    let ticks = 0
    let on = true
    const tick = () => {
      if (!on) return
      ticks++
      setImmediate(tick)
    }
    setImmediate(tick)
    const final = await Effect.runPromise(Application.run(Application.make({ graph, state: { count: 0 } })).pipe(Effect.provide(layer)))
    const during = ticks
    on = false
    expect(final.state.count).toBe(STEPS)
    expect(during).toBeGreaterThan(0)
  })

  it("an interruption lands in the middle, and what was saved loads", async () => {
    const layer = SqlPersistence.layerSqlite({ filename: join(dir, "interrupt.db") })
    const { exit, loaded } = await Effect.runPromise(
      Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(Application.run(Application.make({ graph, state: { count: 0 }, id: "long" })))
        // One macrotask: it runs only once the run has yielded to the event loop.
        yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
        yield* Fiber.interrupt(fiber)
        const exit = yield* Fiber.await(fiber)
        const loaded = yield* Application.load({ graph, id: "long", state: { count: 0 } })
        return { exit, loaded }
      }).pipe(Effect.provide(layer))
    )
    expect(Exit.isFailure(exit) && exit.cause.reasons.every((r) => r._tag === "Interrupt")).toBe(true)
    expect(loaded.state.count).toBe(loaded.sequenceId)
    expect(loaded.sequenceId).toBeLessThan(STEPS)
  })
})
