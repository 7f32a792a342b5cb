/**
 * `cluster`: one parallel step of 1,000 children computing `x + 1`, reduced into their sum — run
 * in process (Teasel's default executor, with a fiber per child) and on three runner processes of
 * `@teasel/cluster` on loopback and PostgreSQL (`TEASEL_PG_URL`). The figure is the wall time per
 * child: a remote child is a persisted message, a durable child application on a runner, and a
 * reply. The runners start once (untimed); every run is a new application. Failover is measured
 * by `pnpm distributed --kill-one`, not here.
 */
import * as Scenario from "../Scenario.js"

interface Parent {
  readonly n: number
  readonly sum: number
}

const N = 1_000
const RUNNERS = 3
const CLUSTER_TARGET_US = 2_000
const pgUrl = process.env["TEASEL_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"

const graphOf = async () => {
  const { Graph, mapStates } = await import("@teasel/core")
  const { add1 } = await import("./clusterBranches.js")
  return Graph.make({
    actions: {
      fan: mapStates(
        add1,
        (s: Parent) => Array.from({ length: s.n }, (_, x) => ({ x })),
        (s, results) => ({ ...s, sum: results.reduce((a, r) => a + r.x, 0) })
      )
    },
    transitions: [],
    entrypoint: "fan"
  })
}

const expected = (N * (N + 1)) / 2

/** Starts `RUNNERS` runner processes on free loopback ports; resolves when all listen. */
const startRunners = async (schema: string) => {
  const { spawn } = await import("node:child_process")
  const { createServer } = await import("node:net")
  const { fileURLToPath } = await import("node:url")
  const script = fileURLToPath(new URL("./clusterRunner.ts", import.meta.url))
  const freePort = () =>
    new Promise<number>((resolve, reject) => {
      const server = createServer()
      server.on("error", reject)
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
      })
    })
  const children: Array<import("node:child_process").ChildProcess> = []
  const stop = () => {
    for (const child of children) {
      try {
        process.kill(-child.pid!, "SIGKILL")
      } catch {
        // gone
      }
    }
  }
  process.on("exit", stop)
  const ports: Array<number> = []
  for (let k = 0; k < RUNNERS; k++) ports.push(await freePort())
  await Promise.all(ports.map((port) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [...process.execArgv, script], {
        detached: true,
        env: {
          ...process.env,
          TEASEL_PG_URL: pgUrl,
          TEASEL_PG_SCHEMA: schema,
          TEASEL_CLUSTER_PREFIX: schema,
          TEASEL_RUNNER_HOST: "127.0.0.1",
          TEASEL_RUNNER_PORT: String(port)
        },
        stdio: ["ignore", "pipe", "pipe"]
      })
      children.push(child)
      let output = ""
      const onData = (chunk: Buffer) => {
        output += chunk
        if (output.includes(`Listening on: 127.0.0.1:${port}`)) resolve()
      }
      child.stdout!.on("data", onData)
      child.stderr!.on("data", onData)
      child.on("exit", (code) => reject(new Error(`cluster runner on ${port} exited (${code}):\n${output}`)))
    })
  ))
  for (const child of children) child.removeAllListeners("exit")
  return stop
}

const teasel: Scenario.Subject = {
  name: "teasel",
  steps: N,
  note: "in process, a fiber per child (Effect branch)",
  setup: async () => {
    const { Effect } = await import("effect")
    const { Application, Graph, mapStates } = await import("@teasel/core")
    const graph = Graph.make({
      actions: {
        fan: mapStates(
          (c: { x: number }) => Effect.succeed({ x: c.x + 1 }),
          (s: Parent) => Array.from({ length: s.n }, (_, x) => ({ x })),
          (s, results) => ({ ...s, sum: results.reduce((a, r) => a + r.x, 0) })
        )
      },
      transitions: [],
      entrypoint: "fan"
    })
    return async () => {
      const done = await Effect.runPromise(Application.run(Application.make({ graph, state: { n: N, sum: 0 } })))
      Scenario.check("teasel", done.state.sum === expected, String(expected), done.state.sum)
    }
  }
}

const cluster: Scenario.Subject = {
  name: "cluster",
  steps: N,
  note: `${RUNNERS} runner processes on loopback, PostgreSQL storage, durable children`,
  warmupRuns: 1,
  timedRuns: 3,
  setup: async () => {
    const { Effect, ManagedRuntime, Redacted } = await import("effect")
    const { PgClient } = await import("@effect/sql-pg")
    const { SqlClient } = await import("effect/sql")
    const { Application } = await import("@teasel/core")
    const { ClusterExecutor } = await import("@teasel/cluster")
    const { branches } = await import("./clusterBranches.js")
    const admin = (statement: string) =>
      Effect.runPromise(
        Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) => sql.unsafe(statement)).pipe(
          Effect.provide(PgClient.layer({ url: Redacted.make(pgUrl), connectTimeout: "5 seconds", maxConnections: 1 }))
        )
      )
    const schema = `teasel_bench_cluster_${process.pid}_${Date.now().toString(36)}`
    await admin(`CREATE SCHEMA ${schema}`)
    const stop = await startRunners(schema)
    const graph = await graphOf()
    const runtime = ManagedRuntime.make(ClusterExecutor.layer({ branches, url: pgUrl, schema, prefix: schema, maxConnections: 4 }))
    let runs = 0
    return Scenario.withClose(
      async () => {
        const app = Application.make({ graph, state: { n: N, sum: 0 }, id: `bench-${process.pid}-${++runs}` })
        const done = await runtime.runPromise(Application.run(app))
        Scenario.check("cluster", done.state.sum === expected, String(expected), done.state.sum)
      },
      async () => {
        await runtime.dispose()
        stop()
        await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      }
    )
  }
}

export const clusterScenario = Scenario.make({
  name: "cluster",
  description: `one parallel step of ${N} children computing x + 1: in process, and on ${RUNNERS} runner processes (@teasel/cluster)`,
  figure: Scenario.microsecondsPerStep,
  warmupRuns: 3,
  timedRuns: 10,
  subjects: [teasel, cluster],
  targets: [
    {
      subject: "cluster",
      description: `<= ${CLUSTER_TARGET_US / 1000} ms a child`,
      met: (samples) => {
        const us = samples("cluster")?.usPerStep
        return us === undefined ? undefined : { met: us <= CLUSTER_TARGET_US, actual: `${(us / 1000).toFixed(1)} ms a child` }
      }
    }
  ]
})
