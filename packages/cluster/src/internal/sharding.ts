/**
 * The cluster layers both sides share: the PostgreSQL pool, and Effect's socket sharding over SQL
 * storage whose tables (and PostgreSQL advisory-lock namespace) carry Teasel's prefix, so a
 * cluster never meets another one in the same database.
 */
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import * as NodeCrypto from "@effect/platform-node/NodeCrypto"
import { PgClient } from "@effect/sql-pg"
import { Layer, Redacted } from "effect"
import { ShardingConfig, SqlMessageStorage, SqlRunnerStorage } from "effect/cluster"
import * as Settings from "../Settings.js"

/** Where the cluster lives in PostgreSQL. */
export interface Connection {
  readonly url: string
  /** The schema for the cluster's and Teasel's tables (default: the server's search path). */
  readonly schema?: string | undefined
  /** The prefix of the cluster's tables and of its advisory locks (default `teasel_cluster`). */
  readonly prefix?: string | undefined
  /** Connections in this process's pool (default 10). */
  readonly maxConnections?: number | undefined
  /**
   * PostgreSQL's `synchronous_commit` for this process's sessions (default: the server's). `"off"`
   * makes each commit return before its WAL reaches the disk: far fewer waits per child, but a
   * crash of the PostgreSQL server (not of a runner) may lose the last moments of commits.
   */
  readonly synchronousCommit?: "on" | "off" | undefined
}

export const pg = (connection: Connection) => {
  const startupParameters: Record<string, string> = {}
  if (connection.schema !== undefined) startupParameters.search_path = connection.schema
  if (connection.synchronousCommit !== undefined) startupParameters.synchronous_commit = connection.synchronousCommit
  return PgClient.layer({ url: Redacted.make(connection.url), maxConnections: connection.maxConnections ?? 10, startupParameters })
}

export const sharding = <const ClientOnly extends boolean>(
  connection: Connection,
  clientOnly: ClientOnly,
  settings: Settings.Settings
) => {
  const config: Settings.Settings = { ...Settings.defaults, ...settings }
  const prefix = connection.prefix ?? "teasel_cluster"
  const storage = Layer.mergeAll(
    SqlMessageStorage.layerWith({ prefix }).pipe(Layer.provide(NodeCrypto.layerDigest)),
    Layer.orDie(SqlRunnerStorage.layerWith({ prefix }))
  ).pipe(Layer.provide(ShardingConfig.layer(config)))
  return NodeClusterSocket.layer({ clientOnly, storage: "byo", shardingConfig: config }).pipe(Layer.provideMerge(storage))
}
