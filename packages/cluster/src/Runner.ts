/**
 * A runner: a process that runs the children parents send to the cluster. Start one per machine
 * (or several), each with its own host and port, all on the same PostgreSQL: runners register
 * there, share the shards between them, and take over the shards of a runner that dies.
 *
 * Each child runs as a durable Teasel child application (`Parallel.runChild`) with
 * `SqlPersistence` on the cluster's database: a child delivered again after a failover returns
 * its saved final state, an unfinished sub-graph child continues from its last saved step.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Parallel } from "@teasel/core"
import { SqlPersistence, SqlTracking } from "@teasel/sql"
import { Effect, Layer, Option } from "effect"
import { RunnerAddress } from "effect/cluster"
import type { Branches } from "./Branches.js"
import { ChildEntity } from "./internal/entity.js"
import { toPlain } from "./internal/plain.js"
import { type Connection, pg, sharding } from "./internal/sharding.js"
import * as Watchdog from "./internal/watchdog.js"
import * as Settings from "./Settings.js"

/**
 * How to start a runner.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options extends Connection {
  /** The branches children may name: the same registry the parent uses. */
  readonly branches: Branches
  /** The address other processes reach this runner at. */
  readonly host: string
  readonly port: number
  /** The address to listen on (default: `host`), e.g. `0.0.0.0` behind NAT. */
  readonly listenHost?: string | undefined
  /** Record children's steps with `SqlTracking` (default `true`), so `teasel ui` shows them. */
  readonly tracking?: boolean | undefined
  /** Over `Settings.defaults`. */
  readonly settings?: Settings.Settings | undefined
}

const entity = (branches: Branches) =>
  ChildEntity.toLayer(
    Effect.gen(function*() {
      // The runner's services (persistence, tracking, the user's layers), for every child.
      const context = yield* Effect.context<never>()
      return ChildEntity.of({
        Run: ({ payload }) => {
          const branch = branches.get(payload.branch)
          if (branch === undefined) {
            return Effect.fail({
              _tag: "UnregisteredBranch",
              childId: payload.childId,
              branch: payload.branch,
              message: `Child "${payload.childId}" names the branch "${payload.branch}", which this runner does not register ` +
                `(it registers: ${branches.names.map((n) => `"${n}"`).join(", ")}). Start runners with the same Branches as the parent.`
            })
          }
          const run = Parallel.runChild({
            id: payload.childId,
            index: payload.index,
            parentId: payload.parentId,
            parentSequenceId: payload.parentSequenceId,
            action: payload.action,
            partitionKey: payload.partitionKey,
            branch,
            state: payload.state,
            inputs: (payload.inputs ?? undefined) as object | undefined
          })
          return Effect.provideContext(run, context).pipe(Effect.mapError(toPlain)) as Effect.Effect<unknown, unknown>
        }
      })
    }),
    { concurrency: 1 }
  )

/**
 * The runner as a layer: registers the child entity, serves it on `host:port`, persists children
 * on `url`. Provide the services your branches need with `Layer.provide` on the result.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Branches, Runner } from "@teasel/cluster"
 * const branches = Branches.make({ double: (c: { n: number }) => ({ n: c.n * 2 }) })
 * const runner = Runner.layer({ branches, url: "postgres://postgres@127.0.0.1:5432/test", host: "127.0.0.1", port: 34431 })
 * // Layer.launch(runner).pipe(NodeRuntime.runMain)
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: Options) => {
  const address = RunnerAddress.make(options.host, options.port)
  const settings = { ...Settings.defaults, ...options.settings }
  const cluster = sharding(options, false, {
    ...settings,
    runnerAddress: Option.some(address),
    runnerListenAddress: Option.some(RunnerAddress.make(options.listenHost ?? options.host, options.port))
  })
  const teasel = options.tracking === false ? SqlPersistence.layer : Layer.mergeAll(SqlPersistence.layer, SqlTracking.layer)
  // Fresh: Effect's cluster layers are module values, memoized per build; a runner built beside a
  // parent (or another runner) in one program would otherwise share their Sharding.
  return Layer.fresh(
    Layer.mergeAll(entity(options.branches), Watchdog.layer(address, settings.runnerHealthCheckInterval ?? "1 second")).pipe(
      Layer.provide(Layer.mergeAll(cluster, teasel)),
      Layer.provide(pg(options))
    )
  )
}

/**
 * Reads a runner's settings from the environment: `TEASEL_PG_URL` (default
 * `postgres://postgres@127.0.0.1:5432/test`), `TEASEL_RUNNER_HOST` (default `127.0.0.1`),
 * `TEASEL_RUNNER_PORT` (default `34431`), `TEASEL_RUNNER_LISTEN_HOST` (default the host),
 * `TEASEL_PG_SCHEMA` (default the server's search path), `TEASEL_CLUSTER_PREFIX` (default
 * `teasel_cluster`), `TEASEL_RUNNER_TRACKING` (`false` turns `SqlTracking` off).
 *
 * @example
 * ```ts
 * import { Runner } from "@teasel/cluster"
 * const { host, port, url } = Runner.fromEnv(process.env)
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromEnv = (env: Readonly<Record<string, string | undefined>>) => {
  const port = Number(env.TEASEL_RUNNER_PORT ?? "34431")
  if (!Number.isSafeInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`TEASEL_RUNNER_PORT must be a port number (1-65535); found "${env.TEASEL_RUNNER_PORT}"`)
  }
  const host = env.TEASEL_RUNNER_HOST ?? "127.0.0.1"
  return {
    url: env.TEASEL_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test",
    host,
    port,
    listenHost: env.TEASEL_RUNNER_LISTEN_HOST ?? host,
    schema: env.TEASEL_PG_SCHEMA,
    prefix: env.TEASEL_CLUSTER_PREFIX,
    tracking: env.TEASEL_RUNNER_TRACKING !== "false",
    synchronousCommit: env.TEASEL_PG_SYNCHRONOUS_COMMIT === "off" ? "off" as const : env.TEASEL_PG_SYNCHRONOUS_COMMIT === "on" ? "on" as const : undefined
  }
}

/**
 * Runs a runner until the process is stopped (SIGINT/SIGTERM end it cleanly), with its address
 * and database from the environment (`fromEnv`). This is the whole of a runner's main module.
 *
 * @example
 * ```ts
 * // runner.ts — start with: TEASEL_RUNNER_PORT=34431 node runner.js
 * import { type Branches, Runner } from "@teasel/cluster"
 * declare const branches: Branches.Branches // your graph module's Branches.make({ ... })
 * Runner.main({ branches })
 * ```
 * @category running
 * @since 0.1.0
 */
export const main = (options: Omit<Options, keyof Connection | "host" | "port" | "listenHost" | "tracking"> & {
  /** The services the branches need. */
  readonly provide?: Layer.Layer<any, any, never> | undefined
}): void => {
  const env = fromEnv(process.env)
  const runner = layer({ ...options, ...env })
  const full = options.provide === undefined ? runner : runner.pipe(Layer.provide(options.provide))
  Layer.launch(full as Layer.Layer<never, unknown, never>).pipe(NodeRuntime.runMain)
}
