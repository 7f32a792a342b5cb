/**
 * The cluster settings Teasel's runners and parents use, over Effect's `ShardingConfig` defaults.
 * Every process of one cluster must use the same `shardsPerGroup`.
 *
 * Why these values (measured on a 2-core machine running 3 runners, a parent and PostgreSQL):
 *
 * - `runnerHealthCheckInterval` is the failover clock. A runner killed with `SIGKILL` is noticed
 *   by the runner holding the health-check singleton at its next check, after about 2.5 s of
 *   failed pings (Effect retries a ping 5 times, 500 ms apart); its shards move at the next
 *   assignment refresh. Checking every second costs one ping per runner per second.
 * - `shardLockExpiration` stays long (Effect's 35 s). A killed runner's PostgreSQL session ends
 *   with its process, and its advisory locks with it, so failover does not wait for expiry; a
 *   short expiration only makes a busy but healthy runner drop its shards when a lock refresh is
 *   slow under CPU load — and its children run again with no failure at all.
 * - `entityMessagePollInterval` bounds how long a message waits in storage when it could not be
 *   delivered directly (its runner was dying): after failover, the new owner reads it at its next
 *   poll.
 *
 * @since 0.1.0
 */
import type { ShardingConfig } from "effect/cluster"

/**
 * Settings for `ShardingConfig`, as `Partial<ShardingConfig["Service"]>`.
 *
 * @category models
 * @since 0.1.0
 */
export type Settings = Partial<ShardingConfig.ShardingConfig["Service"]>

/**
 * The settings Teasel uses unless told otherwise (see the module's documentation for why).
 *
 * @example
 * ```ts
 * import { Settings } from "@teasel/cluster"
 * const slowerFailover: Settings.Settings = { ...Settings.defaults, runnerHealthCheckInterval: "5 seconds" }
 * ```
 * @category settings
 * @since 0.1.0
 */
export const defaults: Settings = {
  shardsPerGroup: 300,
  runnerHealthCheckInterval: "1 second",
  refreshAssignmentsInterval: "1 second",
  shardLockRefreshInterval: "10 seconds",
  shardLockExpiration: "35 seconds",
  entityMessagePollInterval: "1 second",
  entityReplyPollInterval: "200 millis",
  entityMaxIdleTime: "30 seconds",
  maxResidentEntities: 20_000
}
