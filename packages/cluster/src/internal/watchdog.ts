/**
 * Every runner watches the others. Effect's cluster checks runner health from a singleton, which
 * lives on one runner: when that runner is the one killed, nobody marks it unhealthy and its
 * shards wait for its heartbeat to expire (`shardLockExpiration`, 35 s). Here each runner pings
 * the others every `runnerHealthCheckInterval`, with the singleton's own patience (a ping may take
 * 10 s, and is retried 5 times, 500 ms apart: a runner busy under load is not declared dead), and
 * marks one that never answers as unhealthy in the runners' table; the shards move at the next
 * assignment refresh. It only ever marks a runner unhealthy, never the last healthy one; a runner
 * that comes back is marked healthy again by Effect's own check (or when it re-registers).
 */
import { Duration, Effect, Layer, Schedule } from "effect"
import { type RunnerAddress, Runners, RunnerStorage } from "effect/cluster"

const same = (a: RunnerAddress.RunnerAddress, b: RunnerAddress.RunnerAddress) => a.host === b.host && a.port === b.port

export const layer = (self: RunnerAddress.RunnerAddress, interval: Duration.Input) =>
  Layer.effectDiscard(
    Effect.gen(function*() {
      const storage = yield* RunnerStorage.RunnerStorage
      const runners = yield* Runners.Runners
      const alive = (address: RunnerAddress.RunnerAddress) =>
        runners.ping(address).pipe(
          Effect.timeout(10_000),
          Effect.retry({ times: 5, schedule: Schedule.spaced(500) }),
          Effect.isSuccess
        )
      const check = Effect.gen(function*() {
        const all = yield* storage.getRunners
        const others = all.filter(([runner, healthy]) => healthy && !same(runner.address, self))
        yield* Effect.forEach(others, ([runner]) =>
          Effect.flatMap(alive(runner.address), (ok) => {
            if (ok) return Effect.void
            return Effect.flatMap(storage.getRunners, (now) =>
              now.filter(([, healthy]) => healthy).length <= 1
                ? Effect.void
                : Effect.andThen(
                  Effect.logWarning(`Runner ${runner.address.host}:${runner.address.port} does not answer; marking it unhealthy`),
                  storage.setRunnerHealth(runner.address, false)
                ))
          }), { concurrency: "unbounded", discard: true })
      })
      yield* check.pipe(
        Effect.catchCause((cause) => Effect.logDebug("Runner watchdog check failed", cause)),
        Effect.andThen(Effect.sleep(Duration.fromInputUnsafe(interval))),
        Effect.forever,
        Effect.forkScoped
      )
    })
  )
