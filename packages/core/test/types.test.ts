// Type-level behaviour: these assertions are checked by `tsc` (`pnpm typecheck`); the runtime
// part only builds the values.
import { type Cause, Context, Data, Effect, Stream } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { Action, Application, Graph, mapActions, mapStates, product, State, tasks } from "../src/index.js"
import type { ActionError, Event, ParallelError, PersistenceError } from "../src/index.js"

interface Counter {
  readonly count: number
}
const inc = (s: Counter): Counter => ({ count: s.count + 1 })

class Boom extends Data.TaggedError("Boom")<{}> {}
class Other extends Data.TaggedError("Other")<{}> {}
class Db extends Context.Service<Db, { readonly get: Effect.Effect<number> }>()("types/Db") {}
class Clock2 extends Context.Service<Clock2, { readonly now: number }>()("types/Clock2") {}

const failing = (s: Counter) => Effect.fail(new Boom()).pipe(Effect.as(s))
const needsDb = (s: Counter) => Db.use((db) => Effect.map(db.get, (count) => ({ ...s, count })))
const both = (s: Counter) => Clock2.use(() => Effect.fail(new Other())).pipe(Effect.as(s))

describe("types", () => {
  it("infers the state from the actions, also into inline actions and predicates", () => {
    const graph = Graph.make({
      actions: { a: inc, done: (s) => s },
      transitions: [["a", "done", (s) => s.count > 3], ["a", "a"]],
      entrypoint: "a"
    })
    expectTypeOf(graph).toEqualTypeOf<Graph.Graph<Counter, "a" | "done", never, never>>()
    expectTypeOf<Graph.StateOf<typeof graph>>().toEqualTypeOf<Counter>()
    expectTypeOf<Graph.ActionsOf<typeof graph>>().toEqualTypeOf<"a" | "done">()
    const app = Application.make({ graph, state: { count: 0 } })
    expectTypeOf(app.state).toEqualTypeOf<Counter>()
    expectTypeOf(app.next).toEqualTypeOf<"a" | "done" | undefined>()
  })

  it("rejects misspelt action names in transitions, the entrypoint, haltAfter and haltBefore", () => {
    const make = () =>
      Graph.make({
        actions: { a: inc, b: inc },
        // @ts-expect-error "c" is not an action
        transitions: [["a", "c"]],
        entrypoint: "a"
      })
    const make2 = () =>
      Graph.make({
        actions: { a: inc, b: inc },
        // @ts-expect-error "x" is not an action
        transitions: [[["a", "x"], "b"]],
        entrypoint: "a"
      })
    const make3 = () =>
      Graph.make({
        actions: { a: inc, b: inc },
        transitions: [["a", "b"]],
        // @ts-expect-error "start" is not an action
        entrypoint: "start"
      })
    const graph = Graph.make({ actions: { a: inc, b: inc }, transitions: [["a", "b"]], entrypoint: "a" })
    const app = Application.make({ graph, state: { count: 0 } })
    // @ts-expect-error "bb" is not an action
    const run1 = () => Application.run(app, { haltAfter: ["bb"] })
    // @ts-expect-error "aa" is not an action
    const run2 = () => Application.run(app, { haltBefore: ["aa"] })
    // @ts-expect-error "zz" is not an action
    const stream = () => Application.stream(app, { haltAfter: ["zz"] })
    // @ts-expect-error "q" is not an action
    const sub = () => Graph.subgraph(graph, { haltAfter: ["q"] })
    // @ts-expect-error "q" is not an action
    const app2 = () => Application.make({ graph, state: { count: 0 }, entrypoint: "q" })
    expectTypeOf(make).toBeFunction()
    expectTypeOf([make2, make3, run1, run2, stream, sub, app2]).toBeArray()
  })

  it("rejects a state of the wrong shape", () => {
    const graph = Graph.make({ actions: { a: inc }, transitions: [], entrypoint: "a" })
    // @ts-expect-error count must be a number
    const bad = () => Application.make({ graph, state: { count: "0" } })
    expectTypeOf(bad).toBeFunction()
  })

  it("carries the error and requirement types of effectful actions into run, step and stream", () => {
    const graph = Graph.make({
      actions: { a: inc, failing, needsDb, both },
      transitions: [["a", "failing"], ["failing", "needsDb"], ["needsDb", "both"]],
      entrypoint: "a"
    })
    expectTypeOf(graph).toEqualTypeOf<Graph.Graph<Counter, "a" | "failing" | "needsDb" | "both", Boom | Other, Db | Clock2>>()
    const app = Application.make({ graph, state: { count: 0 } })
    expectTypeOf(Application.run(app)).toEqualTypeOf<
      Effect.Effect<Application.Application<Counter, "a" | "failing" | "needsDb" | "both", Boom | Other, Db | Clock2>, ActionError | PersistenceError | Boom | Other, Db | Clock2>
    >()
    expectTypeOf(Application.step(app)).toEqualTypeOf<
      Effect.Effect<Application.Application<Counter, "a" | "failing" | "needsDb" | "both", Boom | Other, Db | Clock2>, ActionError | PersistenceError | Boom | Other, Db | Clock2>
    >()
    expectTypeOf(app.pipe(Application.run({ haltAfter: ["both"] }))).toEqualTypeOf<
      Effect.Effect<Application.Application<Counter, "a" | "failing" | "needsDb" | "both", Boom | Other, Db | Clock2>, ActionError | PersistenceError | Boom | Other, Db | Clock2>
    >()
    expectTypeOf(Application.stream(app)).toEqualTypeOf<
      Stream.Stream<Event.Event<Counter, "a" | "failing" | "needsDb" | "both", Boom | Other, Db | Clock2>, ActionError | PersistenceError | Boom | Other, Db | Clock2>
    >()
    // runPromise needs no requirements
    // @ts-expect-error Db and Clock2 are required
    const promise = () => Application.runPromise(app)
    expectTypeOf(promise).toBeFunction()
  })

  it("gives a sub-graph the error and requirements of its graph", () => {
    const child = Graph.make({ actions: { failing, needsDb }, transitions: [["failing", "needsDb"]], entrypoint: "failing" })
    const sub = Graph.subgraph(child, { haltAfter: ["needsDb"] })
    expectTypeOf(sub).returns.toEqualTypeOf<Effect.Effect<Counter, Boom | ActionError | PersistenceError, Db>>()
    const parent = Graph.make({ actions: { a: inc, sub }, transitions: [["a", "sub"]], entrypoint: "a" })
    expectTypeOf(Application.run(Application.make({ graph: parent, state: { count: 0 } }))).toEqualTypeOf<
      Effect.Effect<Application.Application<Counter, "a" | "sub", Boom | ActionError | PersistenceError, Db>, ActionError | PersistenceError | Boom, Db>
    >()
  })

  it("types the helpers", () => {
    const produced = Action.produce((d: { items: Array<string> }, i: { item: string }) => {
      d.items.push(i.item)
    })
    expectTypeOf(produced).parameters.toEqualTypeOf<[{ items: Array<string> }, ({ item: string } | undefined)?]>()
    const streamed = Action.stream((_: Counter) => Stream.make(1, 2), (s, chunks: ReadonlyArray<number>) => ({ count: s.count + chunks.length }))
    expectTypeOf(streamed).returns.toEqualTypeOf<Effect.Effect<Counter, never, never>>()
    expectTypeOf(State.increment({ count: 1, name: "x" }, "count")).toEqualTypeOf<{ count: number; name: string }>()
    // @ts-expect-error name is not numeric
    const badIncrement = () => State.increment({ count: 1, name: "x" }, "name")
    // @ts-expect-error count is not an array
    const badAppend = () => State.append({ count: 1, log: [] as Array<string> }, "count", 1)
    expectTypeOf(State.subset({ a: 1, b: "x", c: true }, ["a", "c"])).toEqualTypeOf<{ a: number; c: boolean }>()
    expectTypeOf([badIncrement, badAppend]).toBeArray()
  })

  it("carries branch and reduce errors and requirements through the parallel combinators", () => {
    interface P {
      readonly xs: ReadonlyArray<number>
      readonly total: number
    }
    const branch = (c: Counter) => Db.use((db) => Effect.map(db.get, (n) => ({ count: c.count + n }))).pipe(
      Effect.flatMap((c) => (c.count < 0 ? Effect.fail(new Boom()) : Effect.succeed(c)))
    )
    const fan = mapStates(
      branch,
      (s: P) => s.xs.map((count) => ({ count })),
      (s, results, failures) => {
        expectTypeOf(results).toEqualTypeOf<ReadonlyArray<{ count: number }>>()
        expectTypeOf(failures[0]!.error).toEqualTypeOf<Boom | ActionError | PersistenceError | Cause.TimeoutError>()
        return Clock2.use(() => Effect.succeed({ ...s, total: results.length }))
      }
    )
    expectTypeOf(fan).returns.toEqualTypeOf<Effect.Effect<P, ParallelError<Boom | ActionError | PersistenceError | Cause.TimeoutError>, Db | Clock2>>()
    const graph = Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
    expectTypeOf(Application.run(Application.make({ graph, state: { xs: [], total: 0 } }))).toEqualTypeOf<
      Effect.Effect<Application.Application<P, "fan", ParallelError<Boom | ActionError | PersistenceError | Cause.TimeoutError>, Db | Clock2>, ActionError | PersistenceError | ParallelError<Boom | ActionError | PersistenceError | Cause.TimeoutError>, Db | Clock2>
    >()
    const sub = Graph.subgraph(Graph.make({ actions: { failing }, transitions: [], entrypoint: "failing" }), { haltAfter: ["failing"] })
    const viaSub = mapActions([sub], (s: P) => ({ count: s.total }), (s, r) => ({ ...s, total: r[0]!.count }))
    expectTypeOf(viaSub).returns.toEqualTypeOf<Effect.Effect<P, ParallelError<Boom | ActionError | PersistenceError | Cause.TimeoutError>, never>>()
    const prod = product([inc], (s: P) => s.xs.map((count) => ({ count })), (s) => Promise.resolve(s))
    expectTypeOf(prod).returns.toEqualTypeOf<Effect.Effect<P, ParallelError<ActionError | PersistenceError | Cause.TimeoutError>, never>>()
    const viaTasks = tasks((s: P) => s.xs.map((count) => ({ branch: needsDb, state: { count }, id: String(count) })), (s) => s)
    expectTypeOf(viaTasks).returns.toEqualTypeOf<Effect.Effect<P, ParallelError<ActionError | PersistenceError | Cause.TimeoutError>, Db>>()
    // @ts-expect-error a branch over the wrong child state
    const wrong = () => mapStates((c: { name: string }) => c, (s: P) => s.xs.map((count) => ({ count })), (s) => s)
    expectTypeOf(wrong).toBeFunction()
  })
})
