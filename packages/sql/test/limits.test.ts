/**
 * The limits of the SQL persistence, on SQLite and PostgreSQL: how long a value may be (every
 * saved value loads back; a longer one is refused at save with `TooLarge` naming the key), and
 * how much the cache of known states may hold (bounded by bytes, observed through what the next
 * step stores: a remembered state's next step is a delta, a forgotten one's is stored in full).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, type Layer } from "effect"
import { SqlClient } from "effect/sql"
import { Persistence } from "@teasel/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SqliteClient, SqlPersistence } from "../src/index.js"
import { createSchema, dropSchema, pgClient, pgUrl, schemaName } from "./pg.js"

const dir = mkdtempSync(join(tmpdir(), "teasel-limits-"))
const schema = schemaName("limits")

beforeAll(() => createSchema(schema))
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await dropSchema(schema)
})

const MiB = 1024 * 1024

interface Backend {
  readonly name: string
  readonly layer: (options: SqlPersistence.Options) => Layer.Layer<Persistence.Persistence, unknown>
  /** A plain client on the same database, to count stored rows. */
  readonly client: () => Layer.Layer<SqlClient.SqlClient, unknown>
}

const sqliteFile = join(dir, "limits.db")
const backends: ReadonlyArray<Backend> = [
  {
    name: "SQLite",
    layer: (options) => SqlPersistence.layerSqlite({ filename: sqliteFile, ...options }),
    client: () => SqliteClient.layer({ filename: sqliteFile })
  },
  {
    name: "PostgreSQL",
    layer: (options) =>
      SqlPersistence.layerPg({ url: pgUrl, connectTimeout: "5 seconds", startupParameters: { search_path: schema }, ...options }),
    client: () => pgClient(schema)
  }
]

const stepOf = (appId: string, sequenceId: number, state: Record<string, unknown>, next = "a"): Persistence.Step => ({
  appId,
  partitionKey: "",
  sequenceId,
  action: "a",
  next,
  state,
  parentId: undefined,
  createdAt: 1
})

const save = (layer: Layer.Layer<Persistence.Persistence, unknown>, step: Persistence.Step) =>
  Effect.runPromise(
    Effect.exit(Effect.flatMap(Effect.service(Persistence.Persistence), (p) => p.save(step))).pipe(Effect.provide(layer))
  )

const load = (layer: Layer.Layer<Persistence.Persistence, unknown>, appId: string) =>
  Effect.runPromise(
    Effect.flatMap(Effect.service(Persistence.Persistence), (p) => p.load({ appId, partitionKey: "" })).pipe(
      Effect.provide(layer)
    )
  )

/** How many key rows the step `seq` of `appId` wrote (a full step writes every key). */
const keyRowsOf = (client: Layer.Layer<SqlClient.SqlClient, unknown>, appId: string, seq: number) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql<{ n: unknown }>`
        SELECT count(*) AS n FROM teasel_state_values v JOIN teasel_apps a ON a.id = v.app
        WHERE a.app_id = ${appId} AND v.seq = ${seq}`
      return Number(rows[0]!.n)
    }).pipe(Effect.provide(client)) as Effect.Effect<number>
  )

describe.each(backends)("value size on $name", (backend) => {
  it("a value of exactly maxValueBytes saves and loads; one byte more is TooLarge, naming the key", async () => {
    const layer = backend.layer({ maxValueBytes: MiB })
    // JSON of a string: its characters and two quotes.
    const atLimit = "x".repeat(MiB - 2)
    expect(Exit.isSuccess(await save(layer, stepOf("edge-under", 1, { blob: atLimit })))).toBe(true)
    const loaded = await load(layer, "edge-under")
    expect((loaded?.state as { blob: string }).blob === atLimit).toBe(true)

    const over = await save(layer, stepOf("edge-over", 1, { small: 1, blob: atLimit + "x" }))
    expect(Exit.isFailure(over)).toBe(true)
    const error = Exit.isFailure(over) ? over.cause.reasons[0] : undefined
    const failure = error?._tag === "Fail" ? error.error : undefined
    expect(failure?.reason).toEqual(new Persistence.TooLarge({ key: "blob", bytes: MiB + 1, limit: MiB }))
    expect(failure?.message).toContain(`"blob"`)
    // Nothing of the refused step was written.
    expect(await load(layer, "edge-over")).toBeUndefined()
  })

  it("bytes are counted in UTF-8: a value of multi-byte characters over the limit is refused", async () => {
    const layer = backend.layer({ maxValueBytes: MiB })
    // 400,000 characters of 3 bytes: 1.2 MB as UTF-8, fewer than MiB characters.
    const over = await save(layer, stepOf("utf8-over", 1, { text: "€".repeat(400_000) }))
    const error = Exit.isFailure(over) ? over.cause.reasons[0] : undefined
    expect(error?._tag === "Fail" ? error.error.reason._tag : undefined).toBe("TooLarge")
  })

  it("a 64 MB value round-trips with the default settings (a fresh layer loads it)", { timeout: 180_000 }, async () => {
    const big = "y".repeat(64 * 1000 * 1000)
    expect(Exit.isSuccess(await save(backend.layer({}), stepOf("big", 1, { big, n: 1 })))).toBe(true)
    const loaded = await load(backend.layer({}), "big")
    const state = loaded?.state as { big: string; n: number }
    expect(state.n).toBe(1)
    expect(state.big.length).toBe(big.length)
    expect(state.big === big).toBe(true)
  })
})

describe.each(backends)("the cache of known states on $name", (backend) => {
  it("is bounded by bytes: a state heavier than cacheBytes is not remembered, its next step is stored in full", async () => {
    const layer = backend.layer({ cacheBytes: 100_000 })
    const client = backend.client()
    const keys = (prefix: string, size: number) =>
      Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, `${prefix}${"z".repeat(size)}`]))
    await Effect.runPromise(
      Effect.gen(function*() {
        const p = yield* Persistence.Persistence
        // A light application (10 keys of ~1 kB) and a heavy one (10 keys of ~20 kB, 200 kB).
        const light = keys("l", 1_000)
        const heavy = keys("h", 20_000)
        yield* p.save(stepOf("light", 1, light))
        yield* p.save(stepOf("heavy", 1, heavy))
        // Step 2 changes one key of each.
        yield* p.save(stepOf("light", 2, { ...light, k0: "changed" }))
        yield* p.save(stepOf("heavy", 2, { ...heavy, k0: "changed" }))
      }).pipe(Effect.provide(layer)) as Effect.Effect<void>
    )
    // Remembered: only the changed key is written. Not remembered (over budget): all ten.
    expect(await keyRowsOf(client, "light", 2)).toBe(1)
    expect(await keyRowsOf(client, "heavy", 2)).toBe(10)
    // Both load back exactly.
    expect((await load(backend.layer({}), "heavy"))?.state).toMatchObject({ k0: "changed", k1: `h${"z".repeat(20_000)}` })
  })

  it("forgets the least recently used once the budget is full", async () => {
    const layer = backend.layer({ cacheBytes: 50_000 })
    const client = backend.client()
    const state = { v: "w".repeat(20_000) }
    await Effect.runPromise(
      Effect.gen(function*() {
        const p = yield* Persistence.Persistence
        // Three states of ~20 kB in a 50 kB budget: the first is forgotten.
        for (const id of ["lru-1", "lru-2", "lru-3"]) yield* p.save(stepOf(id, 1, { ...state, other: 1 }))
        for (const id of ["lru-3", "lru-2", "lru-1"]) yield* p.save(stepOf(id, 2, { ...state, other: 2 }))
      }).pipe(Effect.provide(layer)) as Effect.Effect<void>
    )
    expect(await keyRowsOf(client, "lru-3", 2)).toBe(1)
    expect(await keyRowsOf(client, "lru-2", 2)).toBe(1)
    expect(await keyRowsOf(client, "lru-1", 2)).toBe(2)
  })
})
