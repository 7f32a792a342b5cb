/**
 * Whatever changes between steps, every saved step loads back as it was saved: through the public
 * `Persistence` service of SQLite (its synchronous path and its Effect SQL path) and PostgreSQL,
 * with the store restarted now and then (a new layer remembers nothing and continues from what it
 * loads). Steps are stored as deltas of the keys that changed, so this is the deltas' contract,
 * held through the public surface (`delta.test.ts` checks the pure delta function alone).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { SqlClient } from "effect/sql"
import { Persistence } from "@teasel/core"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SqliteClient, SqlPersistence } from "../src/index.js"
import { createSchema, dropSchema, pgLayer, schemaName } from "./pg.js"

const dir = mkdtempSync(join(tmpdir(), "teasel-roundtrip-"))
const schema = schemaName("roundtrip")

beforeAll(() => createSchema(schema))
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await dropSchema(schema)
})

const backends: ReadonlyArray<{ readonly name: string; readonly layer: () => Layer.Layer<Persistence.Persistence, unknown> }> = [
  { name: "SQLite", layer: () => SqlPersistence.layerSqlite({ filename: join(dir, "sync.db") }) },
  {
    name: "SQLite through Effect SQL",
    layer: () =>
      SqlPersistence.layer.pipe(
        Layer.provide(
          Layer.effect(SqlClient.SqlClient, SqliteClient.make({ filename: join(dir, "effect.db") })).pipe(
            Layer.provide(Reactivity.layer)
          )
        )
      )
  },
  { name: "PostgreSQL", layer: () => pgLayer(schema) }
]

type Change = "keep" | "rebuild" | "replace" | "delete"
const keys = ["a", "b", "c", "toString"] as const
const steps = fc.array(
  fc.record({
    changes: fc.tuple(...keys.map(() => fc.constantFrom<Change>("keep", "keep", "rebuild", "replace", "delete"))),
    values: fc.tuple(...keys.map(() => fc.jsonValue({ maxDepth: 2 }))),
    // A restart before one step in four.
    restart: fc.integer({ min: 0, max: 3 }).map((n) => n === 0)
  }),
  { minLength: 1, maxLength: 10 }
)

/** The state after `change`s on `state`: kept values are the very same objects. */
const next = (state: Record<string, unknown>, changes: ReadonlyArray<Change>, values: ReadonlyArray<unknown>) => {
  const out: Record<string, unknown> = { ...state }
  keys.forEach((key, k) => {
    const change = changes[k]!
    if (change === "delete") delete out[key]
    else if (change === "replace" || !Object.hasOwn(state, key)) out[key] = values[k]
    else if (change === "rebuild") out[key] = JSON.parse(JSON.stringify(state[key]))
  })
  return out
}

/** What a state reads back as: JSON's view of it. */
const asStored = (state: Record<string, unknown>) =>
  Persistence.decodeState(Persistence.encodeState(state, { appId: "x", partitionKey: "", sequenceId: 1 }))

describe.each(backends)("SqlPersistence on $name", (backend) => {
  it("every saved step loads back as it was saved, whatever changed and however often the store restarted", async () => {
    await fc.assert(
      fc.asyncProperty(steps, async (plan) => {
        const appId = `roundtrip-${crypto.randomUUID()}`
        const saved: Array<Record<string, unknown>> = []
        // Each segment runs on a new layer: a restarted store, continuing from what it loads.
        const segments: Array<typeof plan> = [[]]
        for (const step of plan) {
          if (step.restart && segments.at(-1)!.length > 0) segments.push([])
          segments.at(-1)!.push(step)
        }
        for (const segment of segments) {
          await Effect.runPromise(Effect.orDie(Effect.provide(
            Effect.gen(function*() {
              const store = yield* Persistence.Persistence
              const latest = yield* store.load({ appId, partitionKey: "" })
              let state = (latest?.state ?? {}) as Record<string, unknown>
              let sequenceId = latest?.sequenceId ?? 0
              for (const { changes, values } of segment) {
                state = next(state, changes, values)
                sequenceId++
                saved.push(asStored(state))
                yield* store.save({
                  appId,
                  partitionKey: "",
                  sequenceId,
                  action: "step",
                  next: "step",
                  state,
                  parentId: undefined,
                  createdAt: Date.now()
                })
              }
            }),
            backend.layer()
          )))
        }
        const loaded = await Effect.runPromise(Effect.orDie(Effect.provide(
          Effect.flatMap(Persistence.Persistence, (store) =>
            Effect.forEach(saved, (_, i) => store.load({ appId, partitionKey: "", sequenceId: i + 1 }))),
          backend.layer()
        )))
        expect(loaded.map((step) => step?.state)).toEqual(saved)
      }),
      { numRuns: 25, seed: 20261202 }
    )
  })
})
