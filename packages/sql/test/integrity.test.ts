/**
 * Persistence never changes what a program computes, and what loads is what was saved: the same
 * cases on memory, a SQLite file and a PostgreSQL schema (core's test/integrity.test.ts runs them
 * on memory alone).
 *
 * - a saved child is reused only by its owner (parent, parent step, action);
 * - ids and state keys a database would not keep apart are refused on every operation;
 * - state shapes are stored exactly or refused alike;
 * - on the SQL backends, rows damaged or made by someone else (the tests write them with raw SQL,
 *   as a hostile user would) never load as a state: `Corrupt`, naming the application and step;
 *   tables at a schema version newer than the library are refused.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Cause, Effect, Exit, type Layer } from "effect"
import type { SqlClient } from "effect/sql"
import { SqlClient as SqlClientService } from "effect/sql"
import { Application, Graph, Persistence, tasks } from "@teasel/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SqliteClient, SqlPersistence } from "../src/index.js"
import { createSchema, dropSchema, pgClient, pgLayer, schemaName } from "./pg.js"

const dir = mkdtempSync(join(tmpdir(), "teasel-integrity-"))
const schema = schemaName("integrity")
const futureSchema = schemaName("integrity_future")
beforeAll(async () => {
  await createSchema(schema)
  await createSchema(futureSchema)
})
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await dropSchema(schema)
  await dropSchema(futureSchema)
})

interface Backend {
  readonly name: string
  /** The store: one instance per label for memory (so per test), one database for the others. */
  readonly layer: (label: string) => Layer.Layer<Persistence.Persistence, unknown>
}

interface SqlBackend extends Backend {
  /** A plain client on the database behind `layer(label)`, to tamper with its tables. */
  readonly sql: (label: string) => Layer.Layer<SqlClient.SqlClient, unknown>
  /** The `n`th placeholder of a statement. */
  readonly ph: (n: number) => string
  /** The tables of a database of their own (a new file or schema), for the schema version test. */
  readonly fresh: () => { readonly layer: Layer.Layer<Persistence.Persistence, unknown>; readonly sql: Layer.Layer<SqlClient.SqlClient, unknown> }
}

const sqlite: SqlBackend = {
  name: "SQLite",
  layer: (label) => SqlPersistence.layerSqlite({ filename: join(dir, `${label}.db`) }),
  sql: (label) => SqliteClient.layer({ filename: join(dir, `${label}.db`) }),
  ph: () => "?",
  fresh: () => {
    const filename = join(dir, `future-${crypto.randomUUID()}.db`)
    return { layer: SqlPersistence.layerSqlite({ filename }), sql: SqliteClient.layer({ filename }) }
  }
}
const postgres: SqlBackend = {
  name: "PostgreSQL",
  layer: () => pgLayer(schema),
  sql: () => pgClient(schema),
  ph: (n) => `$${n}`,
  fresh: () => ({ layer: pgLayer(futureSchema), sql: pgClient(futureSchema) })
}
const backends: ReadonlyArray<Backend> = [{ name: "memory", layer: () => Persistence.layerMemory }, sqlite, postgres]

const unique = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`

const failureOf = (exit: Exit.Exit<unknown, unknown>): any => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
  const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (reason === undefined || reason._tag !== "Fail") throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return reason.error
}

const runOn = <A>(layer: Layer.Layer<Persistence.Persistence, unknown>, program: Effect.Effect<A, unknown, Persistence.Persistence>) =>
  Effect.runPromiseExit(Effect.provide(program, layer))

const raw = (backend: SqlBackend, label: string, text: string, params: ReadonlyArray<string | number> = []) =>
  Effect.runPromise(
    Effect.flatMap(Effect.service(SqlClientService.SqlClient), (sql) => sql.unsafe(text, params as Array<string | number>)).pipe(
      Effect.provide(backend.sql(label))
    ) as Effect.Effect<ReadonlyArray<any>, unknown>
  )

describe.each(backends)("a saved child is reused only by its owner, on $name", (backend) => {
  interface Crawl {
    readonly urls: ReadonlyArray<string>
    readonly rounds: number
    readonly pages: ReadonlyArray<string>
  }
  interface Page {
    readonly url: string
    readonly round: number
    readonly body?: string
  }
  const fetchPage = (c: Page): Page => ({ ...c, body: `<${c.url} round ${c.round}>` })
  // The docs' tasks example: one child per URL, with an explicit id, looping through the step twice.
  const crawlWith = (idOf: (ctx: { appId: string; sequenceId: number }, url: string) => string) => {
    const crawl = tasks(
      (s: Crawl, ctx) => s.urls.map((url) => ({ branch: fetchPage, state: { url, round: s.rounds } as Page, id: idOf(ctx, url) })),
      (s, results) => ({ ...s, rounds: s.rounds + 1, pages: [...s.pages, ...results.map((r) => r.body ?? "")] })
    )
    return Graph.make({ actions: { crawl }, transitions: [["crawl", "crawl", (s) => s.rounds < 2]], entrypoint: "crawl" })
  }
  const start: Crawl = { urls: ["a.io", "b.io"], rounds: 0, pages: [] }

  it("ids that do not name the step collide on the second pass: IdTaken naming the owner, never a stale reuse", async () => {
    const id = unique("crawler")
    const exit = await runOn(
      backend.layer("owner"),
      Application.run(Application.make({ graph: crawlWith((ctx, url) => `${ctx.appId}/${url}`), state: start, id }))
    )
    const error = failureOf(exit)
    // Which of the two children meets its saved namesake first depends on the database's timing.
    const url = ["a.io", "b.io"][error.index]
    expect(error).toMatchObject({ _tag: "ParallelError", action: "crawl", appId: id, sequenceId: 2, childId: `${id}/${url}` })
    expect(error.cause).toMatchObject({
      _tag: "PersistenceError",
      appId: `${id}/${url}`,
      reason: { _tag: "IdTaken", owner: { parentId: id, parentSequenceId: 1, parentAction: "crawl" } }
    })
  })

  it("the owner is saved with the child and loaded back", async () => {
    const id = unique("crawler")
    const graph = crawlWith((ctx, url) => `${ctx.appId}:${ctx.sequenceId}/${url}`)
    const exit = await runOn(
      backend.layer("owner"),
      Effect.gen(function*() {
        yield* Application.run(Application.make({ graph, state: start, id }))
        const store = yield* Persistence.Persistence
        return yield* store.load({ appId: `${id}:2/b.io`, partitionKey: "" })
      })
    )
    expect(Exit.isSuccess(exit) && exit.value).toMatchObject({ parentId: id, parentSequenceId: 2, parentAction: "crawl" })
  })

  it("with ids that name the step, persistence computes what no persistence computes: 4 fetches, fresh values", async () => {
    const id = unique("crawler")
    const graph = crawlWith((ctx, url) => `${ctx.appId}:${ctx.sequenceId}/${url}`)
    const plain = await Effect.runPromise(Application.run(Application.make({ graph, state: start, id })))
    const persisted = await runOn(backend.layer("owner"), Application.run(Application.make({ graph, state: start, id })))
    expect(Exit.isSuccess(persisted) && persisted.value.state).toEqual(plain.state)
    expect(plain.state.pages).toEqual(["<a.io round 0>", "<b.io round 0>", "<a.io round 1>", "<b.io round 1>"])
  })

  it("an unrelated application whose id equals a derived child id is never taken for the child", async () => {
    const p = unique("p")
    const double = (c: { x: number }) => ({ x: c.x * 2 })
    const fanAction = tasks(
      (s: { xs: ReadonlyArray<number>; out: ReadonlyArray<number> }) => s.xs.map((x) => ({ branch: double, state: { x } })),
      (s, r) => ({ ...s, out: r.map((c) => c.x) })
    )
    const fan = Graph.make({ actions: { fan: fanAction }, transitions: [], entrypoint: "fan" })
    const lone = Graph.make({ actions: { double }, transitions: [], entrypoint: "double" })
    const exit = await runOn(
      backend.layer("owner"),
      Effect.gen(function*() {
        yield* Application.run(Application.make({ graph: lone, state: { x: 500 }, id: `${p}:1:fan:0` }))
        return yield* Application.run(Application.make({ graph: fan, state: { xs: [1, 2], out: [] }, id: p }))
      })
    )
    const error = failureOf(exit)
    expect(error).toMatchObject({ _tag: "ParallelError", childId: `${p}:1:fan:0` })
    expect(error.cause.reason).toMatchObject({ _tag: "IdTaken", owner: { parentId: undefined } })
  })

  it("a resumed parent still reuses its own finished children", async () => {
    const id = unique("r")
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
    const exit = await runOn(
      backend.layer("owner"),
      Effect.gen(function*() {
        const first = yield* Effect.exit(Application.run(Application.make({ graph, state: { xs: [1, 2, 3], out: [] }, id })))
        expect(Exit.isFailure(first)).toBe(true)
        return yield* Application.run(yield* Application.load({ graph, id, state: { xs: [1, 2, 4], out: [] } }))
      })
    )
    expect(Exit.isSuccess(exit) && exit.value.state.out).toEqual([10, 20, 40])
    expect(runs).toBe(4) // 1, 2, 3 (failed); then 4 only
  })
})

describe.each(backends)("ids and state keys a database would not keep apart are refused, on $name", (backend) => {
  const step = (appId: string, partitionKey: string, state: unknown, sequenceId = 1): Persistence.Step => ({
    appId,
    partitionKey,
    sequenceId,
    action: "a",
    next: "a",
    state,
    parentId: undefined,
    createdAt: 1_000
  })
  const bad = [["chat-\uD83D", "", "appId"], ["a\u0000b", "", "appId"], ["ok", "p\uDE00", "partitionKey"]] as const

  it("save, saveFailure, load and list refuse a lone surrogate or a NUL with InvalidId", async () => {
    for (const [appId, partitionKey, field] of bad) {
      const invalid = { _tag: "PersistenceError", reason: { _tag: "InvalidId", field } }
      const exit = await runOn(
        backend.layer("ids"),
        Persistence.Persistence.use((store) =>
          Effect.all([
            Effect.flip(store.save(step(appId, partitionKey, { n: 1 }))),
            Effect.flip(store.saveFailure({ appId, partitionKey, sequenceId: 1, action: "a", error: "boom", createdAt: 0 })),
            Effect.flip(store.load({ appId, partitionKey })),
            Effect.flip(store.load({ appId, partitionKey, sequenceId: 1 }))
          ])
        )
      )
      expect(Exit.isSuccess(exit) && exit.value).toMatchObject([invalid, invalid, invalid, invalid])
      if (field === "partitionKey") {
        const listed = await runOn(backend.layer("ids"), Persistence.Persistence.use((store) => Effect.flip(store.list(partitionKey))))
        expect(Exit.isSuccess(listed) && listed.value).toMatchObject(invalid)
      }
    }
  })

  it("two ids that differ only in a lone surrogate never load each other's state", async () => {
    const base = unique("chat")
    const exit = await runOn(
      backend.layer("ids"),
      Persistence.Persistence.use((store) =>
        Effect.gen(function*() {
          yield* store.save(step(`${base}-\uD83D\uDE00`, "", { who: "whole emoji" }))
          const cut = yield* Effect.flip(store.load({ appId: `${base}-\uD83D`, partitionKey: "" }))
          const whole = yield* store.load({ appId: `${base}-\uD83D\uDE00`, partitionKey: "" })
          return { cut, whole }
        })
      )
    )
    expect(Exit.isSuccess(exit) && exit.value).toMatchObject({
      cut: { reason: { _tag: "InvalidId", field: "appId" } },
      whole: { state: { who: "whole emoji" } }
    })
  })

  it("a state key cut inside a character is refused naming it, on the first step and on a delta", async () => {
    const id = unique("keys")
    const exit = await runOn(
      backend.layer("ids"),
      Persistence.Persistence.use((store) =>
        Effect.gen(function*() {
          const first = yield* Effect.flip(store.save(step(unique("keys"), "", { ["bad\uD800"]: 1 })))
          yield* store.save(step(id, "", { n: 1 }))
          const delta = yield* Effect.flip(store.save(step(id, "", { n: 1, ["nul\u0000"]: 2 }, 2)))
          return [first, delta]
        })
      )
    )
    expect(Exit.isSuccess(exit) && exit.value).toMatchObject([
      { _tag: "PersistenceError", reason: { _tag: "Unserializable", key: "bad\uD800" } },
      { _tag: "PersistenceError", reason: { _tag: "Unserializable", key: "nul\u0000" } }
    ])
  })
})

describe.each(backends)("state shapes are stored exactly or refused alike, on $name", (backend) => {
  const roundTrip = (state: object, ...steps: Array<(s: any) => object>) => {
    const names = steps.map((_, i) => `s${i}`)
    const actions = Object.fromEntries(steps.map((f, i) => [names[i]!, f]))
    const transitions = names.slice(1).map((name, i) => [names[i]!, name] as const)
    const graph = Graph.make({ actions, transitions, entrypoint: names[0]! } as any) as Graph.Graph<any, string>
    const id = unique("shape")
    return runOn(
      backend.layer("shapes"),
      Effect.gen(function*() {
        yield* Application.run(Application.make({ graph, state, id }))
        return (yield* Application.load({ graph, id, state: {} })).state as any
      })
    )
  }

  it("a value nested 10,000 levels deep is refused naming its key (not a RangeError or a defect)", async () => {
    let deep: unknown = 0
    for (let i = 0; i < 10_000; i++) deep = { d: deep }
    const first = failureOf(await roundTrip({ ok: 1, deep }, (s) => s))
    expect(first).toMatchObject({ _tag: "PersistenceError", reason: { _tag: "Unserializable", key: "deep" } })
    expect(first.message).toContain("deeper than")
    // On a later step, stored as a delta on SQL.
    const later = failureOf(await roundTrip({ ok: 1 }, (s) => ({ ...s, ok: 2 }), (s) => ({ ...s, deep })))
    expect(later).toMatchObject({ _tag: "PersistenceError", sequenceId: 2, reason: { _tag: "Unserializable", key: "deep" } })
  })

  it("a whole state that is a Map, a Date or a class instance is refused, on the first step and on a later one", async () => {
    class Point {
      constructor(readonly x: number) {}
    }
    for (const state of [new Map([["a", 1]]), new Date(0), new Point(1)]) {
      const first = failureOf(await roundTrip({}, () => state))
      expect(first).toMatchObject({ _tag: "PersistenceError", sequenceId: 1, reason: { _tag: "Unserializable", key: undefined } })
      expect(first.message).toContain("only a plain object can be stored")
      // The second step would be a delta on SQL: the shape must be checked there too.
      const later = failureOf(await roundTrip({ x: 0 }, (s) => ({ ...s, x: 1 }), () => state))
      expect(later).toMatchObject({ _tag: "PersistenceError", sequenceId: 2, reason: { _tag: "Unserializable", key: undefined } })
    }
  })

  it("a __proto__ key round-trips as a key, never as the prototype, through full steps and deltas", async () => {
    const state = JSON.parse(`{"__proto__": {"admin": true}, "n": 1, "nested": {"__proto__": {"x": 1}}}`)
    const exit = await roundTrip(state, (s) => s, (s) => {
      const next = { ...s, n: s.n + 1 }
      Object.defineProperty(next, "__proto__", { value: { admin: "again" }, enumerable: true, writable: true, configurable: true })
      return next
    })
    expect(Exit.isSuccess(exit)).toBe(true)
    const loaded = (exit as Exit.Success<any>).value
    expect(Object.getPrototypeOf(loaded)).toBe(Object.prototype)
    expect(Object.keys(loaded).sort()).toEqual(["__proto__", "n", "nested"])
    expect(Object.getOwnPropertyDescriptor(loaded, "__proto__")?.value).toEqual({ admin: "again" })
    expect(loaded.admin).toBeUndefined()
    expect(loaded.n).toBe(2)
    expect(Object.getOwnPropertyDescriptor(loaded.nested, "__proto__")?.value).toEqual({ x: 1 })
  })
})

describe.each([sqlite, postgres])("damaged or foreign rows never load as a state, on $name", (backend) => {
  interface Doc {
    readonly count: number
    readonly title: string
    readonly body: string
  }
  const inc = (s: Doc): Doc => ({ ...s, count: s.count + 1 })
  const graph = Graph.make({ actions: { inc }, transitions: [["inc", "inc", (s) => s.count < 3]], entrypoint: "inc" })
  const initial: Doc = { count: 0, title: "t", body: "b".repeat(100) }
  const label = "damage"

  /** An application saved at steps 1 (full), 2 and 3 (deltas: only `count` written); its row id. */
  const saved = async () => {
    const id = unique("doc")
    const exit = await runOn(backend.layer(label), Application.run(Application.make({ graph, state: initial, id })))
    expect(Exit.isSuccess(exit)).toBe(true)
    const [row] = await raw(backend, label, `SELECT id FROM teasel_apps WHERE app_id = ${backend.ph(1)}`, [id])
    return { id, app: Number(row.id) }
  }
  const load = (id: string, sequenceId?: number) =>
    runOn(backend.layer(label), Persistence.Persistence.use((store) => store.load({ appId: id, partitionKey: "", sequenceId })))
  const loadApp = (id: string) => runOn(backend.layer(label), Application.load({ graph, id, state: initial }))

  const expectCorrupt = (exit: Exit.Exit<unknown, unknown>, id: string, sequenceId: number | undefined) => {
    const error = failureOf(exit)
    expect(error).toMatchObject({ _tag: "PersistenceError", appId: id, reason: { _tag: "Corrupt" } })
    if (sequenceId !== undefined) expect(error.sequenceId).toBe(sequenceId)
    expect(error.message).toContain(`Application "${id}"`)
    return error
  }

  it("intact rows load (the checks pass on what was saved)", async () => {
    const { id } = await saved()
    const exit = await load(id)
    expect(Exit.isSuccess(exit) && exit.value).toMatchObject({ sequenceId: 3, state: { ...initial, count: 3 } })
    for (const seq of [1, 2]) {
      const at = await load(id, seq)
      expect(Exit.isSuccess(at) && at.value?.state).toEqual({ ...initial, count: seq })
    }
  })

  it("a missing delta row: Corrupt, not the stale value", async () => {
    const { app, id } = await saved()
    await raw(backend, label, `DELETE FROM teasel_state_values WHERE app = ${backend.ph(1)} AND seq = 3 AND name = 'count'`, [app])
    const error = expectCorrupt(await load(id), id, 3)
    expect(error.message).toContain("step 3")
    expectCorrupt(await loadApp(id), id, 3)
  })

  it("an altered row of the full step: Corrupt at every step built on it", async () => {
    const { app, id } = await saved()
    await raw(backend, label, `UPDATE teasel_state_values SET json = '"forged"' WHERE app = ${backend.ph(1)} AND seq = 1 AND name = 'title'`, [app])
    expectCorrupt(await load(id), id, 3)
    expectCorrupt(await load(id, 2), id, 2)
  })

  it("a gap in the steps: Corrupt", async () => {
    const { app, id } = await saved()
    await raw(backend, label, `DELETE FROM teasel_steps WHERE app = ${backend.ph(1)} AND seq = 2`, [app])
    const error = expectCorrupt(await load(id), id, 3)
    expect(error.message).toContain("missing")
  })

  it("a __proto__ row added to the state: Corrupt, never the prototype", async () => {
    const { app, id } = await saved()
    await raw(backend, label, `INSERT INTO teasel_state_keys (app, name, seq, pos) VALUES (${backend.ph(1)}, '__proto__', 1, 99)`, [app])
    await raw(backend, label, `INSERT INTO teasel_state_values (app, name, seq, json) VALUES (${backend.ph(1)}, '__proto__', 1, '{"admin":true}')`, [app])
    expectCorrupt(await load(id), id, 3)
  })

  it("another application's rows moved in: Corrupt", async () => {
    const mine = await saved()
    const other = await saved()
    // The other application's value rows take the place of this one's.
    await raw(backend, label, `DELETE FROM teasel_state_values WHERE app = ${backend.ph(1)}`, [mine.app])
    await raw(backend, label, `UPDATE teasel_state_values SET app = ${backend.ph(1)} WHERE app = ${backend.ph(2)} AND name = 'body'`, [mine.app, other.app])
    expectCorrupt(await load(mine.id), mine.id, 3)
  })

  it("steps saved before digests and owners were stored (schema version 1) still load, and are still checked for gaps", async () => {
    const { app, id } = await saved()
    await raw(backend, label, `UPDATE teasel_steps SET digest = NULL, parent_seq = NULL, parent_action = NULL WHERE app = ${backend.ph(1)}`, [app])
    const exit = await load(id)
    expect(Exit.isSuccess(exit) && exit.value).toMatchObject({ sequenceId: 3, state: { ...initial, count: 3 } })
    await raw(backend, label, `DELETE FROM teasel_steps WHERE app = ${backend.ph(1)} AND seq = 2`, [app])
    expectCorrupt(await load(id), id, 3)
  })

  if (backend === sqlite) {
    it("a sequence number that is not a number: Corrupt (SQLite stores text in an INTEGER column)", async () => {
      const { app, id } = await saved()
      await raw(backend, label, `UPDATE teasel_steps SET seq = 'three' WHERE app = ${backend.ph(1)} AND seq = 3`, [app])
      expectCorrupt(await load(id), id, undefined)
      expectCorrupt(await loadApp(id), id, undefined)
      expectCorrupt(await runOn(backend.layer(label), Persistence.Persistence.use((store) => store.list(""))), id, undefined)
    })
  }

  it("tables at a schema version newer than the library: the store refuses them instead of using them", async () => {
    const fresh = backend.fresh()
    // The tables are made, then a newer library records its version.
    expect(Exit.isSuccess(await runOn(fresh.layer, Persistence.Persistence.use((store) => store.list(""))))).toBe(true)
    await Effect.runPromise(
      Effect.flatMap(Effect.service(SqlClientService.SqlClient), (sql) =>
        sql.unsafe("INSERT INTO teasel_migrations (migration_id, name) VALUES (99, 'from_the_future')")).pipe(
          Effect.provide(fresh.sql)
        ) as Effect.Effect<unknown, unknown>
    )
    const exit = await runOn(fresh.layer, Persistence.Persistence.use((store) => store.list("")))
    expect(failureOf(exit)).toMatchObject({ _tag: "MigrationError", kind: "BadState" })
    expect(failureOf(exit).message).toContain("schema version 99")
  })
})
