import { Cause, Context, Deferred, Effect, Exit, Fiber, Latch, Layer, Schedule, Stream } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Application, Graph, mapActions, mapStates, Parallel, product, tasks } from "../src/index.js"

interface Parent {
  readonly xs: ReadonlyArray<number>
  readonly out: ReadonlyArray<number>
}
interface Item {
  readonly x: number
}
const start = (xs: ReadonlyArray<number>): Parent => ({ xs, out: [] })
const items = (s: Parent) => s.xs.map((x) => ({ x }))
const collectOut = (s: Parent, results: ReadonlyArray<Item>) => ({ ...s, out: results.map((r) => r.x) })

const runAction = <E, R>(action: (s: Parent) => Effect.Effect<Parent, E, R>, state: Parent, id = "P") => {
  const graph = Graph.make({ actions: { fan: action }, transitions: [], entrypoint: "fan" })
  return Application.run(Application.make({ graph, state, id }))
}

/**
 * Runs `effect` on a virtual clock: its sleeps end in the order of their deadlines, each once the
 * fibers woken before it have nothing left to do, whatever the load on the machine.
 */
const virtual = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.gen(function*() {
    const fiber = yield* Effect.forkChild(effect)
    yield* TestClock.adjust("1 hour")
    return yield* Fiber.join(fiber)
  }).pipe(Effect.provide(TestClock.layer()))

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (reason === undefined || reason._tag !== "Fail") throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return reason.error
}

describe("mapStates", () => {
  it("runs one child per state and reduces in task order", async () => {
    const fan = mapStates((c: Item) => ({ x: c.x * 10 }), items, collectOut)
    const app = await Effect.runPromise(runAction(fan, start([1, 2, 3])))
    expect(app.state.out).toEqual([10, 20, 30])
    expect(app.sequenceId).toBe(1)
  })

  it("gives results in task order whatever the completion order (random delays)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 12 }), fc.constantFrom<number | "unbounded">(1, 3, "unbounded"), async (delays, concurrency) => {
        const finished: Array<number> = []
        const slow = (c: Item) =>
          Effect.sleep(`${delays[c.x]!} millis`).pipe(Effect.map(() => {
            finished.push(c.x)
            return { x: c.x }
          }))
        const fan = mapStates(slow, (s: Parent) => s.xs.map((x) => ({ x })), collectOut, { concurrency })
        const app = await Effect.runPromise(runAction(fan, start(delays.map((_, i) => i))))
        expect(app.state.out).toEqual(delays.map((_, i) => i))
        expect([...finished].sort((a, b) => a - b)).toEqual(delays.map((_, i) => i))
      }),
      { numRuns: 25 }
    )
  })

  it("accepts [state, inputs] pairs", async () => {
    const add = (c: Item, i?: { by: number }) => ({ x: c.x + (i?.by ?? 0) })
    const fan = mapStates(add, (s: Parent) => s.xs.map((x) => [{ x }, { by: 100 * x }] as const), collectOut)
    const app = await Effect.runPromise(runAction(fan, start([1, 2])))
    expect(app.state.out).toEqual([101, 202])
  })

  it("reduces with a Promise or an Effect, and handles zero children", async () => {
    const viaPromise = mapStates((c: Item) => c, items, (s, r) => Promise.resolve({ ...s, out: [r.length] }))
    expect((await Effect.runPromise(runAction(viaPromise, start([1, 2])))).state.out).toEqual([2])
    const viaEffect = mapStates((c: Item) => c, items, (s, r) => Effect.succeed({ ...s, out: [r.length, 9] }))
    expect((await Effect.runPromise(runAction(viaEffect, start([])))).state.out).toEqual([0, 9])
  })
})

describe("mapActions, product, tasks", () => {
  const double = (c: Item) => ({ x: c.x * 2 })
  const triple = (c: Item) => Promise.resolve({ x: c.x * 3 })
  const negate = (c: Item) => Effect.succeed({ x: -c.x })

  it("mapActions runs every branch on the same state, in branch order", async () => {
    const fan = mapActions([double, triple, negate], (s: Parent) => ({ x: s.xs[0]! }), collectOut)
    expect((await Effect.runPromise(runAction(fan, start([5])))).state.out).toEqual([10, 15, -5])
    const dynamic = mapActions((s: Parent) => (s.xs[0]! > 0 ? [negate] : [negate, negate]), (s: Parent) => ({ x: s.xs[0]! }), collectOut)
    expect((await Effect.runPromise(runAction(dynamic, start([-2])))).state.out).toEqual([2, 2])
  })

  it("product runs every branch over every state, branch-major", async () => {
    const fan = product([double, triple], items, collectOut)
    expect((await Effect.runPromise(runAction(fan, start([1, 2, 3])))).state.out).toEqual([2, 4, 6, 3, 6, 9])
  })

  it("tasks runs arbitrary branches with given ids, states and inputs", async () => {
    const seen: Array<string> = []
    const fan = tasks(
      (s: Parent, ctx) => {
        seen.push(`${ctx.appId}@${ctx.sequenceId}`)
        return s.xs.map((x, i) => ({ branch: i % 2 === 0 ? double : negate, state: { x }, id: `job-${x}` }))
      },
      collectOut
    )
    const graph = Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
    const events = await Effect.runPromise(Stream.runCollect(Application.stream(Application.make({ graph, state: start([1, 2, 3]), id: "T" }))))
    const done = events[events.length - 1]!
    expect(done._tag === "Done" && done.app.state.out).toEqual([2, -2, 6])
    expect(seen).toEqual(["T@1"])
    expect([...new Set(events.filter((e) => e.appId !== "T").map((e) => e.appId))]).toEqual(["job-1", "job-2", "job-3"])
  })

  it("rejects duplicate ids with a ParallelError naming the task", async () => {
    const fan = tasks((s: Parent) => s.xs.map((x) => ({ branch: double, state: { x }, id: "same" })), collectOut)
    const error = failureOf(await Effect.runPromiseExit(runAction(fan, start([1, 2]))))
    expect(error).toMatchObject({ _tag: "ParallelError", index: 1, childId: "same", action: "fan", appId: "P" })
    expect(error.message).toMatch(/task 1 repeats the child id "same"/)
  })
})

describe("child ids", () => {
  it("derive from parent id, step, action and index: a repeated invocation gets new children", async () => {
    const fan = mapStates((c: Item) => c, items, collectOut)
    const graph = Graph.make({ actions: { fan }, transitions: [["fan", "fan", (s) => s.out.length < 10]], entrypoint: "fan" })
    const events = await Effect.runPromise(Stream.runCollect(Application.stream(Application.make({ graph, state: start([7, 8]), id: "app" }), { haltAfter: ["fan"] })))
    const done = events[events.length - 1]!
    const again = await Effect.runPromise(Stream.runCollect(Application.stream(done._tag === "Done" ? done.app : (undefined as never), { haltAfter: ["fan"] })))
    const childIds = (evs: ReadonlyArray<{ appId: string; _tag: string }>) => [...new Set(evs.filter((e) => e.appId !== "app").map((e) => e.appId))]
    expect(childIds(events)).toEqual(["app:1:fan:0", "app:1:fan:1"])
    expect(childIds(again)).toEqual(["app:2:fan:0", "app:2:fan:1"])
  })
})

/**
 * A child that holds until `expected` children run at once (or the child with `x === last`, the
 * last to start, has started), and the most children that ran at once. Children start in task
 * order; too few at once never releases them, and the test times out.
 */
const peakCounter = (expected: number, last: number) => {
  let running = 0
  let gate = Latch.makeUnsafe()
  const counter = {
    peak: 0,
    child: (c: Item) =>
      Effect.gen(function*() {
        running++
        counter.peak = Math.max(counter.peak, running)
        const mine = gate
        if (running >= expected || c.x === last) {
          mine.openUnsafe()
          gate = Latch.makeUnsafe()
        }
        yield* mine.await
        running--
        return c
      })
  }
  return counter
}

describe("options", () => {
  it("never runs more than `concurrency` children at once", async () => {
    for (const limit of [1, 2, 5]) {
      const counter = peakCounter(limit, 11)
      const child = counter.child
      const fan = mapStates(child, items, collectOut, { concurrency: limit })
      const app = await Effect.runPromise(runAction(fan, start(Array.from({ length: 12 }, (_, i) => i))))
      expect(app.state.out).toHaveLength(12)
      expect(counter.peak).toBe(limit)
    }
  })

  it("starts Promise branches lazily under a concurrency limit", async () => {
    let started = 0
    let peak = 0
    let running = 0
    // Each branch holds until two run at once (or the last has started): then they all go on.
    let release: Array<() => void> = []
    const child = async (c: Item) => {
      started++
      running++
      peak = Math.max(peak, running)
      const held = new Promise<void>((resolve) => release.push(resolve))
      if (running === 2 || started === 5) for (const go of release.splice(0)) go()
      await held
      running--
      return c
    }
    const fan = mapStates(child, items, collectOut, { concurrency: 2 })
    await Effect.runPromise(runAction(fan, start([1, 2, 3, 4, 5])))
    expect(started).toBe(5)
    expect(peak).toBe(2)
  })

  it("onError fail: the first failure interrupts running siblings and names the child", async () => {
    const finalized: Array<number> = []
    // Child 2 fails once its three siblings are running.
    const othersRunning = Latch.makeUnsafe()
    let running = 0
    const child = (c: Item) =>
      c.x === 2
        ? othersRunning.await.pipe(Effect.andThen(Effect.fail(`bad ${c.x}`)), Effect.as(c))
        : Effect.sync(() => ++running === 3 && othersRunning.openUnsafe()).pipe(
          Effect.andThen(Effect.never),
          Effect.as(c),
          Effect.onInterrupt(() => Effect.sync(() => finalized.push(c.x)))
        )
    const fan = mapStates(child, items, collectOut)
    const error = failureOf(await Effect.runPromiseExit(runAction(fan, start([0, 1, 2, 3]))))
    expect(error).toMatchObject({ _tag: "ParallelError", action: "fan", appId: "P", sequenceId: 1, index: 2, childId: "P:1:fan:2", cause: "bad 2" })
    expect(error.message).toBe(`Parallel action "fan" of application "P" (step 1): child 2 ("P:1:fan:2") failed: bad 2`)
    expect(finalized.sort()).toEqual([0, 1, 3])
  })

  it("onError fail: a synchronous failure stops before starting the remaining children", async () => {
    const ran: Array<number> = []
    const child = (c: Item): Item => {
      ran.push(c.x)
      if (c.x === 1) throw new Error("sync failure")
      return c
    }
    const error = failureOf(await Effect.runPromiseExit(runAction(mapStates(child, items, collectOut), start([0, 1, 2, 3]))))
    expect(error).toMatchObject({ _tag: "ParallelError", index: 1 })
    expect((error.cause as { _tag: string; action: string })._tag).toBe("ActionError")
    expect(ran).toEqual([0, 1])
  })

  it("onError collect: successes in task order and failures with index and id", async () => {
    const child = (c: Item) => (c.x % 2 === 1 ? Effect.fail({ odd: c.x }) : Effect.succeed(c))
    const fan = mapStates(child, items, (s: Parent, results, failures) => ({
      ...s,
      out: [...results.map((r) => r.x), ...failures.map((f) => -f.index)]
    }), { onError: "collect" })
    const seenFailures: Array<unknown> = []
    const fan2 = mapStates(child, items, (s: Parent, _results, failures) => {
      seenFailures.push(...failures)
      return s
    }, { onError: "collect" })
    expect((await Effect.runPromise(runAction(fan, start([0, 1, 2, 3, 4])))).state.out).toEqual([0, 2, 4, -1, -3])
    await Effect.runPromise(runAction(fan2, start([5, 6])))
    expect(seenFailures).toEqual([{ index: 0, id: "P:1:fan2:0".replace("fan2", "fan"), error: { odd: 5 } }])
  })

  it("retry re-runs a failing child on the schedule", async () => {
    const attempts = new Map<number, number>()
    const flaky = (c: Item) =>
      Effect.suspend(() => {
        const n = (attempts.get(c.x) ?? 0) + 1
        attempts.set(c.x, n)
        return n < 3 ? Effect.fail("flaky") : Effect.succeed({ x: c.x * n })
      })
    const fan = mapStates(flaky, items, collectOut, { retry: Schedule.recurs(3) })
    expect((await Effect.runPromise(runAction(fan, start([1, 2])))).state.out).toEqual([3, 6])
    expect([...attempts.values()]).toEqual([3, 3])
    const tooFew = mapStates(flaky, items, collectOut, { retry: Schedule.recurs(1) })
    const error = failureOf(await Effect.runPromiseExit(runAction(tooFew, start([10]))))
    expect(error).toMatchObject({ _tag: "ParallelError", cause: "flaky" })
  })

  it("timeout fails a child that runs too long", async () => {
    const slow = (c: Item) => Effect.sleep(c.x === 1 ? "1 second" : "1 millis").pipe(Effect.as(c))
    const fan = mapStates(slow, items, collectOut, { timeout: "30 millis" })
    const error = failureOf(await Effect.runPromiseExit(virtual(runAction(fan, start([0, 1])))))
    expect(error).toMatchObject({ _tag: "ParallelError", index: 1 })
    expect((error.cause as { _tag: string })._tag).toBe("TimeoutError")
    const collected = mapStates(slow, items, (s: Parent, results, failures) => ({ ...s, out: [results.length, failures.length] }), {
      timeout: "30 millis",
      onError: "collect"
    })
    expect((await Effect.runPromise(virtual(runAction(collected, start([0, 1, 2]))))).state.out).toEqual([2, 1])
  })

  it("stopWhen: the first good answer wins and the rest are interrupted", async () => {
    const interrupted: Array<number> = []
    const guess = (c: Item) =>
      Effect.sleep(`${c.x * 5} millis`).pipe(
        Effect.as({ x: c.x }),
        Effect.onInterrupt(() => Effect.sync(() => interrupted.push(c.x)))
      )
    const seen: Array<ReadonlyArray<number>> = []
    const fan = mapStates(guess, items, collectOut, {
      stopWhen: (completed) => {
        seen.push(completed.map((c) => c.x))
        return completed.some((c) => c.x >= 2)
      }
    })
    const app = await Effect.runPromise(virtual(runAction(fan, start([4, 1, 2, 3, 0]))))
    expect(app.state.out).toEqual([1, 2, 0])
    expect(seen).toEqual([[0], [1, 0], [1, 2, 0]])
    expect(interrupted.sort()).toEqual([3, 4])
  })

  it("stopWhen with synchronous children starts no more children after it holds", async () => {
    const ran: Array<number> = []
    const child = (c: Item) => {
      ran.push(c.x)
      return c
    }
    const fan = mapStates(child, items, collectOut, { stopWhen: (done) => done.length === 2 })
    expect((await Effect.runPromise(runAction(fan, start([5, 6, 7, 8])))).state.out).toEqual([5, 6])
    expect(ran).toEqual([5, 6])
  })
})

describe("structured concurrency", () => {
  it("interrupting the parent interrupts every running child; their finalizers run", async () => {
    const program = Effect.gen(function*() {
      const finalized: Array<number> = []
      const allStarted = yield* Deferred.make<void>()
      let started = 0
      const child = (c: Item) =>
        Effect.gen(function*() {
          if (++started === 3) yield* Deferred.succeed(allStarted, undefined)
          return yield* Effect.never
        }).pipe(Effect.as(c), Effect.onInterrupt(() => Effect.sync(() => finalized.push(c.x))))
      const fiber = yield* Effect.forkChild(runAction(mapStates(child, items, collectOut), start([1, 2, 3])))
      yield* Deferred.await(allStarted)
      yield* Fiber.interrupt(fiber)
      return finalized.sort()
    })
    expect(await Effect.runPromise(program)).toEqual([1, 2, 3])
  })
})

describe("nesting", () => {
  it("a sub-graph branch with its own parallel step, three levels deep, with nested ids", async () => {
    interface Leaf {
      readonly x: number
      readonly parts: ReadonlyArray<number>
    }
    const split = mapStates(
      (c: Item) => Effect.succeed({ x: c.x + 1 }),
      (s: Leaf) => [0, 1].map((k) => ({ x: s.x * 10 + k })),
      (s, results) => ({ ...s, parts: results.map((r) => r.x) })
    )
    const finish = (s: Leaf) => ({ ...s, x: s.parts.reduce((a, b) => a + b, 0) })
    const inner = Graph.make({ actions: { split, finish }, transitions: [["split", "finish"]], entrypoint: "split" })
    const outer = mapStates(
      Graph.subgraph(inner, { haltAfter: ["finish"] }),
      (s: Parent) => s.xs.map((x) => ({ x, parts: [] })),
      (s, results) => ({ ...s, out: results.map((r) => r.x) })
    )
    const graph = Graph.make({ actions: { outer }, transitions: [], entrypoint: "outer" })
    const events = await Effect.runPromise(Stream.runCollect(Application.stream(Application.make({ graph, state: start([1, 2]), id: "N" }))))
    const done = events[events.length - 1]!
    // x=1: children 10, 11 -> 11 + 12 = 23; x=2: 20, 21 -> 21 + 22 = 43
    expect(done._tag === "Done" && done.app.state.out).toEqual([23, 43])
    const edges = new Set(events.filter((e) => "parentId" in e && e.parentId).map((e) => `${(e as { parentId: string }).parentId} > ${e.appId}`))
    expect([...edges].sort()).toEqual([
      "N > N:1:outer:0",
      "N > N:1:outer:1",
      "N:1:outer:0 > N:1:outer:0:1:split:0",
      "N:1:outer:0 > N:1:outer:0:1:split:1",
      "N:1:outer:1 > N:1:outer:1:1:split:0",
      "N:1:outer:1 > N:1:outer:1:1:split:1"
    ])
  })

  it("layers provided to the parent reach children at every depth, unless a child overrides them", async () => {
    class Offset extends Context.Service<Offset, { readonly by: number }>()("test/Offset") {}
    const leaf = (c: Item) => Offset.use(({ by }) => Effect.succeed({ x: c.x + by }))
    const inner = Graph.make({ actions: { leaves: mapStates(leaf, items, collectOut) }, transitions: [], entrypoint: "leaves" })
    const sub = Graph.subgraph(inner, { haltAfter: ["leaves"] })
    const overridden = (s: Parent, i?: object) => sub(s, i).pipe(Effect.provideService(Offset, { by: 1000 }))
    const outer = mapActions([sub, overridden], (s: Parent) => s, (s, r) => ({ ...s, out: r.flatMap((x) => x.out) }))
    const app = await Effect.runPromise(runAction(outer, start([1, 2])).pipe(Effect.provide(Layer.succeed(Offset, { by: 10 }))))
    expect(app.state.out).toEqual([11, 12, 1001, 1002])
  })

  it("a parent's concurrency reaches nested parallel steps unless they set their own", async () => {
    let counter = peakCounter(1, 6)
    const leaf = (c: Item) => counter.child(c)
    const nested = (own?: number) =>
      Graph.subgraph(
        Graph.make({
          actions: { inner: mapStates(leaf, items, collectOut, own === undefined ? {} : { concurrency: own }) },
          transitions: [],
          entrypoint: "inner"
        }),
        { haltAfter: ["inner"] }
      )
    const outer = (own?: number) => mapStates(nested(own), (s: Parent) => [s, s], (s, r) => ({ ...s, out: r.flatMap((x) => x.out) }), { concurrency: 1 })
    const app = await Effect.runPromise(runAction(outer(), start([1, 2, 3, 4, 5, 6])))
    expect(app.state.out).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6])
    expect(counter.peak).toBe(1)
    counter = peakCounter(3, 6)
    await Effect.runPromise(runAction(outer(3), start([1, 2, 3, 4, 5, 6])))
    expect(counter.peak).toBe(3)
  })
})

describe("streaming", () => {
  it("interleaves events of concurrent children as they happen, before the parent's StepCompleted", async () => {
    const child = (c: Item) => Effect.sleep(`${c.x * 10} millis`).pipe(Effect.as(c))
    const fan = mapStates(child, items, collectOut)
    const graph = Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
    const events = await Effect.runPromise(virtual(Stream.runCollect(Application.stream(Application.make({ graph, state: start([2, 0, 1]), id: "S" })))))
    expect(events.map((e) => `${e._tag}:${e.appId}`)).toEqual([
      "StepStarted:S",
      "StepStarted:S:1:fan:0",
      "StepStarted:S:1:fan:1",
      "StepStarted:S:1:fan:2",
      "StepCompleted:S:1:fan:1",
      "StepCompleted:S:1:fan:2",
      "StepCompleted:S:1:fan:0",
      "StepCompleted:S",
      "Done:S"
    ])
    expect(events.filter((e) => e.appId !== "S").every((e) => "parentId" in e && e.parentId === "S")).toBe(true)
  })

  it("emits StepFailed for a failing child", async () => {
    const child = (c: Item) => (c.x === 1 ? Effect.fail("nope") : Effect.succeed(c))
    const graph = Graph.make({ actions: { fan: mapStates(child, items, collectOut, { onError: "collect" }) }, transitions: [], entrypoint: "fan" })
    const events = await Effect.runPromise(Stream.runCollect(Application.stream(Application.make({ graph, state: start([0, 1]), id: "F" }))))
    expect(events.find((e) => e._tag === "StepFailed")).toMatchObject({ appId: "F:1:fan:1", parentId: "F", error: "nope" })
  })
})

describe("executor seam", () => {
  it("runs every child through a provided executor, which sees ids and plain data", async () => {
    const seen: Array<Parallel.Child> = []
    const executor: Parallel.Executor = {
      run: (child, local) => Effect.suspend(() => {
        seen.push(child)
        return local
      })
    }
    const fan = mapStates((c: Item, i?: { k: number }) => ({ x: c.x + (i?.k ?? 0) }), (s: Parent) => s.xs.map((x) => [{ x }, { k: 1 }] as const), collectOut)
    const app = await Effect.runPromise(runAction(fan, start([1, 2])).pipe(Effect.provideService(Parallel.CurrentExecutor, executor)))
    expect(app.state.out).toEqual([2, 3])
    expect(seen.map((c) => ({ id: c.id, index: c.index, parentId: c.parentId, state: c.state, inputs: c.inputs }))).toEqual([
      { id: "P:1:fan:0", index: 0, parentId: "P", state: { x: 1 }, inputs: { k: 1 } },
      { id: "P:1:fan:1", index: 1, parentId: "P", state: { x: 2 }, inputs: { k: 1 } }
    ])
    expect(JSON.parse(JSON.stringify(seen.map((c) => [c.state, c.inputs])))).toEqual(seen.map((c) => [c.state, c.inputs]))
  })
})
