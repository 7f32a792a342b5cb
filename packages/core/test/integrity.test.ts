/**
 * Persistence never changes what a program computes, and what saves loads: the core's side of it,
 * on the in-memory store (the SQL backends run the same cases in @teasel/sql's tests).
 */
import { Cause, Effect, Exit, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { Application, Graph, Persistence, tasks } from "../src/index.js"

const failureOf = (exit: Exit.Exit<unknown, unknown>): any => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (reason === undefined || reason._tag !== "Fail") throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return reason.error
}

interface Crawl {
  readonly urls: ReadonlyArray<string>
  readonly rounds: number
  readonly pages: ReadonlyArray<string>
}

describe("a saved child is reused only by its owner", () => {
  interface Page {
    readonly url: string
    readonly round: number
    readonly body?: string
  }
  const fetchPage = (c: Page): Page => ({ ...c, body: `<${c.url} round ${c.round}>` })
  const crawlWith = (idOf: (ctx: { appId: string; sequenceId: number }, url: string) => string) => {
    const crawl = tasks(
      (s: Crawl, ctx) => s.urls.map((url) => ({ branch: fetchPage, state: { url, round: s.rounds } as Page, id: idOf(ctx, url) })),
      (s, results) => ({ ...s, rounds: s.rounds + 1, pages: [...s.pages, ...results.map((r) => r.body ?? "")] })
    )
    return Graph.make({ actions: { crawl }, transitions: [["crawl", "crawl", (s) => s.rounds < 2]], entrypoint: "crawl" })
  }
  const start: Crawl = { urls: ["a.io", "b.io"], rounds: 0, pages: [] }

  it("ids that do not name the step collide on the second pass: the step fails naming the id and its owner, never reuses", async () => {
    const graph = crawlWith((ctx, url) => `${ctx.appId}/${url}`)
    const exit = await Effect.runPromiseExit(
      Application.run(Application.make({ graph, state: start, id: "crawler" })).pipe(Effect.provide(Persistence.layerMemory))
    )
    const error = failureOf(exit)
    expect(error).toMatchObject({ _tag: "ParallelError", action: "crawl", appId: "crawler", sequenceId: 2, index: 0, childId: "crawler/a.io" })
    expect(error.cause).toMatchObject({
      _tag: "PersistenceError",
      appId: "crawler/a.io",
      reason: { _tag: "IdTaken", owner: { parentId: "crawler", parentSequenceId: 1, parentAction: "crawl" } }
    })
    expect(error.cause.message).toContain(`already saved as the child of "crawler" (step 1, action "crawl")`)
  })

  it("with ids that name the step, persistence computes what memory computes: 4 fetches, fresh values", async () => {
    const graph = crawlWith((ctx, url) => `${ctx.appId}:${ctx.sequenceId}/${url}`)
    const plain = await Effect.runPromise(Application.run(Application.make({ graph, state: start, id: "crawler" })))
    const persisted = await Effect.runPromise(
      Application.run(Application.make({ graph, state: start, id: "crawler" })).pipe(Effect.provide(Persistence.layerMemory))
    )
    expect(persisted.state).toEqual(plain.state)
    expect(persisted.state.pages).toEqual(["<a.io round 0>", "<b.io round 0>", "<a.io round 1>", "<b.io round 1>"])
  })

  it("an unrelated application whose id equals a derived child id is never taken for the child", async () => {
    const double = (c: { x: number }) => ({ x: c.x * 2 })
    const fanAction = tasks((s: { xs: ReadonlyArray<number>; out: ReadonlyArray<number> }) => s.xs.map((x) => ({ branch: double, state: { x } })), (s, r) => ({ ...s, out: r.map((c) => c.x) }))
    const fan = Graph.make({ actions: { fan: fanAction }, transitions: [], entrypoint: "fan" })
    const lone = Graph.make({ actions: { double }, transitions: [], entrypoint: "double" })
    const program = Effect.gen(function*() {
      // An application that happens to be called like the first child of p's step 1.
      yield* Application.run(Application.make({ graph: lone, state: { x: 500 }, id: "p:1:fan:0" }))
      return yield* Effect.exit(Application.run(Application.make({ graph: fan, state: { xs: [1, 2], out: [] }, id: "p" })))
    }).pipe(Effect.provide(Persistence.layerMemory))
    const error = failureOf(await Effect.runPromise(program))
    expect(error).toMatchObject({ _tag: "ParallelError", childId: "p:1:fan:0" })
    expect(error.cause.reason).toMatchObject({ _tag: "IdTaken", owner: { parentId: undefined } })
  })

  it("a resumed parent still reuses its own finished children", async () => {
    let runs = 0
    const counted = (c: { x: number }) => {
      runs++
      if (c.x === 3) throw new Error("flaky")
      return { x: c.x * 10 }
    }
    const fan = tasks(
      (s: { xs: ReadonlyArray<number>; out: ReadonlyArray<number> }, ctx) =>
        s.xs.map((x) => ({ branch: counted, state: { x }, id: `${ctx.appId}:${ctx.sequenceId}/${x}` })),
      (s, r) => ({ ...s, out: r.map((c) => c.x) }),
      { concurrency: 1 }
    )
    const graph = Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
    const program = Effect.gen(function*() {
      const first = yield* Effect.exit(Application.run(Application.make({ graph, state: { xs: [1, 2, 3], out: [] }, id: "r" })))
      expect(Exit.isFailure(first)).toBe(true)
      const loaded = yield* Application.load({ graph, id: "r", state: { xs: [1, 2, 4], out: [] } })
      return yield* Application.run(loaded)
    }).pipe(Effect.provide(Persistence.layerMemory))
    // The step runs again from the loaded parent: children 1 and 2 (saved by this step) are reused,
    // only 4 runs.
    const final = await Effect.runPromise(program)
    expect(final.state.out).toEqual([10, 20, 40])
    expect(runs).toBe(4) // 1, 2, 3 (failed); then 4 only
  })
})

describe("ids and state keys are storable, or refused at the boundary", () => {
  interface Loose {
    readonly n?: number
  }
  const inc = (s: Loose): Loose => ({ ...s, n: (s.n ?? 0) + 1 })
  const graph = Graph.make({ actions: { inc }, transitions: [], entrypoint: "inc" })
  const run = (id: string, state: Loose, partitionKey = "") =>
    Effect.runPromiseExit(
      Application.run(Application.make({ graph, state, id, partitionKey })).pipe(Effect.provide(Persistence.layerMemory))
    )

  it("an id or a partition cut inside a character, or holding NUL, is an InvalidId (save and load)", async () => {
    for (const [id, partition, field] of [["chat-\uD83D", "", "appId"], ["a\u0000b", "", "appId"], ["ok", "p\uDE00", "partitionKey"]] as const) {
      expect(failureOf(await run(id, {}, partition))).toMatchObject({ _tag: "PersistenceError", reason: { _tag: "InvalidId", field } })
      const loaded = await Effect.runPromiseExit(
        Application.load({ graph, id, state: {}, partitionKey: partition }).pipe(Effect.provide(Persistence.layerMemory))
      )
      expect(failureOf(loaded)).toMatchObject({ _tag: "PersistenceError", reason: { _tag: "InvalidId", field } })
    }
    expect(Exit.isSuccess(await run("chat-😀", {}))).toBe(true)
  })

  it("a state key cut inside a character is refused, naming it", async () => {
    const error = failureOf(await run("k", { ["bad\uD800"]: 1 } as Loose))
    expect(error).toMatchObject({ _tag: "PersistenceError", reason: { _tag: "Unserializable", key: "bad\uD800" } })
  })
})

describe("state shapes are stored exactly or refused with a tagged error", () => {
  const roundTrip = (state: object, step: (s: object) => object = (s) => s) => {
    const graph = Graph.make({ actions: { step }, transitions: [], entrypoint: "step" })
    return Effect.runPromiseExit(
      Effect.gen(function*() {
        yield* Application.run(Application.make({ graph, state, id: "shape" }))
        return (yield* Application.load({ graph, id: "shape", state: {} })).state as any
      }).pipe(Effect.provide(Persistence.layerMemory))
    )
  }

  it("a value nested 10,000 levels deep is refused naming its key, not a RangeError", async () => {
    let deep: unknown = 0
    for (let i = 0; i < 10_000; i++) deep = { d: deep }
    const error = failureOf(await roundTrip({ ok: 1, deep }))
    expect(error).toMatchObject({ _tag: "PersistenceError", reason: { _tag: "Unserializable", key: "deep" } })
    expect(error.message).toContain("deeper than")
  })

  it("a whole state that is a Map, a Date or a class instance is refused (it used to load as {})", async () => {
    class Point {
      constructor(readonly x: number) {}
    }
    for (const state of [new Map([["a", 1]]), new Date(0), new Point(1)]) {
      const error = failureOf(await roundTrip({}, () => state))
      expect(error).toMatchObject({ _tag: "PersistenceError", reason: { _tag: "Unserializable", key: undefined } })
      expect(error.message).toContain("only a plain object can be stored")
    }
  })

  it("a __proto__ key round-trips as a key, never as the prototype", async () => {
    const state = JSON.parse(`{"__proto__": {"admin": true}, "n": 1, "nested": {"__proto__": {"x": 1}}}`)
    const exit = await roundTrip(state)
    expect(Exit.isSuccess(exit)).toBe(true)
    const loaded = (exit as Exit.Success<any>).value
    expect(Object.getPrototypeOf(loaded)).toBe(Object.prototype)
    expect(Object.keys(loaded).sort()).toEqual(["__proto__", "n", "nested"])
    expect(Object.getOwnPropertyDescriptor(loaded, "__proto__")?.value).toEqual({ admin: true })
    expect(loaded.admin).toBeUndefined()
    expect(Object.getOwnPropertyDescriptor(loaded.nested, "__proto__")?.value).toEqual({ x: 1 })
  })
})

describe("Application.load checks what a backend returns", () => {
  const inc = (s: { n: number }) => ({ n: s.n + 1 })
  const graph = Graph.make({ actions: { inc }, transitions: [], entrypoint: "inc" })
  const returning = (step: unknown) =>
    Layer.succeed(Persistence.Persistence, Persistence.Persistence.of({
      save: () => Effect.void,
      saveFailure: () => Effect.void,
      load: () => Effect.succeed(step as Persistence.Step),
      list: () => Effect.succeed([])
    }))
  const good = { appId: "x", partitionKey: "", sequenceId: 1, action: "inc", next: undefined, state: { n: 1 }, parentId: undefined, createdAt: 0 }

  it("loads a well-formed step", async () => {
    const app = await Effect.runPromise(Application.load({ graph, id: "x", state: { n: 0 } }).pipe(Effect.provide(returning(good))))
    expect(app.state).toEqual({ n: 1 })
  })

  it("refuses another application's step, a sequence that is not a number, a state that is not an object", async () => {
    for (const bad of [{ ...good, appId: "y" }, { ...good, sequenceId: "1" }, { ...good, sequenceId: -1 }, { ...good, state: null }, { ...good, state: [1] }, { ...good, next: 3 }, "row"]) {
      const exit = await Effect.runPromiseExit(Application.load({ graph, id: "x", state: { n: 0 } }).pipe(Effect.provide(returning(bad))))
      expect(failureOf(exit)).toMatchObject({ _tag: "PersistenceError", appId: "x", reason: { _tag: "Corrupt" } })
    }
  })
})
