/**
 * Real processes against a real SQLite file and a real PostgreSQL:
 *
 * - crash: a process runs a 1,000-branch fan-out and is killed with SIGKILL in the middle; a new
 *   process loads the application and finishes it. The result is correct, and every branch whose
 *   completion had been saved before the kill ran exactly once (a branch killed between its side
 *   effect and its save may run twice: that is the at-least-once edge of any step store).
 * - race: three processes load the same application, meet at a barrier (files, not the clock) and
 *   step it at once; the database lets exactly one write each step, the others get a conflict, and
 *   the whole history is the one a single uninterrupted run computes.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, type Layer } from "effect"
import { Application, Graph, Persistence } from "@teasel/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { SqlPersistence } from "../src/index.js"
import { createSchema, dropSchema, pgLayer, pgUrl, schemaName } from "./pg.js"

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..")
const worker = join(packageDir, "test", "fixtures", "worker.ts")
const BRANCHES = 1000
const KILL_AT = 300

const dir = mkdtempSync(join(tmpdir(), "teasel-processes-"))
const schema = schemaName("processes")
beforeAll(() => createSchema(schema))
/** Every worker started: a test that fails (or times out) leaves none running. */
const running = new Set<ChildProcess>()
afterAll(async () => {
  for (const child of running) child.kill("SIGKILL")
  rmSync(dir, { recursive: true, force: true })
  await dropSchema(schema)
})

interface Worker {
  readonly child: ChildProcess
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>
}

/** Starts the worker script with the same node, running the TypeScript sources through tsx. */
const start = (...args: Array<string>): Worker => {
  const child = spawn(process.execPath, ["--conditions=@teasel/source", "--import", "tsx", worker, ...args], {
    cwd: packageDir,
    env: { ...process.env, TEASEL_PG_URL: pgUrl },
    stdio: ["ignore", "pipe", "pipe"]
  })
  running.add(child)
  child.on("exit", () => running.delete(child))
  let stdout = ""
  let stderr = ""
  child.stdout!.on("data", (chunk) => (stdout += chunk))
  child.stderr!.on("data", (chunk) => (stderr += chunk))
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr }))
  )
  return { child, exit }
}

const finished = async (w: Worker) => {
  const out = await w.exit
  if (out.code !== 0) throw new Error(`worker exited with ${out.code ?? out.signal}:\n${out.stderr}`)
  expect(out.stderr).not.toMatch(/ExperimentalWarning/)
  return JSON.parse(out.stdout.trim()) as unknown
}

const logCounts = (log: string): Array<number> => {
  const counts = new Array<number>(BRANCHES).fill(0)
  if (!existsSync(log)) return counts
  for (const line of readFileSync(log, "utf8").split("\n")) if (line !== "") counts[Number(line)]!++
  return counts
}

/** Steps 1 to `steps` of an application, as saved. */
const loadHistory = (appId: string, steps: number) =>
  Effect.forEach(
    Array.from({ length: steps }, (_, i) => i + 1),
    (sequenceId) => Persistence.Persistence.use((p) => p.load({ appId, partitionKey: "", sequenceId }))
  )

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const backends: ReadonlyArray<{
  readonly name: string
  readonly store: (label: string) => string
  readonly layer: (label: string) => Layer.Layer<Persistence.Persistence, unknown>
}> = [
  {
    name: "SQLite",
    store: (label) => `sqlite:${join(dir, `${label}.db`)}`,
    layer: (label) => SqlPersistence.layerSqlite({ filename: join(dir, `${label}.db`) })
  },
  { name: "PostgreSQL", store: () => `pg:${schema}`, layer: () => pgLayer(schema) }
]

describe.each(backends)("processes on $name", (backend) => {
  it("SIGKILL in the middle of a 1,000-branch fan-out: a new process finishes it; saved branches ran once", async () => {
    const appId = `crash-${crypto.randomUUID()}`
    const log = join(dir, `${appId}.log`)
    const store = backend.store("crash")

    // The first process runs branches 0 to KILL_AT - 1; the branches after them wait to be killed.
    const first = start("fanout", store, appId, log, String(KILL_AT))
    let exited = false
    void first.exit.then(() => (exited = true))
    while (logCounts(log).reduce((a, b) => a + b, 0) < KILL_AT) {
      if (exited) throw new Error(`the worker ended before it was killed:\n${(await first.exit).stderr}`)
      await sleep(1)
    }
    first.child.kill("SIGKILL")
    expect((await first.exit).signal).toBe("SIGKILL")
    const atKill = logCounts(log)

    // Which branches' completions were saved before the kill: read the children's saved steps.
    const saved = await Effect.runPromise(
      Effect.gen(function*() {
        const persistence = yield* Persistence.Persistence
        const children = yield* Effect.forEach(
          Array.from({ length: BRANCHES }, (_, i) => i),
          (i) => persistence.load({ appId: `${appId}:1:fan:${i}`, partitionKey: "" }),
          { concurrency: 8 }
        )
        const parent = yield* persistence.load({ appId, partitionKey: "" })
        return { children, parent }
      }).pipe(Effect.provide(backend.layer("crash"))) as Effect.Effect<
        { children: Array<Persistence.Step | undefined>; parent: Persistence.Step | undefined },
        unknown
      >
    )
    const persisted = saved.children.flatMap((step, i) => (step === undefined ? [] : [i]))
    expect(saved.parent).toBeUndefined()
    expect(persisted.length).toBeGreaterThan(0)
    expect(persisted.length).toBeLessThan(BRANCHES)
    for (const i of persisted) {
      expect(saved.children[i]).toMatchObject({ sequenceId: 1, next: undefined, state: { i, square: i * i } })
      expect(atKill[i], `branch ${i} was saved; it ran once before the kill`).toBe(1)
    }

    const resumed = await finished(start("fanout", store, appId, log))
    expect(resumed).toEqual({ squares: Array.from({ length: BRANCHES }, (_, i) => i * i) })
    const atEnd = logCounts(log)
    const persistedSet = new Set(persisted)
    const ranTwice: Array<number> = []
    for (let i = 0; i < BRANCHES; i++) {
      if (persistedSet.has(i)) expect(atEnd[i], `saved branch ${i} must not run again`).toBe(1)
      else {
        expect(atEnd[i]! - atKill[i]!, `unsaved branch ${i} runs once more`).toBe(1)
        if (atEnd[i] === 2) ranTwice.push(i)
      }
    }
    console.info(
      `${backend.name} crash: killed at ${atKill.reduce((a, b) => a + b, 0)} log lines; ` +
        `${persisted.length} branches saved (each ran once, not again); ` +
        `${ranTwice.length} ran before the kill without being saved and ran again; final result correct`
    )
  })

  it("three processes stepping one application: each step is written exactly once", async () => {
    const appId = `race-${crypto.randomUUID()}`
    const steps = 150
    const store = backend.store("race")
    // The barrier: each worker loads the application, says it is ready, and waits for "go".
    const barrier = mkdtempSync(join(dir, "barrier-"))
    const workers = [1, 2, 3].map(() => start("race", store, appId, String(steps), barrier))
    let exited = false
    void Promise.race(workers.map((w) => w.exit)).then(() => (exited = true))
    while (readdirSync(barrier).filter((f) => f.startsWith("ready-")).length < workers.length) {
      if (exited) throw new Error(`a worker ended before the barrier:\n${(await Promise.race(workers.map((w) => w.exit))).stderr}`)
      await sleep(5)
    }
    writeFileSync(join(barrier, "go"), "")
    const outs = (await Promise.all(workers.map(finished))) as Array<
      { pid: number; saved: Array<number>; conflicts: number }
    >
    // Every worker tried to save step 1 from the same loaded state: exactly one could.
    expect(outs.reduce((n, o) => n + o.conflicts, 0)).toBeGreaterThanOrEqual(workers.length - 1)
    // Each step was saved by exactly one process; had two both written a step, it would show twice.
    const writers = new Map<number, string>()
    for (const out of outs) {
      for (const sequenceId of out.saved) {
        expect(writers.has(sequenceId), `step ${sequenceId} saved twice`).toBe(false)
        writers.set(sequenceId, String(out.pid))
      }
    }
    expect([...writers.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: steps }, (_, i) => i + 1))

    // The whole history, every key of every step, is the one a single uninterrupted run computes
    // when step n is written by the process that saved it.
    const history = await Effect.runPromise(
      loadHistory(appId, steps).pipe(Effect.provide(backend.layer("race"))) as Effect.Effect<Array<Persistence.Step | undefined>, unknown>
    )
    const tick = (s: { readonly count: number; readonly writer: string; readonly pad: string }) => ({
      ...s,
      count: s.count + 1,
      writer: writers.get(s.count + 1)!
    })
    const graph = Graph.make({ actions: { tick }, transitions: [["tick", "tick"]], entrypoint: "tick" })
    const expected = await Effect.runPromise(
      Effect.gen(function*() {
        let app = Application.make({ graph, id: appId, state: { count: 0, writer: "", pad: "x".repeat(1000) } })
        while (app.sequenceId < steps) app = yield* Application.step(app)
        return yield* loadHistory(appId, steps)
      }).pipe(Effect.provide(Persistence.layerMemory))
    )
    const withoutTime = (step: Persistence.Step | undefined) => step === undefined ? undefined : { ...step, createdAt: 0 }
    expect(history.map(withoutTime)).toEqual(expected.map(withoutTime))
    for (const step of history) expect(step?.createdAt).toEqual(expect.any(Number))
    console.info(
      `${backend.name} race: saves per process ${outs.map((o) => o.saved.length).join("/")}, ` +
        `conflicts ${outs.map((o) => o.conflicts).join("/")}`
    )
  })
})
