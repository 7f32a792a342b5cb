/**
 * "Stopping to consume `Application.stream` early (for example with `Stream.take`) interrupts the
 * run" (docs/applications.md, "Interruption"), and with it every running child
 * (docs/parallelism.md, "Cancellation"). The consumer stops at an event emitted from inside the
 * running action, after its finalizer is in place, so whether the run was interrupted is known
 * as soon as the consumer is done — no timing involved.
 */
import { Effect, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { Action, Application, Graph, mapStates } from "../src/index.js"

interface Counter {
  readonly count: number
}

/**
 * An action that emits one chunk ("ready") and then waits forever, recording into `log` that it
 * was interrupted. Its finalizer is in place before the chunk is emitted.
 */
const waitsForever = (log: Array<string>, label: string) => {
  const streaming = Action.stream((_: Counter) => Stream.concat(Stream.make("ready"), Stream.never), (s: Counter) => s)
  return (s: Counter) => streaming(s).pipe(Effect.onInterrupt(() => Effect.sync(() => log.push(`${label} interrupted`))))
}

describe("a consumer that stops reading Application.stream early", () => {
  it("Stream.take interrupts the run: the running action's finalizer has run when the stream ends", async () => {
    const log: Array<string> = []
    let laterRan = false
    const graph = Graph.make({
      actions: {
        inc: (s: Counter): Counter => ({ count: s.count + 1 }),
        wait: waitsForever(log, "wait"),
        later: (s: Counter) => {
          laterRan = true
          return s
        }
      },
      transitions: [["inc", "wait"], ["wait", "later"]],
      entrypoint: "inc"
    })
    // StepStarted inc, StepCompleted inc, StepStarted wait, Chunk "ready": then the consumer stops.
    const events = await Effect.runPromise(
      Stream.runCollect(Stream.take(Application.stream(Application.make({ graph, state: { count: 0 }, id: "s" })), 4))
    )
    expect(events.map((e) => e._tag)).toEqual(["StepStarted", "StepCompleted", "StepStarted", "Chunk"])
    expect(log).toEqual(["wait interrupted"])
    expect(laterRan).toBe(false)
  })

  it("Stream.takeUntil on a child's event interrupts every running child of a parallel step", async () => {
    const log: Array<string> = []
    const fan = mapStates(
      (c: Counter) => waitsForever(log, `child ${c.count}`)(c),
      (s: { ns: ReadonlyArray<number> }) => s.ns.map((count): Counter => ({ count })),
      (s) => s
    )
    const graph = Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
    let chunks = 0
    // Stop once all three children have emitted their chunk, i.e. all are running.
    const events = await Effect.runPromise(
      Stream.runCollect(
        Application.stream(Application.make({ graph, state: { ns: [0, 1, 2] }, id: "p" })).pipe(
          Stream.takeUntil((e) => e._tag === "Chunk" && ++chunks === 3)
        )
      )
    )
    expect(events.filter((e) => e._tag === "Chunk").map((e) => e.appId).sort()).toEqual(["p:1:fan:0", "p:1:fan:1", "p:1:fan:2"])
    expect([...log].sort()).toEqual(["child 0 interrupted", "child 1 interrupted", "child 2 interrupted"])
  })
})
