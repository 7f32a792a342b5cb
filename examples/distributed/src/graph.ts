/**
 * The graph both sides load: the parent (main.ts) runs it, every runner (runner.ts) finds its
 * branch by name in `branches`. One parallel step scores every item on the runners and sums the
 * scores.
 *
 * Each run of the branch appends a line to a side-effect log (`TEASEL_DISTRIBUTED_LOG`): the item,
 * the runner's pid, the time, and whether the child's final state was already saved when the run
 * began. That last one must never be true: a committed child is not run again. A re-run of a child
 * that was in flight when its runner died is expected (at-least-once), and counted apart.
 */
import { appendFileSync } from "node:fs"
import { Effect, Option } from "effect"
import { Graph, Parallel, Persistence, tasks } from "@teasel/core"
import { Branches } from "@teasel/cluster"

export interface Item {
  readonly parent: string
  readonly step: number
  readonly i: number
  readonly delay: number
  readonly score: number
}

export interface Batch {
  readonly children: number
  readonly delay: number
  readonly scores: ReadonlyArray<number>
  readonly total: number
}

/** The score of item `i`: deterministic, so the parent can check the reduced result. */
export const scoreOf = (i: number) => (i * 7919) % 1000

/** Scores one item after `delay` ms (the work), logging the run. */
export const score = (item: Item) =>
  Effect.gen(function*() {
    const store = yield* Effect.serviceOption(Persistence.Persistence)
    const committed = Option.isSome(store) &&
      (yield* store.value.load({ appId: Parallel.childId(item.parent, item.step, "scoreAll", item.i), partitionKey: "" })) !== undefined
    const log = process.env.TEASEL_DISTRIBUTED_LOG
    if (log !== undefined) appendFileSync(log, `${item.i} ${process.pid} ${Date.now()} ${committed ? "committed" : "fresh"}\n`)
    if (item.delay > 0) yield* Effect.sleep(item.delay)
    return { ...item, score: scoreOf(item.i) }
  })

/** The registry runners load: the branch by name. */
export const branches = Branches.make({ score })

export const graph = Graph.make({
  actions: {
    scoreAll: tasks(
      (s: Batch, context) =>
        Array.from({ length: s.children }, (_, i) => ({
          branch: score,
          state: { parent: context.appId, step: context.sequenceId, i, delay: s.delay, score: 0 } satisfies Item
        })),
      (s, results) => ({ ...s, scores: results.map((r) => r.score), total: results.reduce((n, r) => n + r.score, 0) })
    )
  },
  transitions: [],
  entrypoint: "scoreAll"
})
