/**
 * A parallel step may choose its children's persistence, tracking and executor: inherit (the
 * default), off, or its own — and the choice reaches every descendant.
 */
import { Effect, Layer } from "effect"
import { describe, expect, it } from "vitest"
import { Application, Graph, mapStates, Parallel, Persistence, Tracking } from "../src/index.js"

interface Parent {
  readonly xs: ReadonlyArray<number>
  readonly out: ReadonlyArray<number>
}
const double = (c: { x: number }) => ({ x: c.x * 2 })

/** A store that remembers which applications it saved steps of. */
const recording = () => {
  const saved = new Set<string>()
  const layer: Layer.Layer<Persistence.Persistence> = Layer.effect(
    Persistence.Persistence,
    Effect.map(Persistence.Persistence.use(Effect.succeed), (inner) =>
      Persistence.Persistence.of({ ...inner, save: (step) => Effect.tap(inner.save(step), () => Effect.sync(() => saved.add(step.appId))) }))
  ).pipe(Layer.provide(Persistence.layerMemory))
  return { saved, layer }
}

const graphWith = (options: Parallel.Options<{ x: number }>) => {
  const fan = mapStates(double, (s: Parent) => s.xs.map((x) => ({ x })), (s, results) => ({ ...s, out: results.map((r) => r.x) }), options)
  return Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
}
const start: Parent = { xs: [1, 2], out: [] }

describe("a parallel step's own services", () => {
  it("persistence off: the parent is saved, its children are not", async () => {
    const store = recording()
    const app = await Effect.runPromise(
      Application.run(Application.make({ graph: graphWith({ persistence: "off" }), state: start, id: "P" })).pipe(Effect.provide(store.layer))
    )
    expect(app.state.out).toEqual([2, 4])
    expect([...store.saved]).toEqual(["P"])
  })

  it("persistence of its own: the children are saved there, the parent where it inherits", async () => {
    const parentStore = recording()
    const childStore = recording()
    await Effect.runPromise(
      Application.run(Application.make({ graph: graphWith({ persistence: childStore.layer }), state: start, id: "P" })).pipe(
        Effect.provide(parentStore.layer)
      )
    )
    expect([...parentStore.saved]).toEqual(["P"])
    expect([...childStore.saved].sort()).toEqual(["P:1:fan:0", "P:1:fan:1"])
  })

  it("tracking off or of its own", async () => {
    const parent = Tracking.makeMemory()
    const own = Tracking.makeMemory()
    const appsOf = (records: ReadonlyArray<Tracking.TrackingRecord>) => [...new Set(records.map((r) => r.appId))].sort()
    await Effect.runPromise(Application.run(Application.make({ graph: graphWith({ tracking: "off" }), state: start, id: "P" })).pipe(Effect.provide(parent.layer)))
    expect(appsOf(parent.records)).toEqual(["P"])
    await Effect.runPromise(Application.run(Application.make({ graph: graphWith({ tracking: own.layer }), state: start, id: "Q" })).pipe(Effect.provide(parent.layer)))
    expect(appsOf(own.records)).toEqual(["Q:1:fan:0", "Q:1:fan:1"])
  })

  it("an executor of its own, or local while the rest of the program has one", async () => {
    const seen: Array<string> = []
    const remote: Parallel.Executor = { run: (child, local) => Effect.tap(local, () => Effect.sync(() => seen.push(child.id))) }
    const other: Parallel.Executor = { run: (child, local) => Effect.tap(local, () => Effect.sync(() => seen.push(`other:${child.id}`))) }
    await Effect.runPromise(Application.run(Application.make({ graph: graphWith({ executor: remote }), state: start, id: "E" })))
    expect(seen.sort()).toEqual(["E:1:fan:0", "E:1:fan:1"])
    seen.length = 0
    const app = await Effect.runPromise(
      Application.run(Application.make({ graph: graphWith({ executor: "local" }), state: start, id: "L" })).pipe(
        Effect.provideService(Parallel.CurrentExecutor, other)
      )
    )
    expect(app.state.out).toEqual([2, 4])
    expect(seen).toEqual([])
  })
})
