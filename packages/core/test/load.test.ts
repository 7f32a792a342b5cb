/**
 * `Application.load` against a graph that changed since the application was saved: a saved
 * position (the next action, or the last one) that the graph no longer has is refused with a
 * `PersistenceError`, rather than run from a place that does not exist (docs/persistence.md,
 * "Loading and forking").
 */
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { Application, Graph, Persistence } from "../src/index.js"

interface Counter {
  readonly count: number
}
const inc = (s: Counter): Counter => ({ count: s.count + 1 })

/** The graph the application was saved with: a → b → c. */
const saved = Graph.make({ actions: { a: inc, b: inc, c: inc }, transitions: [["a", "b"], ["b", "c"]], entrypoint: "a" })

/** Saves application `id` after its first step (last action "a", next action "b"), then loads it with `graph`. */
const saveThenLoad = (id: string, graph: Graph.Graph<Counter, string>) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const first = yield* Application.run(Application.make({ graph: saved, state: { count: 0 }, id, partitionKey: "p" }), {
        haltAfter: ["a"]
      })
      expect([first.last, first.next, first.sequenceId]).toEqual(["a", "b", 1])
      return yield* Effect.exit(Application.load({ graph, id, state: { count: 100 }, partitionKey: "p" }))
    }).pipe(Effect.provide(Persistence.layerMemory))
  )

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected Application.load to fail, but it loaded the application")
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (reason === undefined || reason._tag !== "Fail") throw new Error(`expected a typed failure: ${String(exit.cause)}`)
  return reason.error
}

describe("Application.load with a graph that lacks the saved position", () => {
  it("a graph without the saved next action is refused with a PersistenceError naming the application", async () => {
    const withoutNext = Graph.make({ actions: { a: inc, c: inc }, transitions: [["a", "c"]], entrypoint: "a" })
    const error = failureOf(await saveThenLoad("no-next", withoutNext))
    expect(error).toBeInstanceOf(Persistence.PersistenceError)
    expect(error).toMatchObject({ _tag: "PersistenceError", appId: "no-next", partitionKey: "p", sequenceId: 1 })
    expect(error.message).toContain(`"no-next"`)
    expect(error.message).toContain(`"b"`)
  })

  it("a graph without the saved last action is refused too", async () => {
    const withoutLast = Graph.make({ actions: { b: inc, c: inc }, transitions: [["b", "c"]], entrypoint: "b" })
    const error = failureOf(await saveThenLoad("no-last", withoutLast))
    expect(error).toMatchObject({ _tag: "PersistenceError", appId: "no-last", partitionKey: "p", sequenceId: 1 })
    expect(error.message).toContain(`"a"`)
  })

  it("a graph that still has both actions loads the application where it stood", async () => {
    const grown = Graph.make({ actions: { a: inc, b: inc, c: inc, d: inc }, transitions: [["a", "b"], ["b", "d"]], entrypoint: "a" })
    const exit = await saveThenLoad("kept", grown)
    if (Exit.isFailure(exit)) throw new Error(`expected a success: ${String(exit.cause)}`)
    expect([exit.value.last, exit.value.next, exit.value.sequenceId, exit.value.state]).toEqual(["a", "b", 1, { count: 1 }])
  })
})
