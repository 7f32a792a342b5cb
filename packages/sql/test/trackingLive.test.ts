/**
 * The SQL tracker during a long run (SQLite) and with bad records (SQLite and PostgreSQL): what a
 * run records is written while it runs (a reader sees its steps before it ends, even with a flush
 * interval longer than the run), one record that cannot be written costs no other record its row,
 * and a removed key named like an `Object.prototype` member reads back as removed. No clock is
 * read: the run goes on until the reader has seen its rows, or fails at a step count.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Fiber, Layer } from "effect"
import type { SqlClient } from "effect/sql"
import { Application, Graph, Tracking } from "@teasel/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SqliteClient, SqlTracking, TrackingReader } from "../src/index.js"
import { createSchema, dropSchema, pgClient, pgUrl, schemaName } from "./pg.js"

const dir = mkdtempSync(join(tmpdir(), "teasel-tracking-live-"))
const schema = schemaName("trackinglive")

beforeAll(() => createSchema(schema))
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await dropSchema(schema)
})

interface Backend {
  readonly name: string
  readonly tracking: (options?: SqlTracking.Options) => Layer.Layer<Tracking.Tracking, unknown>
  readonly reader: () => Layer.Layer<TrackingReader.TrackingReader | SqlClient.SqlClient, unknown>
}

const file = join(dir, "tracking.db")
const backends: ReadonlyArray<Backend> = [
  {
    name: "SQLite",
    tracking: (options) => SqlTracking.layerSqlite({ filename: file, ...options }),
    reader: () => Layer.provideMerge(TrackingReader.layer, SqliteClient.layer({ filename: file }))
  },
  {
    name: "PostgreSQL",
    tracking: (options) =>
      SqlTracking.layerPg({ url: pgUrl, connectTimeout: "5 seconds", startupParameters: { search_path: schema }, ...options }),
    reader: () => Layer.provideMerge(TrackingReader.layer, pgClient(schema))
  }
]

const unique = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`

/** Steps after which a run that the reader never saw stops: the test then fails. */
const MAX_STEPS = 150_000

interface Counter {
  readonly count: number
}

// SQLite only: on PostgreSQL each statement is a round trip of many turns of the event loop, each
// of which runs 512 steps of a tight synchronous run, so how far the run gets before a write lands
// depends on the server's latency (measured: tens of thousands of steps, ~10,000 per statement).
describe.each(backends.slice(0, 1))("SqlTracking during a long run on $name", (backend) => {
  const liveRun = async (options: SqlTracking.Options) => {
    const id = unique("live")
    let seen = false
    let count = 0
    let seenAt = -1
    const inc = (s: Counter): Counter => {
      count = s.count + 1
      return { count }
    }
    const graph = Graph.make({
      actions: { inc },
      transitions: [["inc", "inc", (s) => !seen && s.count < MAX_STEPS]],
      entrypoint: "inc"
    })
    const final = await Effect.runPromise(
      Effect.gen(function*() {
        const reader = yield* TrackingReader.TrackingReader
        const run = yield* Effect.forkChild(Application.run(Application.make({ graph, state: { count: 0 }, id })))
        // Reads the application's steps between turns of the event loop until some are there.
        while (!seen && run.pollUnsafe() === undefined) {
          yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
          const page = yield* reader.steps({ partitionKey: "", appId: id, limit: 1 })
          if (page.total > 0) {
            seen = true
            seenAt = count
          }
        }
        return yield* Fiber.join(run)
      }).pipe(
        Effect.provide(Layer.merge(backend.tracking(options), backend.reader())),
        Effect.provideService(Tracking.CurrentProject, unique("project"))
      ) as Effect.Effect<Application.Application<Counter, "inc">>
    )
    return { seenAt, final: final.state.count }
  }

  it("writes while the application runs: a reader sees its steps before it ends", { timeout: 120_000 }, async () => {
    const { final, seenAt } = await liveRun({})
    expect(seenAt).toBeGreaterThan(0)
    expect(final).toBeLessThan(MAX_STEPS)
  })

  it("writes a full buffer without waiting for the flush interval", { timeout: 120_000 }, async () => {
    const { final, seenAt } = await liveRun({ flushInterval: "1 hour" })
    expect(seenAt).toBeGreaterThan(0)
    expect(final).toBeLessThan(MAX_STEPS)
  })
})

/** A value nested `depth` levels deep. */
const nested = (depth: number): unknown => {
  let value: unknown = "bottom"
  for (let i = 0; i < depth; i++) value = { down: value }
  return value
}

describe.each(backends)("SqlTracking with a bad record on $name", (backend) => {
  it("a state too deep to write is recorded as a placeholder naming why; the other applications' records are kept", async () => {
    const project = unique("project")
    const deep = unique("deep")
    const others = [unique("ok"), unique("ok")]
    interface S {
      readonly n: number
      readonly payload?: unknown
    }
    const graph = Graph.make({
      actions: {
        first: (s: S): S => ({ ...s, n: s.n + 1 }),
        // The deep application's second step holds a value JSON.stringify cannot write.
        second: (s: S & { readonly deep?: boolean }): S => ({ ...s, n: s.n + 1, ...(s.deep ? { payload: nested(20_000) } : {}) }),
        third: (s: S): S => ({ n: s.n + 1 })
      },
      transitions: [["first", "second"], ["second", "third"]],
      entrypoint: "first"
    })
    await Effect.runPromise(
      // All three in one flush (one batch).
      Effect.all(
        [deep, ...others].map((id) =>
          Application.run(Application.make({ graph, state: { n: 0, deep: id === deep } as S, id }))
        ),
        { concurrency: "unbounded" }
      ).pipe(
        Effect.provide(backend.tracking({ flushInterval: "1 hour" })),
        Effect.provideService(Tracking.CurrentProject, project)
      ) as Effect.Effect<unknown>
    )
    const read = await Effect.runPromise(
      Effect.gen(function*() {
        const reader = yield* TrackingReader.TrackingReader
        const counts = yield* Effect.forEach([deep, ...others], (id) =>
          Effect.map(reader.steps({ partitionKey: "", appId: id }), (page) => page.total))
        const degraded = yield* reader.stateAt({ partitionKey: "", appId: deep, sequenceId: 2 })
        const after = yield* reader.stateAt({ partitionKey: "", appId: deep, sequenceId: 3 })
        const other = yield* reader.stateAt({ partitionKey: "", appId: others[0]!, sequenceId: 3 })
        return { counts, degraded, after, other }
      }).pipe(Effect.provide(backend.reader())) as Effect.Effect<{
        counts: Array<number>
        degraded: unknown
        after: unknown
        other: unknown
      }>
    )
    expect(read.counts).toEqual([3, 3, 3])
    expect(read.degraded).toEqual({
      "teasel:unrecorded": expect.stringContaining("could not be recorded as JSON (RangeError")
    })
    expect(read.after).toEqual({ n: 3 })
    expect(read.other).toEqual({ n: 3 })
  })

  it("a removed key named like an Object.prototype member reads back as removed", async () => {
    const project = unique("project")
    const id = unique("proto")
    type S = Readonly<Record<string, number>>
    const graph = Graph.make({
      actions: {
        add: (s: S): S => ({ ...s, n: 1, constructor: 1, toString: 2, hasOwnProperty: 3 }),
        drop: (s: S): S => ({ n: (s["n"] ?? 0) + 1 }),
        keep: (s: S): S => ({ ...s, n: (s["n"] ?? 0) + 1 })
      },
      transitions: [["add", "drop"], ["drop", "keep"]],
      entrypoint: "add"
    })
    await Effect.runPromise(
      Application.run(Application.make({ graph, state: {} as S, id })).pipe(
        Effect.provide(backend.tracking({ fullStateEvery: 100 })),
        Effect.provideService(Tracking.CurrentProject, project)
      ) as Effect.Effect<unknown>
    )
    const states = await Effect.runPromise(
      Effect.flatMap(Effect.service(TrackingReader.TrackingReader), (reader) =>
        Effect.forEach([1, 2, 3], (sequenceId) => reader.stateAt({ partitionKey: "", appId: id, sequenceId }))).pipe(
          Effect.provide(backend.reader())
        ) as Effect.Effect<Array<unknown>>
    )
    expect(states[0]).toEqual({ n: 1, constructor: 1, toString: 2, hasOwnProperty: 3 })
    expect(states[1]).toEqual({ n: 2 })
    expect(Object.keys(states[2] as object)).toEqual(["n"])
  })
})
