/**
 * The parent side: an executor that sends every child of every parallel step to the cluster's
 * runners, one persisted message per child. Provide `layer` to a program and any parallel step
 * in it — any combinator, any nesting, sub-graph branches included — runs its children on
 * runners. Results come back in task order; `onError`, `retry`, `timeout` and `stopWhen` work as
 * they do locally (each attempt is a new message), and interrupting the parent interrupts the
 * remote children, whose finalizers run on their runner.
 *
 * @since 0.1.0
 */
import { Parallel } from "@teasel/core"
import { Data, Effect, Layer, Option } from "effect"
import type { Sharding } from "effect/cluster"
import type { Branches } from "./Branches.js"
import { ChildEntity } from "./internal/entity.js"
import { entityIdOf } from "./internal/entityId.js"
import { type Connection, pg, sharding } from "./internal/sharding.js"
import type * as Settings from "./Settings.js"

/**
 * A child's branch is not in the registry, and `unregistered` is `"fail"`.
 *
 * @category errors
 * @since 0.1.0
 */
export class UnregisteredBranch extends Data.TaggedError("UnregisteredBranch")<{
  readonly childId: string
  readonly parentId: string
  readonly action: string
  readonly index: number
  readonly message: string
}> {}

/**
 * How the parent reaches the cluster.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** The registry the runners load too. */
  readonly branches: Branches
  /** A branch that is not registered: `"fail"` the child (default) or run it `"local"`ly. */
  readonly unregistered?: "fail" | "local" | undefined
}

/**
 * The executor, over the `Sharding` service in context (for a parent that is itself part of a
 * cluster, or for tests).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Parallel } from "@teasel/core"
 * import { Branches, ClusterExecutor } from "@teasel/cluster"
 * const branches = Branches.make({ double: (c: { n: number }) => ({ n: c.n * 2 }) })
 * const executor = ClusterExecutor.make({ branches }) // Effect<Parallel.Executor, never, Sharding>
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: Options): Effect.Effect<Parallel.Executor, never, Sharding.Sharding> =>
  Effect.map(ChildEntity.client, (clientFor): Parallel.Executor => {
    // Every send has its own key: this process, then a counter (see internal/entity.ts).
    const process = crypto.randomUUID()
    let sent = 0
    const local = options.unregistered === "local"
    return {
      run: (child, here) => {
        const name = options.branches.nameOf(child.branch)
        if (name === undefined) {
          if (local) return here
          return Effect.fail(
            new UnregisteredBranch({
              childId: child.id,
              parentId: child.parentId,
              action: child.action,
              index: child.index,
              message: `Child ${child.index} ("${child.id}") of action "${child.action}" of application "${child.parentId}": its branch ` +
                `${child.branch.name ? `"${child.branch.name}" ` : ""}is not registered; add it to Branches.make({ ... }) ` +
                `(registered: ${options.branches.names.map((n) => `"${n}"`).join(", ")}), or set unregistered: "local"`
            })
          )
        }
        return Effect.suspend(() =>
          clientFor(entityIdOf(child.id)).Run({
            childId: child.id,
            key: `${process}/${++sent}`,
            branch: name,
            index: child.index,
            parentId: child.parentId,
            parentSequenceId: child.parentSequenceId,
            action: child.action,
            partitionKey: child.partitionKey,
            state: child.state,
            inputs: child.inputs ?? null
          })
        )
      }
    }
  })

/**
 * Provides `Parallel.CurrentExecutor` over the `Sharding` in context.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Branches, ClusterExecutor } from "@teasel/cluster"
 * const branches = Branches.make({ double: (c: { n: number }) => ({ n: c.n * 2 }) })
 * const executor = ClusterExecutor.layerSharding({ branches }) // needs Sharding
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerSharding = (options: Options): Layer.Layer<never, never, Sharding.Sharding> =>
  Layer.effect(Parallel.CurrentExecutor, Effect.map(make(options), (executor) => executor as Parallel.Executor | undefined)) as any

/**
 * Provides `Parallel.CurrentExecutor`: children go to the runners registered in the PostgreSQL
 * at `url`. The parent is a client of the cluster, not a runner: it owns no shards.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Graph, mapStates } from "@teasel/core"
 * import { Branches, ClusterExecutor } from "@teasel/cluster"
 * const double = (c: { n: number }) => ({ n: c.n * 2 })
 * const branches = Branches.make({ double })
 * const graph = Graph.make({
 *   actions: { fan: mapStates(double, (s: { ns: ReadonlyArray<number> }) => s.ns.map((n) => ({ n })), (s) => s) },
 *   transitions: [],
 *   entrypoint: "fan"
 * })
 * const program = Application.run(Application.make({ graph, state: { ns: [1, 2, 3] } })).pipe(
 *   Effect.provide(ClusterExecutor.layer({ branches, url: "postgres://postgres@127.0.0.1:5432/test" }))
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: Options & Connection & {
  /** Over `Settings.defaults`; `shardsPerGroup` must match the runners'. */
  readonly settings?: Settings.Settings | undefined
}) =>
  // Fresh: see Runner.layer (a parent built beside a runner must not share its Sharding).
  Layer.fresh(
    layerSharding(options).pipe(
      Layer.provide(sharding(options, true, { ...options.settings, runnerAddress: Option.none() })),
      Layer.provide(pg(options))
    )
  )
