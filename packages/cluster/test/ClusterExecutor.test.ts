/**
 * The distributed executor with real processes: three runner processes on loopback and the
 * machine's PostgreSQL, the parent in the test process. Any parallel step sends its children to
 * the runners; results come back in task order; onError, retry, timeout, stopWhen and interrupts
 * work as they do locally, the interrupt reaching the remote child (its finalizer runs there).
 * Every run of a branch is counted in a side-effect log.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Cause, Effect, Fiber, ManagedRuntime, Schedule } from "effect"
import { Application, type ApplicationType } from "@teasel/core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ClusterExecutor } from "../src/index.js"
import { type Cluster, cluster, healthyRunners, pgUrl, readLog, runsOf, sql, until } from "./cluster.js"
import { type Batch, branches, fanOut, flaky, hang, refuse, square, steps, stranger } from "./fixtures/graph.js"

const dir = mkdtempSync(join(tmpdir(), "teasel-cluster-"))
const log = join(dir, "runs.log")
process.env.TEASEL_TEST_LOG = log
let c: Cluster
let runtime: ManagedRuntime.ManagedRuntime<never, unknown>

beforeAll(async () => {
  c = await cluster("exec", log)
  await Promise.all([c.start(), c.start(), c.start()])
  await until(async () => (await healthyRunners(c)) === 3, () => "the three runners did not register")
  runtime = ManagedRuntime.make(
    ClusterExecutor.layer({ branches, url: pgUrl, schema: c.schema, prefix: c.prefix, maxConnections: 4 })
  )
})

afterAll(async () => {
  await runtime?.dispose()
  await c?.stop()
  rmSync(dir, { recursive: true, force: true })
})

let apps = 0
const appId = (label: string) => `${label}-${process.pid}-${++apps}`
const batch = (n: number, extra: Partial<Batch> = {}): Batch => ({ n, delay: 0, fail: -1, gate: n, out: [], ...extra })
const run = (app: ApplicationType<Batch, "fan", any, any>) =>
  runtime.runPromise(Application.run(app) as Effect.Effect<ApplicationType<Batch, "fan">, unknown>)
const runExit = (app: ApplicationType<Batch, "fan", any, any>) =>
  runtime.runPromise(Effect.exit(Application.run(app) as Effect.Effect<ApplicationType<Batch, "fan">, unknown>))
const squares = (n: number) => Array.from({ length: n }, (_, i) => i * i)

describe("ClusterExecutor with three runner processes", () => {
  it("runs 1,000 children on the runners, results in task order, each child exactly once", async () => {
    const id = appId("thousand")
    const done = await run(Application.make({ graph: fanOut(square), state: batch(1000), id }))
    expect(done.state.out).toEqual(squares(1000))
    expect(runsOf(log, id, 1000).every((runs) => runs === 1)).toBe(true)
    // On the runners, never in this process. How they spread over the three depends on which
    // runner holds which shards when the children are sent (shards move some seconds after a
    // runner registers), which is not a promise: the CPU-load test below checks that no runner
    // drops its shards.
    const pids = new Set(readLog(log).filter((l) => l.app === id).map((l) => l.pid))
    expect(pids.has(process.pid)).toBe(false)
    expect(pids.size).toBeGreaterThanOrEqual(1)
  })

  it("runs sub-graph branches on the runners, every step of each child there", async () => {
    const id = appId("subgraph")
    const done = await run(Application.make({ graph: fanOut(steps), state: batch(10), id }))
    expect(done.state.out).toEqual(new Array(10).fill(123))
    // Three steps per child, each once, none in this process.
    expect(runsOf(log, id, 10)).toEqual(new Array(10).fill(3))
    expect(readLog(log).filter((l) => l.app === id).every((l) => l.pid !== process.pid)).toBe(true)
  })

  it("runs children whose ids are longer than the cluster's entity ids allow (hashed; the message keeps the id)", async () => {
    const id = appId("long")
    const longId = (app: string, i: number) => `${app}/${"x".repeat(300)}/${i}`
    const done = await run(Application.make({ graph: fanOut(square, undefined, longId), state: batch(5), id }))
    expect(done.state.out).toEqual(squares(5))
    // Saved under the full id.
    const saved = await sql((s) =>
      s.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM ${c.schema}.teasel_apps WHERE app_id LIKE $1`, [`${id}/${"x".repeat(300)}/%`])
    )
    expect(saved[0]?.n).toBe(5)
  })

  it("fails the step with a ParallelError carrying the remote child's tagged error (onError: fail)", async () => {
    const id = appId("fail")
    const exit = await runExit(Application.make({ graph: fanOut(refuse), state: batch(20, { fail: 7 }), id }))
    expect(exit._tag).toBe("Failure")
    const error = exit._tag === "Failure" ? Cause.squash(exit.cause) : undefined
    expect(error).toMatchObject({ _tag: "ParallelError", index: 7, childId: `${id}:1:fan:7`, cause: { _tag: "Refused", i: 7 } })
  })

  it("collects failures in task order (onError: collect)", async () => {
    const id = appId("collect")
    const graph = fanOut(refuse, { onError: "collect" })
    const done = await run(Application.make({ graph, state: batch(10, { fail: 3 }), id }))
    expect(done.state.out).toEqual(squares(10).filter((_, i) => i !== 3))
  })

  it("retries a failing child with a new message: its second attempt runs on a runner and succeeds", async () => {
    const id = appId("retry")
    const graph = fanOut(flaky, { retry: Schedule.recurs(2) })
    const done = await run(Application.make({ graph, state: batch(5), id }))
    expect(done.state.out).toEqual(squares(5))
    expect(runsOf(log, id, 5)).toEqual([2, 2, 2, 2, 2])
  })

  it("times a remote child out: the timeout interrupts it on its runner, where its finalizer runs", async () => {
    const id = appId("timeout")
    const graph = fanOut(hang, { timeout: "1 second", onError: "collect" })
    const done = await run(Application.make({ graph, state: batch(4), id }))
    expect(done.state.out).toEqual([0])
    await until(
      () => readLog(log).filter((l) => l.kind === "interrupted" && l.app === id).length === 3,
      () => `the three hanging children were not interrupted on their runners:\n${c.runners.map((r) => r.output()).join("\n")}`
    )
    const interrupted = readLog(log).filter((l) => l.kind === "interrupted" && l.app === id)
    expect(interrupted.map((l) => l.i).sort()).toEqual([1, 2, 3])
    expect(interrupted.every((l) => l.pid !== process.pid)).toBe(true)
  })

  it("stopWhen interrupts the remote children still running", async () => {
    const id = appId("stop")
    const graph = fanOut(hang, { stopWhen: (completed) => completed.length >= 1 })
    const done = await run(Application.make({ graph, state: batch(3), id }))
    expect(done.state.out).toEqual([0])
    await until(
      () => readLog(log).filter((l) => l.kind === "interrupted" && l.app === id).length === 2,
      () => "the two hanging children were not interrupted on their runners"
    )
  })

  it("interrupting the parent interrupts its remote children", async () => {
    const id = appId("interrupt")
    const fiber = runtime.runFork(Application.run(Application.make({ graph: fanOut(hang), state: batch(4), id })) as Effect.Effect<unknown, unknown>)
    // Every child has started on a runner before the parent is interrupted.
    await until(() => runsOf(log, id, 4).every((runs) => runs === 1), () => "the children did not start")
    await runtime.runPromise(Fiber.interrupt(fiber))
    await until(
      () => readLog(log).filter((l) => l.kind === "interrupted" && l.app === id).length === 3,
      () => "the three hanging children were not interrupted on their runners"
    )
  })

  it("an unregistered branch fails the child naming it, or runs in the parent with unregistered: local", async () => {
    const id = appId("stranger")
    const exit = await runExit(Application.make({ graph: fanOut(stranger), state: batch(2), id }))
    const error = exit._tag === "Failure" ? Cause.squash(exit.cause) : undefined
    expect(error).toMatchObject({ _tag: "ParallelError", index: 0, cause: { _tag: "UnregisteredBranch" } })
    expect(String((error as { message: string }).message)).toContain("stranger")

    const local = ManagedRuntime.make(
      ClusterExecutor.layer({ branches, unregistered: "local", url: pgUrl, schema: c.schema, prefix: c.prefix, maxConnections: 2 })
    )
    try {
      const done = await local.runPromise(
        Application.run(Application.make({ graph: fanOut(stranger), state: batch(2), id: appId("stranger-local") })) as Effect.Effect<
          ApplicationType<Batch, "fan">,
          unknown
        >
      )
      expect(done.state.out).toEqual([-1, -1])
    } finally {
      await local.dispose()
    }
  })

  it("under CPU load (two busy processes), 1,000 children each run exactly once: no runner drops its shards", async () => {
    const burners = [0, 1].map(() =>
      spawn(process.execPath, ["-e", "for(;;){}"], { detached: true, stdio: "ignore" })
    )
    try {
      const id = appId("load")
      const done = await run(Application.make({ graph: fanOut(square), state: batch(1000, { delay: 20 }), id }))
      expect(done.state.out).toEqual(squares(1000))
      expect(runsOf(log, id, 1000).every((runs) => runs === 1)).toBe(true)
    } finally {
      for (const b of burners) process.kill(-b.pid!, "SIGKILL")
    }
  })
})
