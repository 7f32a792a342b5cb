/**
 * Failover with real processes: three runners, 1,000 children, `kill -9` of one runner in the
 * middle of the fan-out; and `kill -9` of the parent, restarted with the same application id.
 *
 * Deterministic by construction, not by timing: half of the children finish (their final step is
 * committed in PostgreSQL, which the test reads), the other half wait on a gate (a file) and so
 * are surely in flight when the kill comes; the gate opens only after the kill. So the dead
 * runner's unfinished children must finish elsewhere, and its committed children must not run
 * again. Runs are counted in a side-effect log.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, ManagedRuntime } from "effect"
import { Application, type ApplicationType } from "@teasel/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ClusterExecutor } from "../src/index.js"
import { type Cluster, cluster, healthyRunners, pgUrl, readLog, sql, until } from "./cluster.js"
import { type Batch, branches, fanOut, gated, gatedSteps, gateFile } from "./fixtures/graph.js"

const N = 1000
const GATE = 500
const dir = mkdtempSync(join(tmpdir(), "teasel-failover-"))
const parentScript = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "parent.ts")
let c: Cluster
const parents = new Set<ChildProcess>()

beforeAll(async () => {
  c = await cluster("failover", join(dir, "runs.log"))
  await Promise.all([c.start(), c.start(), c.start()])
  await until(async () => (await healthyRunners(c)) === 3, () => "the three runners did not register")
})

afterAll(async () => {
  for (const p of parents) {
    try {
      process.kill(-p.pid!, "SIGKILL")
    } catch {
      // gone
    }
  }
  await c?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** How many children of `id`'s first step have a saved step. */
const committed = (id: string) =>
  sql((s) =>
    s.unsafe<{ n: number }>(
      `SELECT count(DISTINCT a.app_id)::int AS n FROM ${c.schema}.teasel_apps a JOIN ${c.schema}.teasel_steps s ON s.app = a.id WHERE a.app_id LIKE $1`,
      [`${id}:1:fan:%`]
    )
  ).then((rows) => rows[0]?.n ?? 0)

const squares = Array.from({ length: N }, (_, i) => i * i)

describe("failover", () => {
  it("kill -9 of a runner mid fan-out: all results correct, its unfinished children finish elsewhere, no committed child runs again", async () => {
    const log = c.log
    const id = `runner-kill-${process.pid}`
    const runtime = ManagedRuntime.make(
      ClusterExecutor.layer({ branches, url: pgUrl, schema: c.schema, prefix: c.prefix, maxConnections: 4 })
    )
    try {
      const app = Application.make({ graph: fanOut(gated), state: { n: N, delay: 0, fail: -1, gate: GATE, out: [] } satisfies Batch, id })
      const result = runtime.runPromise(Application.run(app) as Effect.Effect<ApplicationType<Batch, "fan">, unknown>)
      // Every child has started, and every ungated one is committed.
      await until(() => new Set(readLog(log).filter((l) => l.app === id).map((l) => l.i)).size === N, () => "not every child started")
      await until(async () => (await committed(id)) === GATE, () => "the ungated children were not all committed")
      // The victim: the runner holding the most of both kinds of children (how children spread
      // over the runners depends on which runner holds which shards, not on the test).
      const before = readLog(log).filter((l) => l.app === id)
      const onRunner = (pid: number) => ({
        stranded: before.filter((l) => l.pid === pid && l.i >= GATE).map((l) => l.i),
        finished: before.filter((l) => l.pid === pid && l.i < GATE).map((l) => l.i)
      })
      const victim = [...c.runners].sort((a, b) => {
        const x = onRunner(a.child.pid!)
        const y = onRunner(b.child.pid!)
        return Math.min(y.stranded.length, y.finished.length) - Math.min(x.stranded.length, x.finished.length)
      })[0]!
      const victimPid = victim.child.pid!
      const { finished: finishedThere, stranded } = onRunner(victimPid)
      expect(stranded.length).toBeGreaterThan(0)
      expect(finishedThere.length).toBeGreaterThan(0)

      const killedAt = Date.now()
      await c.kill(victim)
      writeFileSync(gateFile(log), "")
      const done = await result
      const recovered = (Date.now() - killedAt) / 1000

      expect(done.state.out).toEqual(squares)
      const runs = readLog(log).filter((l) => l.kind === "run" && l.app === id)
      // No child started when its final state was already saved.
      expect(runs.filter((l) => l.committed)).toEqual([])
      const count = new Array<number>(N).fill(0)
      for (const l of runs) count[l.i]!++
      // The dead runner's committed children ran once; its stranded ones ran again, on a survivor.
      for (const i of finishedThere) expect(count[i]).toBe(1)
      for (const i of stranded) {
        const elsewhere = runs.filter((l) => l.i === i && l.pid !== victimPid)
        expect(elsewhere.length).toBeGreaterThanOrEqual(1)
      }
      // Children of the survivors ran once.
      const survivors = runs.filter((l) => l.pid !== victimPid && !stranded.includes(l.i))
      for (const l of survivors) expect(count[l.i]).toBe(1)
      console.log(JSON.stringify({ test: "runner kill", stranded: stranded.length, finishedOnVictim: finishedThere.length, recoverySeconds: recovered }))
    } finally {
      await runtime.dispose()
    }
  })

  it("kill -9 of a runner while sub-graph children wait in their second step: they continue elsewhere from their last saved step", async () => {
    // The tests above killed a runner: keep three alive.
    const alive = () => c.runners.filter((r) => r.child.exitCode === null && r.child.signalCode === null)
    while (alive().length < 3) await c.start()
    await until(async () => (await healthyRunners(c)) >= 3, () => "three runners are not healthy")
    rmSync(gateFile(c.log), { force: true })
    const n = 60
    const id = `subgraph-kill-${process.pid}`
    const runtime = ManagedRuntime.make(
      ClusterExecutor.layer({ branches, url: pgUrl, schema: c.schema, prefix: c.prefix, maxConnections: 4 })
    )
    try {
      const app = Application.make({ graph: fanOut(gatedSteps), state: { n, delay: 0, fail: -1, gate: 0, out: [] } satisfies Batch, id })
      const result = runtime.runPromise(Application.run(app) as Effect.Effect<ApplicationType<Batch, "fan">, unknown>)
      const lines = () => readLog(c.log).filter((l) => l.kind === "step" && l.app === id)
      // Every child has saved its first step (a step is saved before the next begins) and waits in its second.
      await until(() => lines().filter((l) => l.step === "two").length === n, () => "not every child reached its second step")
      const byPid = new Map<number, number>()
      for (const l of lines()) byPid.set(l.pid, (byPid.get(l.pid) ?? 0) + 1)
      const victim = alive().find((r) => (byPid.get(r.child.pid!) ?? 0) > 0)!
      const victimPid = victim.child.pid!
      const stranded = lines().filter((l) => l.pid === victimPid && l.step === "two").map((l) => l.i)
      await c.kill(victim)
      writeFileSync(gateFile(c.log), "")
      const done = await result
      expect(done.state.out).toEqual(new Array(n).fill(123))
      const count = (i: number, step: string) => lines().filter((l) => l.i === i && l.step === step).length
      for (let i = 0; i < n; i++) {
        // The saved first step never runs again; the third runs once.
        expect(count(i, "one")).toBe(1)
        expect(count(i, "three")).toBe(1)
      }
      expect(stranded.length).toBeGreaterThan(0)
      for (const i of stranded) {
        // The stranded second step ran again, on a survivor.
        expect(lines().filter((l) => l.i === i && l.step === "two" && l.pid !== victimPid).length).toBe(1)
      }
    } finally {
      await runtime.dispose()
    }
  })

  it("kill -9 of the parent, restarted with the same id: the result is correct and nothing committed runs again", async () => {
    // This test's cluster lost a runner above: start a replacement, so three serve again.
    if (c.runners.filter((r) => r.child.exitCode === null && r.child.signalCode === null).length < 3) await c.start()
    const log = join(dir, "parent.log")
    // The runners log to the cluster's log file; the gate is that file's.
    const id = `parent-kill-${process.pid}`
    const start = () => {
      const child = spawn(process.execPath, ["--conditions=@teasel/source", "--import", "tsx", parentScript, id, String(N), String(GATE)], {
        detached: true,
        env: { ...process.env, TEASEL_PG_URL: pgUrl, TEASEL_PG_SCHEMA: c.schema, TEASEL_CLUSTER_PREFIX: c.prefix, TEASEL_TEST_LOG: log },
        stdio: ["ignore", "pipe", "pipe"]
      })
      parents.add(child)
      let output = ""
      child.stdout!.on("data", (chunk) => (output += chunk))
      child.stderr!.on("data", (chunk) => (output += chunk))
      const exit = new Promise<string>((resolve) => child.on("exit", () => resolve(output)))
      return { child, exit }
    }
    // The gate of the runners' log is open since the test above: use a fresh gate, keyed by this run.
    rmSync(gateFile(c.log), { force: true })
    const first = start()
    await until(() => new Set(readLog(c.log).filter((l) => l.app === id).map((l) => l.i)).size === N, () => "not every child started")
    await until(async () => (await committed(id)) === GATE, () => "the ungated children were not all committed")
    process.kill(-first.child.pid!, "SIGKILL")
    await first.exit
    writeFileSync(gateFile(c.log), "")
    const second = start()
    const output = await second.exit
    expect(second.child.exitCode).toBe(0)
    const { out } = JSON.parse(output.trim().split("\n").at(-1)!) as { out: ReadonlyArray<number> }
    expect(out).toEqual(squares)
    const runs = readLog(c.log).filter((l) => l.kind === "run" && l.app === id)
    expect(runs.filter((l) => l.committed)).toEqual([])
    const count = new Array<number>(N).fill(0)
    for (const l of runs) count[l.i]!++
    // The committed children ran once; the in-flight ones kept running on their runners and the
    // restarted parent's messages found them finished.
    expect(count.slice(0, GATE).every((n) => n === 1)).toBe(true)
    expect(count.every((n) => n >= 1)).toBe(true)
    console.log(JSON.stringify({ test: "parent kill", maxRunsPerChild: Math.max(...count) }))
  })
})
