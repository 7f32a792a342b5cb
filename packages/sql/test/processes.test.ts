/**
 * Real processes against a real SQLite file and a real PostgreSQL:
 *
 * - crash: a process runs a 1,000-branch fan-out and is killed with SIGKILL in the middle; a new
 *   process loads the application and finishes it. The result is correct, and every branch whose
 *   completion had been saved before the kill ran exactly once (a branch killed between its side
 *   effect and its save may run twice: that is the at-least-once edge of any step store).
 * - crash in a second pass: a parent whose `tasks` step runs twice, each time 200 sub-graph
 *   children (two steps each) with explicit ids naming the step, is killed in the middle of the
 *   second pass; a new process finishes it. Nothing of the first pass runs again, the second pass
 *   reuses only its own children (and, within them, only their saved steps), and the result is
 *   the one an uninterrupted run computes.
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

  it("SIGKILL in the second pass of a tasks step with sub-graph children and explicit ids: only this step's saved steps are reused", async () => {
    const appId = `tasks-${crypto.randomUUID()}`
    const log = join(dir, `${appId}.log`)
    const store = backend.store("tasks")
    const N = 200
    const HOLD = 100
    const counts = () => {
      const out = new Map<string, number>()
      if (!existsSync(log)) return out
      for (const line of readFileSync(log, "utf8").split("\n")) if (line !== "") out.set(line, (out.get(line) ?? 0) + 1)
      return out
    }
    const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0)

    // Round 0 whole (2 steps × N children), then round 1's children 0 to HOLD - 1 whole; the
    // others fetch, then hang in parse (half-way sub-graphs).
    const first = start("tasks", store, appId, log, String(HOLD))
    let exited = false
    void first.exit.then(() => (exited = true))
    while (total(counts()) < 2 * N + N + HOLD) {
      if (exited) throw new Error(`the worker ended before it was killed:\n${(await first.exit).stderr}`)
      await sleep(1)
    }
    // A side effect is logged before its step is saved: wait until one child of each kind (whole,
    // half-way) is saved, so that the kill finds both (the others may still be in flight).
    const savedYet = (childId: string, sequenceId: number) =>
      Effect.runPromise(
        Persistence.Persistence.use((p) => p.load({ appId: childId, partitionKey: "", sequenceId })).pipe(
          Effect.provide(backend.layer("tasks"))
        ) as Effect.Effect<Persistence.Step | undefined, unknown>
      ).then(
        (step) => step !== undefined,
        // Opening the file while the worker writes may find it locked: look again.
        () => false
      )
    while (!(await savedYet(`${appId}:2/0`, 2)) || !(await savedYet(`${appId}:2/${HOLD}`, 1))) {
      if (exited) throw new Error(`the worker ended before it was killed:\n${(await first.exit).stderr}`)
      await sleep(5)
    }
    first.child.kill("SIGKILL")
    const killed = await first.exit
    expect(killed.signal, `the worker ended (${killed.code}) before it was killed:\n${killed.stdout}\n${killed.stderr}`).toBe("SIGKILL")
    const atKill = counts()

    // What was saved: the parent's first pass, and some of the second pass's children.
    const saved = await Effect.runPromise(
      Persistence.Persistence.use((p) =>
        Effect.all({
          parent: p.load({ appId, partitionKey: "" }),
          round1: Effect.forEach(Array.from({ length: N }, (_, i) => i), (i) => p.load({ appId: `${appId}:2/${i}`, partitionKey: "" }), {
            concurrency: 8
          })
        })
      ).pipe(Effect.provide(backend.layer("tasks"))) as Effect.Effect<
        { parent: Persistence.Step | undefined; round1: Array<Persistence.Step | undefined> },
        unknown
      >
    )
    expect(saved.parent).toMatchObject({ sequenceId: 1, action: "crawl", next: "crawl", state: { round: 1 } })
    const finishedBefore = saved.round1.flatMap((s, i) => (s?.next === undefined && s !== undefined ? [i] : []))
    const fetchedBefore = saved.round1.flatMap((s, i) => (s?.sequenceId === 1 ? [i] : []))
    expect(finishedBefore.length).toBeGreaterThan(0)
    expect(fetchedBefore.length).toBeGreaterThan(0)
    for (const i of [...finishedBefore, ...fetchedBefore]) {
      // Each saved child is this step's: made by the parent's step 2, action crawl, for round 1.
      expect(saved.round1[i]).toMatchObject({ parentId: appId, parentSequenceId: 2, parentAction: "crawl", state: { i, round: 1 } })
    }

    const resumed = await finished(start("tasks", store, appId, log))
    const sum = (round: number) => Array.from({ length: N }, (_, i) => i * 10 + round + 1).reduce((a, b) => a + b, 0)
    expect(resumed).toEqual({ round: 2, sums: [sum(0), sum(1)] })
    const atEnd = counts()
    for (let i = 0; i < N; i++) {
      // The first pass was saved whole: none of it runs again.
      for (const action of ["fetch", "parse"]) expect(atEnd.get(`0:${i}:${action}`), `0:${i}:${action}`).toBe(1)
    }
    for (const i of finishedBefore) {
      for (const action of ["fetch", "parse"]) expect(atEnd.get(`1:${i}:${action}`), `saved 1:${i}:${action} ran again`).toBe(1)
    }
    for (const i of fetchedBefore) {
      expect(atEnd.get(`1:${i}:fetch`), `saved fetch of child ${i} ran again`).toBe(1)
      expect((atEnd.get(`1:${i}:parse`) ?? 0) - (atKill.get(`1:${i}:parse`) ?? 0)).toBe(1)
    }
    for (let i = 0; i < N; i++) {
      if (finishedBefore.includes(i) || fetchedBefore.includes(i)) continue
      expect((atEnd.get(`1:${i}:fetch`) ?? 0) - (atKill.get(`1:${i}:fetch`) ?? 0), `unsaved child ${i} fetches once more`).toBe(1)
    }
    console.info(
      `${backend.name} tasks crash: killed at ${total(atKill)} log lines; round 1: ${finishedBefore.length} children finished ` +
        `and ${fetchedBefore.length} half-way before the kill (not run again), ${N - finishedBefore.length - fetchedBefore.length} ran; result correct`
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
