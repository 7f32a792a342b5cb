/**
 * Behaviour specific to the SQL backends, on a real SQLite file and a real PostgreSQL: what is
 * stored (only what changed), reading it back after a restart, lineage, conflicts between
 * connections, failed steps, unreadable rows, and the tables' creation.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { Application, Graph, Persistence, type PersistenceError } from "@teasel/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SqliteClient, SqlPersistence } from "../src/index.js"
import { createSchema, dropSchema, pgClient, pgLayer, schemaName } from "./pg.js"

interface Backend {
  readonly name: string
  /** A new persistence layer instance (a new connection, nothing remembered): a new process. */
  readonly persistence: () => Layer.Layer<Persistence.Persistence, unknown>
  /** A plain client on the same database, to look at the tables. */
  readonly sql: () => Layer.Layer<SqlClient.SqlClient, unknown>
}

const dir = mkdtempSync(join(tmpdir(), "teasel-sql-"))
const file = join(dir, "store.db")
const schema = schemaName("behaviour")

beforeAll(() => createSchema(schema))
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await dropSchema(schema)
})

const backends: ReadonlyArray<Backend> = [
  {
    name: "SQLite",
    persistence: () => SqlPersistence.layerSqlite({ filename: file }),
    sql: () => SqliteClient.layer({ filename: file })
  },
  { name: "PostgreSQL", persistence: () => pgLayer(schema), sql: () => pgClient(schema) }
]

const unique = (label: string) => `${label}-${crypto.randomUUID()}`

const failureOf = <A, E>(exit: Exit.Exit<A, E>): PersistenceError => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (reason === undefined || reason._tag !== "Fail") throw new Error(`expected a typed failure: ${String(exit.cause)}`)
  return reason.error as PersistenceError
}

interface Counter {
  readonly count: number
  readonly blob: string
  readonly tags: ReadonlyArray<string>
  readonly scratch?: string
}
const inc = (s: Counter): Counter => ({ ...s, count: s.count + 1 })
const loop = (until: number) =>
  Graph.make({
    actions: { inc },
    transitions: [["inc", "inc", (s) => s.count < until]],
    entrypoint: "inc"
  })

describe.each(backends)("SqlPersistence on $name", (backend) => {
  const run = <A, E>(effect: Effect.Effect<A, E, Persistence.Persistence>) =>
    Effect.runPromise(Effect.provide(effect, backend.persistence()) as Effect.Effect<A, unknown>)
  const runExit = <A, E>(effect: Effect.Effect<A, E, Persistence.Persistence>) =>
    Effect.runPromise(Effect.exit(Effect.provide(effect, backend.persistence())))
  const query = <A extends object>(text: string, params: ReadonlyArray<unknown> = []) =>
    Effect.runPromise(
      Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        return yield* sql.unsafe<A>(text, params)
      }).pipe(Effect.provide(backend.sql())) as Effect.Effect<ReadonlyArray<A>, unknown>
    )
  const placeholders = (n: number) =>
    Array.from({ length: n }, (_, i) => (backend.name === "PostgreSQL" ? `$${i + 1}` : "?"))
  /** The value rows stored for an application: (seq, name, json length or null). */
  const valueRows = async (appId: string) => {
    const [p] = placeholders(1)
    const rows = await query<{ seq: unknown; name: string; size: unknown }>(
      `SELECT v.seq, v.name, LENGTH(v.json) AS size FROM teasel_state_values v
       JOIN teasel_apps a ON a.id = v.app WHERE a.app_id = ${p} ORDER BY v.seq, v.name`,
      [appId]
    )
    return rows.map((r) => [Number(r.seq), r.name, r.size === null ? null : Number(r.size)])
  }

  it("stores only the keys that changed; a removed key is recorded as removed", async () => {
    const id = unique("delta")
    const blob = "b".repeat(10_000)
    const graph = Graph.make({
      actions: {
        inc,
        note: (s: Counter): Counter => ({ ...s, scratch: "temp", tags: [...s.tags, "noted"] }),
        drop: ({ scratch: _, ...s }: Counter): Counter => s
      },
      transitions: [["inc", "note", (s) => s.count === 2], ["inc", "inc", (s) => s.count < 2], ["note", "drop"]],
      entrypoint: "inc"
    })
    const states = await run(Effect.gen(function*() {
      const store = yield* Persistence.Persistence
      yield* Application.run(Application.make({ graph, state: { count: 0, blob, tags: [] }, id }))
      return yield* Effect.forEach([1, 2, 3, 4], (sequenceId) => store.load({ appId: id, partitionKey: "", sequenceId }))
    }))
    expect(states.map((s) => s?.state)).toEqual([
      { count: 1, blob, tags: [] },
      { count: 2, blob, tags: [] },
      { count: 2, blob, tags: ["noted"], scratch: "temp" },
      { count: 2, blob, tags: ["noted"] }
    ])
    expect(await valueRows(id)).toEqual([
      [1, "blob", 10_002],
      [1, "count", 1],
      [1, "tags", 2],
      [2, "count", 1],
      [3, "scratch", 6],
      [3, "tags", 9],
      [4, "scratch", null]
    ])
  })

  it("a new process continues an application: its first step is stored in full, then deltas again", async () => {
    const id = unique("restart")
    const blob = "r".repeat(5000)
    await run(Effect.gen(function*() {
      let app = Application.make({ graph: loop(6), state: { count: 0, blob, tags: ["t"] }, id })
      for (let i = 0; i < 3; i++) app = yield* Application.step(app)
    }))
    // A second layer instance remembers nothing: as after a restart.
    const resumed = await run(Effect.gen(function*() {
      const app = yield* Application.load({ graph: loop(6), id, state: { count: -1, blob: "", tags: [] } })
      return yield* Application.run(app)
    }))
    expect([resumed.sequenceId, resumed.state.count, resumed.state.blob]).toEqual([6, 6, blob])
    // Step 4 (after load, whose state is remembered) is a delta too; only a save with nothing
    // remembered (third instance, below) is full.
    const rows = await valueRows(id)
    expect(rows.filter(([seq]) => seq === 4)).toEqual([[4, "count", 1]])
    const again = await run(Effect.gen(function*() {
      const store = yield* Persistence.Persistence
      yield* store.save({
        appId: id,
        partitionKey: "",
        sequenceId: 7,
        action: "inc",
        next: undefined,
        state: { count: 7, tags: ["t"] },
        parentId: undefined,
        createdAt: Date.now()
      })
      return yield* Effect.forEach([3, 6, 7], (sequenceId) => store.load({ appId: id, partitionKey: "", sequenceId }))
    }))
    expect(again.map((s) => s?.state)).toEqual([
      { count: 3, blob, tags: ["t"] },
      { count: 6, blob, tags: ["t"] },
      { count: 7, tags: ["t"] }
    ])
    expect((await valueRows(id)).filter(([seq]) => seq === 7)).toEqual([[7, "count", 1], [7, "tags", 5]])
  })

  it("keeps fork lineage through Application.fork, also for a fork of a fork", async () => {
    const id = unique("src")
    const out = await run(Effect.gen(function*() {
      const store = yield* Persistence.Persistence
      yield* Application.run(Application.make({ graph: loop(5), state: { count: 0, blob: "s", tags: [] }, id, partitionKey: "lin" }))
      const a = yield* Application.fork({ graph: loop(8), from: { id, sequenceId: 2, partitionKey: "lin" }, id: `${id}-a` })
      const ranA = yield* Application.run(a)
      const b = yield* Application.fork({ graph: loop(9), from: { id: `${id}-a`, sequenceId: 4, partitionKey: "lin" } })
      const ranB = yield* Application.run(b)
      return {
        ranA,
        ranB,
        baseA: yield* store.load({ appId: `${id}-a`, partitionKey: "lin", sequenceId: 2 }),
        baseB: yield* store.load({ appId: b.id, partitionKey: "lin", sequenceId: 4 }),
        source: yield* store.load({ appId: id, partitionKey: "lin" }),
        before: yield* store.load({ appId: `${id}-a`, partitionKey: "lin", sequenceId: 1 }),
        list: yield* store.list("lin")
      }
    }))
    expect([out.ranA.sequenceId, out.ranA.state.count, out.ranB.sequenceId, out.ranB.state.count]).toEqual([8, 8, 9, 9])
    expect(out.baseA).toMatchObject({ sequenceId: 2, forkedFrom: { appId: id, sequenceId: 2 }, state: { count: 2 } })
    expect(out.baseB).toMatchObject({ sequenceId: 4, forkedFrom: { appId: `${id}-a`, sequenceId: 4 }, state: { count: 4 } })
    expect(out.source).toMatchObject({ sequenceId: 5, next: undefined, state: { count: 5 } })
    expect(out.before).toBeUndefined()
    expect(out.list.filter((s) => s.appId.startsWith(id) || s.appId === out.ranB.id).map((s) => [s.appId, s.sequenceId])).toEqual([
      [id, 5],
      [`${id}-a`, 8],
      [out.ranB.id, 9]
    ])
  })

  it("two connections writing the same step: the database refuses the second (conflict)", async () => {
    const id = unique("two")
    const step = (who: string): Persistence.Step => ({
      appId: id,
      partitionKey: "",
      sequenceId: 1,
      action: "inc",
      next: "inc",
      state: { who },
      parentId: undefined,
      createdAt: Date.now()
    })
    const save = (who: string) => Persistence.Persistence.use((store) => store.save(step(who)))
    await run(save("first"))
    // A second layer instance: nothing in memory knows step 1 exists, only the database does.
    const error = failureOf(await runExit(save("second")))
    expect(error).toMatchObject({ _tag: "PersistenceError", reason: { _tag: "Conflict" }, appId: id, sequenceId: 1 })
    expect(error.message).toBe(`Application "${id}" (partition ""): step 1 was already saved by another run`)
    const kept = await run(Persistence.Persistence.use((store) => store.load({ appId: id, partitionKey: "" })))
    expect(kept?.state).toEqual({ who: "first" })
  })

  it("records failed steps in their own table; the step runs again on load", async () => {
    const id = unique("fail")
    let attempts = 0
    const flaky = (s: Counter): Counter => {
      if (++attempts === 1) throw new Error("flaky the first time")
      return { ...s, count: s.count + 100 }
    }
    const graph = Graph.make({ actions: { inc, flaky }, transitions: [["inc", "flaky"]], entrypoint: "inc" })
    const state = { count: 0, blob: "", tags: [] }
    const first = await runExit(Effect.flatMap(Application.load({ graph, id, state }), (app) => Application.run(app)))
    expect(Exit.isFailure(first)).toBe(true)
    const done = await run(Effect.flatMap(Application.load({ graph, id, state }), (app) => Application.run(app)))
    expect([done.sequenceId, done.state.count]).toEqual([2, 101])
    const failures = await Effect.runPromise(
      SqlPersistence.failures({ appId: id, partitionKey: "" }).pipe(Effect.provide(backend.sql())) as Effect.Effect<
        ReadonlyArray<Persistence.FailedStep>,
        unknown
      >
    )
    expect(failures).toMatchObject([{ appId: id, sequenceId: 2, action: "flaky" }])
    expect(failures[0]!.error).toMatch(/flaky the first time/)
  })

  it("an unreadable stored value fails the load, naming the application and the step", async () => {
    const id = unique("corrupt")
    await run(Application.run(Application.make({ graph: loop(3), state: { count: 0, blob: "", tags: [] }, id })))
    const [a, b] = placeholders(2)
    await query(
      `UPDATE teasel_state_values SET json = '{"count": oops' WHERE name = 'count' AND seq = 3
       AND app = (SELECT id FROM teasel_apps WHERE app_id = ${a} AND partition_key = ${b})`,
      [id, ""]
    )
    const error = failureOf(await runExit(Application.load({ graph: loop(3), id, state: { count: 0, blob: "", tags: [] } })))
    expect(error).toMatchObject({ _tag: "PersistenceError", reason: { _tag: "Unreadable", key: "count" }, appId: id, sequenceId: 3 })
    expect(error.message).toContain(`Application "${id}" (partition ""), step 3: the stored value of state key "count" is not valid JSON`)
    // The steps before it are still readable.
    const second = await run(Persistence.Persistence.use((store) => store.load({ appId: id, partitionKey: "", sequenceId: 2 })))
    expect(second?.state).toEqual({ count: 2, blob: "", tags: [] })
  })

  it("lists a partition's applications oldest first, with parents and where each stands", async () => {
    const partitionKey = unique("part")
    const step = (appId: string, sequenceId: number, extra: Partial<Persistence.Step> = {}): Persistence.Step => ({
      appId,
      partitionKey,
      sequenceId,
      action: "a",
      next: "b",
      state: { n: sequenceId },
      parentId: undefined,
      createdAt: 1_000 + sequenceId,
      ...extra
    })
    const list = await run(Effect.gen(function*() {
      const store = yield* Persistence.Persistence
      yield* store.save(step("z-first", 1))
      yield* store.save(step("a-second", 1))
      yield* store.save(step("child", 1, { parentId: "z-first", next: undefined }))
      yield* store.save(step("z-first", 2, { action: "b", next: undefined }))
      return yield* store.list(partitionKey)
    }))
    expect(list).toEqual([
      { appId: "z-first", partitionKey, parentId: undefined, sequenceId: 2, action: "b", next: undefined, updatedAt: 1_002 },
      { appId: "a-second", partitionKey, parentId: undefined, sequenceId: 1, action: "a", next: "b", updatedAt: 1_001 },
      { appId: "child", partitionKey, parentId: "z-first", sequenceId: 1, action: "a", next: undefined, updatedAt: 1_001 }
    ])
  })

  it("creates its tables once, recording the schema version", async () => {
    // Several instances starting at once on an existing database, then the recorded migrations.
    await Promise.all([1, 2, 3].map(() => run(Effect.void)))
    const rows = await query<{ migration_id: unknown; name: string }>(
      "SELECT migration_id, name FROM teasel_migrations ORDER BY migration_id"
    )
    expect(rows.map((r) => [Number(r.migration_id), r.name])).toEqual([[1, "teasel_schema"], [2, "teasel_integrity"]])
  })
})

describe("SqlPersistence on a fresh SQLite file", () => {
  it("creates the parent directories and the tables, even with several layers starting at once", async () => {
    const filename = join(dir, "fresh", "deeper", "teasel.db")
    const layer = () => SqlPersistence.layerSqlite({ filename })
    const lists = await Promise.all(
      [1, 2, 3].map(() => Effect.runPromise(Effect.provide(Persistence.Persistence.use((s) => s.list("")), layer())))
    )
    expect(lists).toEqual([[], [], []])
  })
})
