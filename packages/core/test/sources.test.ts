/**
 * Tasks made asynchronously: a Promise or an Effect of them, or tasks that arrive over time (an
 * AsyncIterable, a Stream) — children start as their tasks arrive, results stay in task order.
 */
import { Data, Deferred, Effect, Exit, Fiber, Stream } from "effect"
import { describe, expect, expectTypeOf, it } from "vitest"
import { Application, Graph, mapActions, mapStates, product, tasks } from "../src/index.js"

interface Parent {
  readonly xs: ReadonlyArray<number>
  readonly out: ReadonlyArray<number>
}
interface Item {
  readonly x: number
}
const double = (c: Item): Item => ({ x: c.x * 2 })
const collect = (s: Parent, results: ReadonlyArray<Item>): Parent => ({ ...s, out: results.map((r) => r.x) })
const runAction = <E, R>(action: (s: Parent) => Effect.Effect<Parent, E, R>, xs: ReadonlyArray<number>) =>
  Application.run(Application.make({ graph: Graph.make({ actions: { fan: action }, transitions: [], entrypoint: "fan" }), state: { xs, out: [] }, id: "S" }))

class Lookup extends Data.TaggedError("Lookup")<{ readonly why: string }> {}

describe("tasks made asynchronously", () => {
  it("a Promise or an Effect of the tasks: they run once it resolves; an Effect's error is the step's", async () => {
    const viaPromise = tasks((s: Parent) => Promise.resolve(s.xs.map((x) => ({ branch: double, state: { x } }))), collect)
    expect((await Effect.runPromise(runAction(viaPromise, [1, 2, 3]))).state.out).toEqual([2, 4, 6])
    const viaEffect = mapStates(double, (s: Parent) => Effect.succeed(s.xs.map((x) => ({ x }))), collect)
    expect((await Effect.runPromise(runAction(viaEffect, [4]))).state.out).toEqual([8])
    const failing = mapStates(double, (_: Parent) => Effect.fail(new Lookup({ why: "offline" })), collect)
    expectTypeOf(failing).returns.toExtend<Effect.Effect<Parent, Lookup | unknown, never>>()
    const exit = await Effect.runPromiseExit(runAction(failing, [1]))
    expect(Exit.isFailure(exit) && exit.cause.reasons.some((r) => r._tag === "Fail" && r.error instanceof Lookup)).toBe(true)
  })

  it("an AsyncIterable: each child starts as its task arrives", async () => {
    const log: Array<string> = []
    let childStarted: () => void = () => {}
    const started = new Promise<void>((resolve) => (childStarted = resolve))
    async function* arriving(s: Parent) {
      log.push("task 0")
      yield { branch: (c: Item) => (c.x === 0 ? (childStarted(), log.push("child 0 ran"), double(c)) : double(c)), state: { x: s.xs[0]! } }
      // The next task comes only once the first child has run: were children started only after
      // every task had arrived, this would wait forever.
      await started
      log.push("task 1")
      yield { branch: double, state: { x: s.xs[1]! } }
    }
    const fan = tasks((s: Parent) => arriving(s), collect)
    const app = await Effect.runPromise(runAction(fan, [0, 5]))
    expect(app.state.out).toEqual([0, 10])
    expect(log).toEqual(["task 0", "child 0 ran", "task 1"])
  })

  it("a Stream of states under a concurrency limit: results in task order whatever order children finish", async () => {
    const program = Effect.gen(function*() {
      const gates = yield* Effect.forEach([0, 1, 2, 3], () => Deferred.make<void>())
      const held = (c: Item) => Effect.as(Deferred.await(gates[c.x]!), double(c))
      const fan = mapStates(held, (s: Parent) => Stream.fromIterable(s.xs.map((x) => ({ x }))), collect, { concurrency: 2 })
      const fiber = yield* Effect.forkChild(runAction(fan, [0, 1, 2, 3]))
      // Finish in reverse order of arrival, two at a time.
      for (const i of [1, 0, 3, 2]) yield* Deferred.succeed(gates[i]!, undefined)
      const app = yield* Fiber.join(fiber)
      return app.state.out
    })
    expect(await Effect.runPromise(program)).toEqual([0, 2, 4, 6])
  })

  it("stopWhen also stops the source: no more tasks are taken", async () => {
    let produced = 0
    let closed = false
    async function* endless() {
      try {
        for (let x = 0; ; x++) {
          produced++
          yield { x }
        }
      } finally {
        closed = true
      }
    }
    const fan = mapStates(double, () => endless(), collect, { stopWhen: (done) => done.length >= 3, concurrency: 1 })
    const app = await Effect.runPromise(runAction(fan, []))
    expect(app.state.out).toEqual([0, 2, 4])
    expect(closed).toBe(true)
    expect(produced).toBeLessThan(10)
  })

  it("mapActions takes branches that arrive; product collects its states before the first child (branch-major order)", async () => {
    const triple = (c: Item): Item => ({ x: c.x * 3 })
    const both = mapActions((_: Parent) => Stream.make(double, triple), (s: Parent) => ({ x: s.xs[0]! }), collect)
    expect((await Effect.runPromise(runAction(both, [5]))).state.out).toEqual([10, 15])
    const all = product([double, triple], (s: Parent) => Promise.resolve(s.xs.map((x) => ({ x }))), collect)
    expect((await Effect.runPromise(runAction(all, [1, 2]))).state.out).toEqual([2, 4, 3, 6])
  })
})
