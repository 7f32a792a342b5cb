/**
 * A child handed over by an executor, run in this process (`Parallel.runChild`): what a remote
 * executor's worker calls with a child it received. Re-exported by `Parallel`.
 */
import type { Effect } from "effect"
import type { Child } from "../Parallel.js"
import * as ChildApp from "./child.js"
import { withServices } from "./services.js"

/**
 * Runs `child` in this process, as the child of its parent's step (`parentId`, `parentSequenceId`,
 * `action`): with the `Persistence` and `Tracking` in context, exactly as a local child runs — a
 * child whose final state is saved is not run again, an unfinished one continues from its last
 * saved step. This is what a remote executor's worker calls with a child it received; the child's
 * events are not forwarded anywhere (tracking sees its steps).
 *
 * @example
 * ```ts
 * import type { Effect } from "effect"
 * import { Parallel } from "@teasel/core"
 * const double = (c: { n: number }) => ({ n: c.n * 2 })
 * const child: Effect.Effect<unknown, unknown, unknown> = Parallel.runChild({
 *   id: "P:1:fan:0", index: 0, parentId: "P", parentSequenceId: 1, action: "fan",
 *   partitionKey: "", branch: double, state: { n: 21 }, inputs: undefined
 * })
 * // run where the parent's Persistence and Tracking are provided, it succeeds with { n: 42 }
 * ```
 * @category executors
 * @since 0.1.0
 */
export const runChild = (child: Child): Effect.Effect<unknown, unknown, unknown> =>
  withServices((services) => {
    const shape = ChildApp.branchGraph(child.branch)
    const app = ChildApp.make(shape, child.id, { appId: child.parentId, partitionKey: child.partitionKey }, child.state)
    return ChildApp.withRuntime(ChildApp.runChild(app, {
      haltAfter: shape.haltAfter,
      inputs: child.inputs,
      parentSequenceId: child.parentSequenceId,
      parentAction: child.action
    }, undefined, services))
  })
