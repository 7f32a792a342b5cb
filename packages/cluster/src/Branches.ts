/**
 * The registry of branches a cluster can run: each branch under a name, written once next to the
 * graph and loaded by the parent and by every runner. A child travels as plain data — its
 * branch's name, its state and inputs — and the runner finds the branch by that name.
 *
 * @since 0.1.0
 */
import type { Action } from "@teasel/core"

/**
 * Branches by name, and names by branch.
 *
 * @category models
 * @since 0.1.0
 */
export interface Branches {
  /** The registered names, in the order given. */
  readonly names: ReadonlyArray<string>
  /** The branch registered under `name`. */
  readonly get: (name: string) => Action.Any<any> | undefined
  /** The name `branch` (the very function or sub-graph) is registered under. */
  readonly nameOf: (branch: Action.Any<any>) => string | undefined
}

/**
 * A registry of `branches`, keyed by name. Register the same values the graph uses (the very
 * functions, the very `Graph.subgraph(...)` values): the parent finds a child's branch by identity.
 *
 * @example
 * ```ts
 * import { Graph, mapStates } from "@teasel/core"
 * import { Branches } from "@teasel/cluster"
 *
 * export const double = (c: { n: number }) => ({ n: c.n * 2 })
 * export const branches = Branches.make({ double })
 * export const graph = Graph.make({
 *   actions: { fan: mapStates(double, (s: { ns: ReadonlyArray<number> }) => s.ns.map((n) => ({ n })), (s) => s) },
 *   transitions: [],
 *   entrypoint: "fan"
 * })
 * branches.nameOf(double) // "double"
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = (branches: Readonly<Record<string, Action.Any<any>>>): Branches => {
  const byName = new Map<string, Action.Any<any>>()
  const byBranch = new Map<Action.Any<any>, string>()
  for (const [name, branch] of Object.entries(branches)) {
    if (typeof branch !== "function") {
      throw new TypeError(`Branches.make: "${name}" is not an action or a Graph.subgraph (found ${typeof branch})`)
    }
    const taken = byBranch.get(branch)
    if (taken !== undefined) throw new TypeError(`Branches.make: "${name}" is the same branch as "${taken}"; register each branch once`)
    byName.set(name, branch)
    byBranch.set(branch, name)
  }
  const names = [...byName.keys()]
  return {
    names,
    get: (name) => byName.get(name),
    nameOf: (branch) => byBranch.get(branch)
  }
}
