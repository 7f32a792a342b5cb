/**
 * Storage grows with what changed: 10,000 steps over a state holding a 1 MB field that never
 * changes stay far below steps × state size (10 GB) on disk. Prints the measured size and the time
 * per persisted step.
 */
import { randomBytes } from "node:crypto"
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, type Layer } from "effect"
import { SqlClient } from "effect/sql"
import { Application, Graph, Persistence } from "@teasel/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SqlPersistence } from "../src/index.js"
import { createSchema, dropSchema, pgClient, pgLayer, schemaName } from "./pg.js"

const MB = 1024 * 1024
const dir = mkdtempSync(join(tmpdir(), "teasel-growth-"))
const schema = schemaName("growth")
beforeAll(() => createSchema(schema))
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await dropSchema(schema)
})

interface Big {
  readonly blob: string
  readonly count: number
}
const tick = (s: Big): Big => ({ ...s, count: s.count + 1 })
const graph = (steps: number) =>
  Graph.make({ actions: { tick }, transitions: [["tick", "tick", (s) => s.count < steps]], entrypoint: "tick" })
// Random text: neither SQLite nor PostgreSQL's TOAST can compress it away.
const blob = randomBytes((MB / 4) * 3).toString("base64")

/** Runs `steps` persisted steps, then reads the latest and a middle step back. */
const runSteps = (layer: Layer.Layer<Persistence.Persistence, unknown>, id: string, steps: number) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const store = yield* Persistence.Persistence
      const started = performance.now()
      const done = yield* Application.run(Application.make({ graph: graph(steps), state: { blob, count: 0 }, id }))
      const elapsed = performance.now() - started
      const latest = yield* store.load({ appId: id, partitionKey: "" })
      const middle = yield* store.load({ appId: id, partitionKey: "", sequenceId: Math.floor(steps / 2) })
      return { done, elapsed, latest, middle }
    }).pipe(Effect.provide(layer)) as Effect.Effect<
      { done: Application.Application<Big, "tick">; elapsed: number; latest: Persistence.Step | undefined; middle: Persistence.Step | undefined },
      unknown
    >
  )

describe("storage growth", () => {
  it("SQLite: 10,000 steps over a state with an unchanging 1 MB field stay under 50 MB (file + WAL)", async () => {
    const filename = join(dir, "growth.db")
    const steps = 10_000
    const { done, elapsed, latest, middle } = await runSteps(SqlPersistence.layerSqlite({ filename }), "growth", steps)
    const size = (path: string) => (existsSync(path) ? statSync(path).size : 0)
    const onDisk = size(filename) + size(`${filename}-wal`) + size(`${filename}-shm`)
    console.info(
      `SQLite: ${steps} persisted steps in ${elapsed.toFixed(0)} ms (${(elapsed * 1000 / steps).toFixed(0)} µs/step); ` +
        `${(onDisk / MB).toFixed(2)} MB on disk (file + WAL + shm)`
    )
    expect(done.state.count).toBe(steps)
    expect(latest).toMatchObject({ sequenceId: steps, state: { count: steps } })
    expect((latest?.state as Big).blob).toBe(blob)
    expect(middle).toMatchObject({ sequenceId: steps / 2, state: { count: steps / 2 } })
    expect((middle?.state as Big).blob).toBe(blob)
    expect(onDisk).toBeLessThan(50 * MB)
  })

  it("PostgreSQL: 2,000 steps over the same state stay under 20 MB of tables", async () => {
    const steps = 2_000
    const { done, elapsed, latest, middle } = await runSteps(pgLayer(schema), "growth", steps)
    const [row] = await Effect.runPromise(
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        return yield* sql<{ bytes: unknown }>`SELECT SUM(pg_total_relation_size(c.oid)) AS bytes
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = ${schema} AND c.relkind = 'r'`
      }).pipe(Effect.provide(pgClient(schema))) as Effect.Effect<ReadonlyArray<{ bytes: unknown }>, unknown>
    )
    const bytes = Number(row!.bytes)
    console.info(
      `PostgreSQL: ${steps} persisted steps in ${elapsed.toFixed(0)} ms (${(elapsed * 1000 / steps).toFixed(0)} µs/step); ` +
        `${(bytes / MB).toFixed(2)} MB of tables (with indexes and TOAST)`
    )
    expect(done.state.count).toBe(steps)
    expect(latest).toMatchObject({ sequenceId: steps, state: { count: steps } })
    expect((middle?.state as Big).blob).toBe(blob)
    expect(bytes).toBeLessThan(20 * MB)
  })
})
