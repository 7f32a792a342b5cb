/**
 * `Testing.checkCrash` against the real backends: a persisted workflow with a parallel step of
 * sub-graphs, killed after each of its saves and resumed from what a real SQLite file and a real
 * PostgreSQL schema hold, ends as an uninterrupted run does, runs no saved step twice and saves the
 * same history. With a real backend, `checkCrash` also checks that the backend gives back, after
 * the crash, exactly what it saved. Each store `checkCrash` asks for is a fresh file or schema (a
 * run's steps must not meet another run's).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import { Graph, mapStates, type Persistence, State } from "@teasel/core"
import { Testing } from "@teasel/testing"
import { afterAll, describe, expect, it } from "vitest"
import { SqlPersistence } from "../src/index.js"
import { createSchema, dropSchema, pgLayer, schemaName } from "./pg.js"

interface Item {
  readonly label: string
  readonly drafts: ReadonlyArray<string>
}
interface Parent {
  readonly labels: ReadonlyArray<string>
  readonly done: ReadonlyArray<string>
  readonly text: string
}
// The children sleep for different (virtual) times, so they finish out of task order.
const write = (s: Item) => Effect.as(Effect.sleep(`${5 * (4 - s.label.length)} millis`), State.append(s, "drafts", `${s.label}${s.drafts.length + 1}`))
const loop = Graph.make({
  actions: { write, check: (s: Item) => s },
  transitions: [["write", "check"], ["check", "write", (s) => s.drafts.length < 2]],
  entrypoint: "write"
})
const fan = mapStates(
  Graph.subgraph(loop),
  (s: Parent) => s.labels.map((label): Item => ({ label, drafts: [] })),
  (s: Parent, results: ReadonlyArray<Item>) => ({ ...s, done: results.map((r) => r.drafts.join("+")) })
)
const joinDone = (s: Parent) => ({ ...s, text: s.done.join(" | ") })
const graph = Graph.make({ actions: { fan, join: joinDone }, transitions: [["fan", "join"]], entrypoint: "fan" })
const start: Parent = { labels: ["a", "bb", "ccc"], done: [], text: "" }

const dir = mkdtempSync(join(tmpdir(), "teasel-crash-"))
const schemas: Array<string> = []
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  for (const schema of schemas) await dropSchema(schema)
})

let files = 0
const backends: ReadonlyArray<{ readonly name: string; readonly fresh: () => Layer.Layer<Persistence.Persistence, unknown> }> = [
  { name: "SQLite", fresh: () => SqlPersistence.layerSqlite({ filename: join(dir, `crash-${++files}.db`) }) },
  {
    name: "PostgreSQL",
    fresh: () =>
      Layer.unwrap(Effect.suspend(() => {
        const schema = schemaName("crash")
        schemas.push(schema)
        return Effect.as(Effect.promise(() => createSchema(schema)), pgLayer(schema))
      }))
  }
]

describe.each(backends)("checkCrash on $name", ({ fresh }) => {
  it("resumes to the same state after a kill at any save, runs no saved step twice and saves the same history", async () => {
    const report = await Testing.checkCrash({ graph, state: start, persistence: fresh })
    // 3 children × 4 steps, then fan and join: a crash after each save but the last.
    expect(report.saves).toBe(14)
    expect(report.crashedAfter).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
    expect(report.state.text).toBe("a1+a2 | bb1+bb2 | ccc1+ccc2")
  })

  it("still catches a step that is not idempotent", async () => {
    let calls = 0
    const stamp = (s: Parent) => Effect.sync(() => ({ ...s, text: `run ${++calls}` }))
    const stamped = Graph.make({ actions: { fan, stamp }, transitions: [["fan", "stamp"]], entrypoint: "fan" })
    const error = await Testing.checkCrash({ graph: stamped, state: start, persistence: fresh, crashAfter: [1] }).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(Testing.LawError)
    expect((error as Testing.LawError).law).toBe(Testing.crashLaws.state)
    expect((error as Testing.LawError).counterexample).toMatchObject({ crashAfter: 1 })
  })
})
