/**
 * `pnpm distributed --runners 3 --children 1000 [--kill-one] [--delay 100]`
 *
 * Starts the runner processes on loopback (PostgreSQL at `TEASEL_PG_URL`, default
 * `postgres://postgres@127.0.0.1:5432/test`, in a schema of its own, dropped at the end), runs a
 * parent whose one parallel step sends `children` children to them, and with `--kill-one` kills
 * one runner with SIGKILL once a third of the children have started. Ends with one JSON line:
 *
 * - `children`, `completed` (results received), `correct` (the reduced total checked),
 * - `maxRunsPerChild`, `rerunsOfCommitted` (runs that began when the child's final state was
 *   already saved: must be 0), `rerunsInFlight` (runs again of children that were in flight on
 *   the killed runner: at-least-once),
 * - `recoverySeconds` (from the kill to the first of the killed runner's children starting again
 *   on a survivor), `totalSeconds`.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql"
import { Application } from "@teasel/core"
import { ClusterExecutor } from "@teasel/cluster"
import { type Batch, branches, graph, scoreOf } from "./graph.js"

const { values } = parseArgs({
  options: {
    runners: { type: "string", default: "3" },
    children: { type: "string", default: "1000" },
    delay: { type: "string", default: "100" },
    "kill-one": { type: "boolean", default: false }
  }
})
const runnerCount = Number(values.runners)
const children = Number(values.children)
const delay = Number(values.delay)
const url = process.env.TEASEL_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"
const dir = mkdtempSync(join(tmpdir(), "teasel-distributed-"))
const log = join(dir, "runs.log")
const schema = `teasel_distributed_${process.pid}_${Date.now().toString(36)}`
const here = dirname(fileURLToPath(import.meta.url))

const sql = (statement: string) =>
  Effect.runPromise(
    Effect.flatMap(Effect.service(SqlClient.SqlClient), (s) => s.unsafe(statement)).pipe(
      Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 }))
    ) as Effect.Effect<unknown, unknown>
  )

interface Line {
  readonly i: number
  readonly pid: number
  readonly at: number
  readonly committed: boolean
}
const lines = (): Array<Line> =>
  existsSync(log)
    ? readFileSync(log, "utf8").split("\n").filter((l) => l !== "").map((l) => {
      const [i, pid, at, committed] = l.split(" ")
      return { i: Number(i), pid: Number(pid), at: Number(at), committed: committed === "committed" }
    })
    : []

/** CPU milliseconds a process has used (Linux: /proc), or undefined elsewhere. */
const cpuMs = (pid: number): number | undefined => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return undefined
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const runners: Array<ChildProcess> = []
const killGroup = (child: ChildProcess) => {
  try {
    process.kill(-child.pid!, "SIGKILL")
  } catch {
    // already gone
  }
}
const cleanUp = () => runners.forEach(killGroup)
process.on("exit", cleanUp)
process.on("SIGINT", () => process.exit(130))

/** A free loopback port, asked of the OS. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

const startRunner = (port: number) =>
  new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn(process.execPath, [
      ...(process.env.TEASEL_DISTRIBUTED_PROFILE === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${process.env.TEASEL_DISTRIBUTED_PROFILE}`]),
      "--conditions=@teasel/source",
      "--import",
      "tsx",
      join(here, "runner.ts")
    ], {
      detached: true,
      env: {
        ...process.env,
        TEASEL_PG_URL: url,
        TEASEL_PG_SCHEMA: schema,
        TEASEL_CLUSTER_PREFIX: schema,
        TEASEL_RUNNER_HOST: "127.0.0.1",
        TEASEL_RUNNER_PORT: String(port),
        TEASEL_DISTRIBUTED_LOG: log
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    runners.push(child)
    let output = ""
    const onData = (chunk: Buffer) => {
      output += chunk
      if (output.includes(`Listening on: 127.0.0.1:${port}`)) resolve(child)
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", onData)
    child.on("exit", (code) => reject(new Error(`runner on ${port} exited (${code}):\n${output}`)))
  })

const main = async () => {
  await sql(`CREATE SCHEMA ${schema}`)
  const ports: Array<number> = []
  for (let k = 0; k < runnerCount; k++) ports.push(await freePort())
  await Promise.all(ports.map(startRunner))

  const started = Date.now()
  const id = `distributed-${Date.now().toString(36)}`
  const app = Application.make({ graph, state: { children, delay, scores: [], total: 0 } satisfies Batch, id })
  const run = Effect.runPromise(
    Application.run(app).pipe(
      Effect.provide(ClusterExecutor.layer({ branches, url, schema, prefix: schema, maxConnections: 4, synchronousCommit: process.env.TEASEL_PG_SYNCHRONOUS_COMMIT === "off" ? "off" : undefined }))
    ) as Effect.Effect<Application.Application<Batch, "scoreAll">, unknown>
  )

  const parentCpuBefore = process.cpuUsage()
  const runnersCpuBefore = runners.map((r) => cpuMs(r.pid!) ?? 0)
  let killedAt: number | undefined
  let victim: number | undefined
  if (values["kill-one"]) {
    // Once a third of the children have started, kill the runner that started the most.
    while (lines().length < children / 3) await sleep(20)
    const counts = new Map<number, number>()
    for (const l of lines()) counts.set(l.pid, (counts.get(l.pid) ?? 0) + 1)
    victim = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0]
    const child = runners.find((r) => r.pid === victim)!
    child.removeAllListeners("exit")
    killedAt = Date.now()
    killGroup(child)
  }
  const done = await run
  const totalSeconds = (Date.now() - started) / 1000
  const parentCpu = process.cpuUsage(parentCpuBefore)
  const runnersCpu = runners.reduce((sum, r, k) => (r.pid === victim ? sum : sum + (cpuMs(r.pid!) ?? 0) - runnersCpuBefore[k]!), 0)

  const all = lines()
  const runs = new Array<number>(children).fill(0)
  for (const l of all) runs[l.i]!++
  const expected = Array.from({ length: children }, (_, i) => scoreOf(i))
  const onVictim = new Set(all.filter((l) => l.pid === victim).map((l) => l.i))
  const restarted = killedAt === undefined
    ? []
    : all.filter((l) => l.pid !== victim && onVictim.has(l.i) && l.at >= killedAt!)
  const firstRestart = restarted.length === 0 ? undefined : Math.min(...restarted.map((l) => l.at))
  const result = {
    children,
    completed: done.state.scores.length,
    correct: done.state.total === expected.reduce((a, b) => a + b, 0) &&
      done.state.scores.every((s, i) => s === expected[i]),
    maxRunsPerChild: Math.max(...runs),
    rerunsOfCommitted: all.filter((l) => l.committed).length,
    rerunsInFlight: restarted.length,
    recoverySeconds: killedAt === undefined || firstRestart === undefined ? null : (firstRestart - killedAt) / 1000,
    totalSeconds,
    msPerChild: (totalSeconds * 1000) / children,
    // CPU per child, over the run (the killed runner's is not counted).
    cpuMsPerChild: {
      parent: (parentCpu.user + parentCpu.system) / 1000 / children,
      runners: runnersCpu / children
    },
    runners: runnerCount,
    killed: killedAt !== undefined
  }
  if (process.env.TEASEL_DISTRIBUTED_PROFILE !== undefined) {
    // Profiles are written when a runner exits normally: stop them with SIGTERM first.
    await Promise.all(runners.filter((r) => r.pid !== victim).map((r) =>
      new Promise((resolve) => {
        r.removeAllListeners("exit")
        r.on("exit", resolve)
        r.kill("SIGTERM")
      })
    ))
  }
  if (process.env.TEASEL_DISTRIBUTED_TIMELINE !== undefined) {
    const at = all.map((l) => l.at - started).sort((a, b) => a - b)
    console.error(JSON.stringify({ firstStartMs: at[0], medianStartMs: at[at.length >> 1], lastStartMs: at.at(-1) }))
  }
  cleanUp()
  await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  rmSync(dir, { recursive: true, force: true })
  process.stdout.write(JSON.stringify(result) + "\n")
  process.exit(result.correct && result.rerunsOfCommitted === 0 ? 0 : 1)
}

main().catch(async (error) => {
  cleanUp()
  await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined)
  console.error(error)
  process.exit(1)
})
