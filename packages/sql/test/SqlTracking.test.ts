/**
 * The SQL tracker and its reader, on a real SQLite file and a real PostgreSQL: every step's state
 * read back (full and delta rows), children with their aggregates, failures with their cause,
 * interrupted steps, live status, and a database that fails under the tracker.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Fiber, Latch, Layer } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { SqlClient } from "effect/sql"
import { Application, Graph, mapStates, State, Tracking } from "@teasel/core"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { SqliteClient, SqlTracking, TrackingReader, TrackingStore } from "../src/index.js"
import { createSchema, dropSchema, pgClient, pgUrl, schemaName } from "./pg.js"

const dir = mkdtempSync(join(tmpdir(), "teasel-tracking-"))
const schema = schemaName("tracking")

beforeAll(() => createSchema(schema))
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await dropSchema(schema)
})

interface Backend {
  readonly name: string
  readonly tracking: (options?: SqlTracking.Options) => Layer.Layer<Tracking.Tracking, unknown>
  readonly store: () => Layer.Layer<TrackingReader.TrackingReader | SqlClient.SqlClient, unknown>
}

const file = join(dir, "tracking.db")
const effectSqlFile = join(dir, "tracking-effect-sql.db")
/** A SQLite client seen only as a `SqlClient`: the tracker then writes through Effect SQL. */
const plainSqlite = (filename: string) =>
  Layer.effect(SqlClient.SqlClient, SqliteClient.make({ filename })).pipe(Layer.provide(Reactivity.layer))
const backends: ReadonlyArray<Backend> = [
  {
    name: "SQLite",
    tracking: (options) => SqlTracking.layerSqlite({ filename: file, ...options }),
    store: () => Layer.provideMerge(TrackingReader.layer, SqliteClient.layer({ filename: file }))
  },
  {
    // The same kind of file through Effect SQL statements, as any other `SqlClient` is written to.
    name: "SQLite through Effect SQL",
    tracking: (options) => Layer.provide(Layer.effect(Tracking.Tracking, SqlTracking.make(options)), plainSqlite(effectSqlFile)),
    store: () => Layer.provideMerge(TrackingReader.layer, plainSqlite(effectSqlFile))
  },
  {
    name: "PostgreSQL",
    tracking: (options) =>
      SqlTracking.layerPg({ url: pgUrl, connectTimeout: "5 seconds", startupParameters: { search_path: schema }, ...options }),
    store: () => Layer.provideMerge(TrackingReader.layer, pgClient(schema))
  }
]

const unique = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`

interface Counter {
  readonly count: number
  readonly log: ReadonlyArray<number>
  readonly scratch?: string
}

/** Counts to `until`, appending to `log` every third step and dropping `scratch` at 5. */
const counter = (until: number) => {
  const tick = (s: Counter): Counter => {
    const next = State.increment(s, "count")
    const logged = next.count % 3 === 0 ? State.append(next, "log", next.count) : next
    if (next.count === 5) {
      const { scratch: _, ...rest } = logged
      return rest
    }
    return logged
  }
  const done = (s: Counter) => s.count >= until
  return Graph.make({ actions: { tick, end: (s: Counter) => s }, transitions: [["tick", "end", done], ["tick", "tick"]], entrypoint: "tick" })
}

const expectedAt = (n: number): Counter => {
  const log = Array.from({ length: Math.floor(n / 3) }, (_, i) => (i + 1) * 3)
  return n >= 5 ? { count: n, log } : { count: n, log, scratch: "x" }
}

const read = <A>(backend: Backend, f: (store: TrackingReader.TrackingReader["Service"]) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(Effect.flatMap(Effect.service(TrackingReader.TrackingReader), f).pipe(Effect.provide(backend.store())) as Effect.Effect<A>)

const tracked = <A, E>(backend: Backend, project: string, program: Effect.Effect<A, E, Tracking.Tracking>, options?: SqlTracking.Options) =>
  Effect.runPromiseExit(
    program.pipe(Effect.provide(backend.tracking(options)), Effect.provideService(Tracking.CurrentProject, project))
  )

describe.each(backends)("SqlTracking on $name", (backend) => {
  it("stores every step with its state, read back at every step (full and delta rows)", async () => {
    const project = unique("counter")
    const id = unique("app")
    const app = Application.make({ graph: counter(20), state: { count: 0, log: [], scratch: "x" } as Counter, id })
    const exit = await tracked(backend, project, Application.run(app), { fullStateEvery: 4 })
    expect(exit._tag).toBe("Success")

    const projects = await read(backend, (s) => s.projects())
    expect(projects.find((p) => p.project === project)).toMatchObject({ applications: 1, failed: 0 })
    const apps = await read(backend, (s) => s.applications({ project }))
    expect(apps.total).toBe(1)
    expect(apps.items[0]).toMatchObject({ appId: id, status: "completed", steps: 21, lastAction: "end", next: undefined, children: 0 })

    const detail = await read(backend, (s) => s.application({ partitionKey: "", appId: id }))
    expect(detail?.graph.entrypoint).toBe("tick")
    expect(detail?.graph.transitions.map((t) => `${t.from}->${t.to}`)).toEqual(["tick->end", "tick->tick"])

    const page = await read(backend, (s) => s.steps({ partitionKey: "", appId: id, limit: 8, around: 10 }))
    expect(page.total).toBe(21)
    expect(page.offset).toBe(8)
    expect(page.items.map((s) => s.sequenceId)).toEqual([9, 10, 11, 12, 13, 14, 15, 16])
    expect(page.items.every((s) => s.status === "completed" && s.durationMs! >= 0 && s.action === "tick")).toBe(true)

    const states = await read(backend, (s) =>
      Effect.forEach(Array.from({ length: 21 }, (_, i) => i), (n) => s.stateAt({ partitionKey: "", appId: id, sequenceId: n })))
    expect(states).toEqual([...Array.from({ length: 21 }, (_, n) => expectedAt(n))])

    const step = await read(backend, (s) => s.step({ partitionKey: "", appId: id, sequenceId: 5 }))
    expect(step).toMatchObject({ action: "tick", status: "completed", next: "tick", state: expectedAt(5), previous: expectedAt(4) })
  })

  it("stores a group of fast steps (recordSteps) one row each, with their states and shared times", async () => {
    const project = unique("groups")
    const id = unique("app")
    const at = Date.now()
    const graph = Graph.make({ actions: { inc: (s: { n: number }) => ({ n: s.n + 1 }) }, transitions: [["inc", "inc"]], entrypoint: "inc" })
    const group: Tracking.StepGroup = {
      appId: id, partitionKey: "", sequenceId: 2, actions: Array.from({ length: 100 }, () => "inc"),
      states: Array.from({ length: 100 }, (_, i) => ({ n: i + 2 })), next: "inc", at: at + 3, durationMs: 2
    }
    const started: Tracking.TrackingRecord = {
      _tag: "ApplicationStarted", project, appId: id, partitionKey: "", parentId: undefined, parentSequenceId: undefined,
      sequenceId: 0, state: { n: 0 }, graph: Graph.shapeOf(graph), at
    }
    const first: Tracking.TrackingRecord = {
      _tag: "StepCompleted", appId: id, partitionKey: "", action: "inc", sequenceId: 1, at: at + 1, durationMs: 1, state: { n: 1 }, chunks: 0, next: "inc"
    }
    const stopped: Tracking.TrackingRecord = {
      _tag: "ApplicationStopped", appId: id, partitionKey: "", reason: "halted", sequenceId: 101, next: "inc", at: at + 3
    }
    await tracked(backend, project, Effect.flatMap(Effect.service(Tracking.Tracking), (t) =>
      Effect.sync(() => {
        expect(t.recordSteps).toBeTypeOf("function")
        t.record(started)
        t.record(first)
        t.recordSteps!(group)
        t.record(stopped)
      })))
    const [app] = (await read(backend, (s) => s.applications({ project }))).items
    expect(app).toMatchObject({ appId: id, status: "halted", steps: 101, lastAction: "inc", next: "inc" })
    const steps = await read(backend, (s) => s.steps({ partitionKey: "", appId: id, limit: 200 }))
    expect(steps.items.map((s) => s.sequenceId)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1))
    expect(steps.items[1]!.startedAt).toBeCloseTo(at + 1, 6)
    expect(steps.items.slice(1).every((s) => Math.abs(s.durationMs! - 0.02) < 1e-9)).toBe(true)
    expect(steps.items.at(-1)!.startedAt + steps.items.at(-1)!.durationMs!).toBeCloseTo(at + 3, 3)
    const states = await read(backend, (s) =>
      Effect.forEach([1, 2, 50, 101], (n) => s.stateAt({ partitionKey: "", appId: id, sequenceId: n })))
    expect(states).toEqual([{ n: 1 }, { n: 2 }, { n: 50 }, { n: 101 }])
  })

  it("stores a long run of fast synchronous steps completely, and its status as soon as it stops", async () => {
    const project = unique("fast")
    const id = unique("app")
    const inc = (s: { n: number }) => ({ n: s.n + 1 })
    const graph = Graph.make({ actions: { inc, stop: (s: { n: number }) => s }, transitions: [["inc", "stop", (s) => s.n >= 5_000], ["inc", "inc"]], entrypoint: "inc" })
    await Effect.runPromise(
      Effect.scoped(Effect.gen(function*() {
        const halted = yield* Application.run(Application.make({ graph, state: { n: 0 }, id }), { haltBefore: ["stop"] })
        expect(halted.state.n).toBe(5_000)
        // The tracker is still open (its session alive): the application shows as halted, without
        // waiting for the tracker to close (a tracker that never writes it fails by the timeout).
        let app: TrackingReader.Application | undefined
        while (app?.status !== "halted") {
          yield* Effect.sleep(20)
          app = yield* Effect.promise(() => read(backend, (s) => s.applications({ project })).then((p) => p.items[0]))
        }
        expect(app).toMatchObject({ status: "halted", steps: 5_000, next: "stop" })
      })).pipe(
        Effect.provide(backend.tracking({ flushInterval: "20 millis" })),
        Effect.provideService(Tracking.CurrentProject, project)
      )
    )
    const steps = await read(backend, (s) => s.steps({ partitionKey: "", appId: id, limit: 10, around: 2_500 }))
    expect(steps.total).toBe(5_000)
    expect(steps.items.every((s) => s.status === "completed" && s.action === "inc" && s.durationMs! >= 0)).toBe(true)
    const states = await read(backend, (s) =>
      Effect.forEach([1, 64, 2_500, 5_000], (n) => s.stateAt({ partitionKey: "", appId: id, sequenceId: n })))
    expect(states).toEqual([{ n: 1 }, { n: 64 }, { n: 2_500 }, { n: 5_000 }])
  })

  it("lists a parallel step's children in task order, with results, aggregates and the slowest", async () => {
    const project = unique("fan")
    const id = unique("parent")
    interface Task {
      readonly n: number
      readonly out: number
    }
    // Task 3 is the slowest whatever the load: it waits for the eleven others to end, then 60 ms.
    const othersDone = Latch.makeUnsafe()
    let done = 0
    const work = (s: Task) =>
      s.n === 3
        ? Effect.as(Effect.andThen(othersDone.await, Effect.sleep(60)), { ...s, out: s.n * 10 })
        : Effect.flatMap(Effect.sleep(5), () => (s.n === 1 ? Effect.fail(new Error(`task ${s.n} broke`)) : Effect.succeed({ ...s, out: s.n * 10 })))
          .pipe(Effect.ensuring(Effect.sync(() => ++done === 11 && othersDone.openUnsafe())))
    const child = Graph.make({ actions: { work }, transitions: [], entrypoint: "work" })
    interface Parent {
      readonly total: number
      readonly failed: ReadonlyArray<number>
    }
    const fan = mapStates(
      Graph.subgraph(child),
      (_: Parent) => Array.from({ length: 12 }, (_, n): Task => ({ n, out: 0 })),
      (s, results, failures) => ({ ...s, total: results.reduce((a, r) => a + r.out, 0), failed: failures.map((f) => f.index) }),
      { onError: "collect" }
    )
    const graph = Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
    const exit = await tracked(backend, project, Application.run(Application.make({ graph, state: { total: 0, failed: [] } as Parent, id })))
    expect(exit._tag).toBe("Success")

    const steps = await read(backend, (s) => s.steps({ partitionKey: "", appId: id }))
    expect(steps.items[0]).toMatchObject({ action: "fan", status: "completed", children: 12 })
    const page = await read(backend, (s) => s.children({ partitionKey: "", appId: id, sequenceId: 1, limit: 5, offset: 0 }))
    expect(page).toMatchObject({ total: 12, succeeded: 11, failed: 1, interrupted: 0, running: 0 })
    expect(page.slowest?.appId).toBe(`${id}:1:fan:3`)
    expect(page.slowest!.durationMs).toBeGreaterThanOrEqual(40)
    expect(page.items.map((c) => c.appId)).toEqual([0, 1, 2, 3, 4].map((i) => `${id}:1:fan:${i}`))
    expect(page.items[2]).toMatchObject({ status: "completed", steps: 1, result: { n: 2, out: 20 }, parentId: id, parentSequenceId: 1 })
    const failed = page.items[1]!
    expect(failed.status).toBe("failed")
    expect(failed.error).toMatchObject({ name: "Error", message: "task 1 broke" })
    expect((failed.error as { stack: string }).stack).toMatch(/SqlTracking\.test\.ts/)
    const next = await read(backend, (s) => s.children({ partitionKey: "", appId: id, sequenceId: 1, limit: 5, offset: 10 }))
    expect(next.items.map((c) => c.appId)).toEqual([`${id}:1:fan:10`, `${id}:1:fan:11`])

    const childDetail = await read(backend, (s) => s.application({ partitionKey: "", appId: `${id}:1:fan:2` }))
    expect(childDetail).toMatchObject({ parentId: id, parentSequenceId: 1, parentAction: "fan" })
    const first = await read(backend, (s) => s.step({ partitionKey: "", appId: `${id}:1:fan:2`, sequenceId: 1 }))
    expect(first).toMatchObject({ previous: { n: 2, out: 0 }, state: { n: 2, out: 20 } })
  })

  it("records a failed step's error with its cause, and the siblings it interrupted", async () => {
    const project = unique("fail")
    const id = unique("parent")
    // Task 0 fails once both its siblings are running; they would run for a minute.
    const siblingsRunning = Latch.makeUnsafe()
    let running = 0
    const work = (s: { n: number }) =>
      s.n === 0
        ? Effect.andThen(siblingsRunning.await, Effect.fail(new Error("model down")))
        : Effect.andThen(Effect.sync(() => ++running === 2 && siblingsRunning.openUnsafe()), Effect.as(Effect.sleep(60_000), s))
    const fan = mapStates(work, (_: { n: number }) => [{ n: 0 }, { n: 1 }, { n: 2 }], (s) => s)
    const graph = Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
    const exit = await tracked(backend, project, Application.run(Application.make({ graph, state: { n: 0 }, id })))
    expect(exit._tag).toBe("Failure")
    const [app] = (await read(backend, (s) => s.applications({ project }))).items
    expect(app).toMatchObject({ status: "failed", error: { _tag: "ParallelError", action: "fan", index: 0, childId: `${id}:1:fan:0`, cause: { message: "model down" } } })
    const step = await read(backend, (s) => s.step({ partitionKey: "", appId: id, sequenceId: 1 }))
    expect(step).toMatchObject({ status: "failed", state: undefined, previous: { n: 0 }, error: { _tag: "ParallelError" } })
    const children = await read(backend, (s) => s.children({ partitionKey: "", appId: id, sequenceId: 1 }))
    expect(children).toMatchObject({ total: 3, succeeded: 0, failed: 1, interrupted: 2 })
    expect(children.items.map((c) => c.status)).toEqual(["failed", "interrupted", "interrupted"])
  })

  it("shows a running step while it runs, and an interrupted one once its process stops", async () => {
    const project = unique("live")
    const id = unique("app")
    const wait = (s: { n: number }) => Effect.as(Effect.sleep(60_000), s)
    const graph = Graph.make({ actions: { first: (s: { n: number }) => ({ n: s.n + 1 }), wait }, transitions: [["first", "wait"]], entrypoint: "first" })
    await Effect.runPromise(
      Effect.scoped(Effect.gen(function*() {
        const fiber = yield* Effect.forkChild(Application.run(Application.make({ graph, state: { n: 0 }, id })))
        // The tracker writes every 20 ms: poll until it has written the running step.
        let app: TrackingReader.Application | undefined
        while (app?.runningAction !== "wait") {
          yield* Effect.sleep(20)
          app = yield* Effect.promise(() => read(backend, (s) => s.applications({ project })).then((p) => p.items[0]))
        }
        expect(app).toMatchObject({ status: "running", runningSequenceId: 2, runningAction: "wait", steps: 1 })
        const steps = yield* Effect.promise(() => read(backend, (s) => s.steps({ partitionKey: "", appId: id })))
        expect(steps.items.map((s) => `${s.action}:${s.status}`)).toEqual(["first:completed", "wait:running"])
        yield* Fiber.interrupt(fiber)
      })).pipe(
        Effect.provide(backend.tracking({ flushInterval: "20 millis" })),
        Effect.provideService(Tracking.CurrentProject, project)
      )
    )
    const [app] = (await read(backend, (s) => s.applications({ project }))).items
    expect(app).toMatchObject({ status: "interrupted", steps: 1 })
    const steps = await read(backend, (s) => s.steps({ partitionKey: "", appId: id }))
    expect(steps.items.map((s) => `${s.action}:${s.status}`)).toEqual(["first:completed", "wait:interrupted"])
  })
})

describe("SqlTracking never fails an application", () => {
  it("logs a failed write and goes on", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {})
    const broken = join(dir, "broken.db")
    const graph = Graph.make({
      actions: {
        // Drops the tracker's table under it: every later write fails.
        sabotage: (s: { n: number }) =>
          Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) => Effect.as(Effect.orDie(sql`DROP TABLE teasel_track_steps`), { n: s.n + 1 })),
        rest: (s: { n: number }) => Effect.as(Effect.sleep(50), { n: s.n + 1 })
      },
      transitions: [["sabotage", "rest"]],
      entrypoint: "sabotage"
    })
    const layers = Layer.provideMerge(SqlTracking.layer, SqliteClient.layer({ filename: broken }))
    const app = await Effect.runPromise(
      Application.run(Application.make({ graph, state: { n: 0 }, id: "sabotaged" })).pipe(Effect.provide(layers))
    )
    expect(app.state.n).toBe(2)
    expect(warn).toHaveBeenCalled()
    expect(String(warn.mock.calls[0]![0])).toMatch(/tracking could not write/)
    warn.mockRestore()
  })
})

describe("TrackingStore", () => {
  it("is TrackingReader under its former name: the same service, layers and constructor", () => {
    expect(TrackingStore.TrackingStore).toBe(TrackingReader.TrackingReader)
    expect([TrackingStore.layer, TrackingStore.layerSqlite, TrackingStore.layerPg, TrackingStore.make]).toEqual([
      TrackingReader.layer,
      TrackingReader.layerSqlite,
      TrackingReader.layerPg,
      TrackingReader.make
    ])
  })
})
