/**
 * Real runner processes for the tests: started with the same node through tsx, each in a process
 * group of its own (so `kill -9` of the group leaves nothing behind), on loopback ports, on the
 * machine's PostgreSQL (`TEASEL_PG_URL`) in a schema and table prefix of their own. An
 * unreachable PostgreSQL fails the tests.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { createServer } from "node:net"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { PgClient } from "@effect/sql-pg"
import { Effect, Redacted } from "effect"
import { SqlClient } from "effect/sql"

export const pgUrl = process.env.TEASEL_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"
const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..")
const runnerScript = join(packageDir, "test", "fixtures", "runner.ts")

/** A fresh name for this run's schema and table prefix. */
export const uniqueName = (label: string) =>
  `t_${label}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`

export const sql = <A>(f: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>): Promise<A> =>
  Effect.runPromise(
    Effect.flatMap(Effect.service(SqlClient.SqlClient), f).pipe(
      Effect.provide(PgClient.layer({ url: Redacted.make(pgUrl), connectTimeout: "5 seconds", maxConnections: 1 })),
      Effect.mapError((error) => new Error(`PostgreSQL at ${pgUrl} failed (is it running?): ${String(error)}`, { cause: error }))
    ) as Effect.Effect<A, Error>
  )

/** A free loopback port (asked of the OS). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

export interface Runner {
  readonly port: number
  readonly child: ChildProcess
  readonly output: () => string
  readonly exited: Promise<void>
}

export interface Cluster {
  readonly schema: string
  readonly prefix: string
  readonly log: string
  readonly runners: Array<Runner>
  readonly start: () => Promise<Runner>
  /** `kill -9` of a runner's process group. */
  readonly kill: (runner: Runner) => Promise<void>
  readonly stop: () => Promise<void>
}

export const cluster = async (label: string, log: string): Promise<Cluster> => {
  const schema = uniqueName(label)
  const prefix = schema
  await sql((s) => s.unsafe(`CREATE SCHEMA ${schema}`))
  const runners: Array<Runner> = []
  const start = async (): Promise<Runner> => {
    const port = await freePort()
    const child = spawn(process.execPath, ["--conditions=@teasel/source", "--import", "tsx", runnerScript], {
      cwd: packageDir,
      detached: true,
      env: {
        ...process.env,
        TEASEL_PG_URL: pgUrl,
        TEASEL_PG_SCHEMA: schema,
        TEASEL_CLUSTER_PREFIX: prefix,
        TEASEL_RUNNER_HOST: "127.0.0.1",
        TEASEL_RUNNER_PORT: String(port),
        TEASEL_TEST_LOG: log
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let output = ""
    child.stdout!.on("data", (chunk) => (output += chunk))
    child.stderr!.on("data", (chunk) => (output += chunk))
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()))
    const runner = { port, child, output: () => output, exited }
    runners.push(runner)
    // Started when it listens and is registered in the cluster's table.
    await until(() => output.includes(`Listening on: 127.0.0.1:${port}`), () => `runner on ${port} did not start:\n${output}`)
    return runner
  }
  const kill = async (runner: Runner) => {
    try {
      process.kill(-runner.child.pid!, "SIGKILL")
    } catch {
      // already gone
    }
    await runner.exited
  }
  const stop = async () => {
    await Promise.all(runners.map(kill))
    await sql((s) => s.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).catch(() => undefined)
  }
  return { schema, prefix, log, runners, start, kill, stop }
}

/** Waits (polling every 100 ms, for at most `limit` ms) until `condition` holds; fails with `why()` otherwise. */
export const until = async (condition: () => boolean | Promise<boolean>, why: () => string, limit = 120_000) => {
  const deadline = Date.now() + limit
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(why())
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** The runner count the cluster sees as registered and healthy. */
export const healthyRunners = (c: Cluster) =>
  sql((s) => s.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM ${c.schema}.${c.prefix}_runners WHERE healthy`)).then((rows) => rows[0]?.n ?? 0)

export interface LogLine {
  readonly kind: string
  readonly app: string
  readonly i: number
  readonly committed: boolean
  readonly pid: number
  /** For `step` lines: the sub-graph's step. */
  readonly step: string | undefined
}

export const readLog = (file: string): Array<LogLine> =>
  existsSync(file)
    ? readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => {
      const [kind, app, i, third, fourth] = l.split(" ")
      return {
        kind: kind!,
        app: app!,
        i: Number(i),
        committed: third === "committed",
        pid: Number(kind === "run" || kind === "step" ? fourth : third),
        step: kind === "step" ? third : undefined
      }
    })
    : []

/** Runs per task index of `app`. */
export const runsOf = (file: string, app: string, n: number): Array<number> => {
  const counts = new Array<number>(n).fill(0)
  for (const line of readLog(file)) if (line.kind === "run" && line.app === app) counts[line.i]!++
  return counts
}
