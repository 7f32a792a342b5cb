/**
 * Which state keys can be there when an action runs: a pure analysis of a graph whose actions
 * declare `reads` and `writes`. No peer does this; it catches the read that no path can satisfy —
 * no action before it writes the key, and the initial state lacks it — before anything runs.
 *
 * A key is available to an action when it is in the initial state or some action on some path
 * from the entrypoint to it writes it (a may-analysis: one path suffices). An action that declares
 * no `writes` may write anything, so every key is available after it.
 */
import type { Graph } from "../Graph.js"

/** Every key: what follows an action that declares no writes. */
const ANY = null

/**
 * The first read no path can satisfy, as `{ action, key }`, or `undefined` when every declared read
 * can be satisfied. Actions the entrypoint cannot reach are not checked.
 */
export const unsatisfiedRead = (
  graph: Graph<any, string, any, any>,
  entrypoint: string,
  initialKeys: ReadonlyArray<string>
): { readonly action: string; readonly key: string; readonly available: ReadonlyArray<string> } | undefined => {
  const declared = (name: string, field: "reads" | "writes") =>
    (graph.actions[name] as { readonly reads?: ReadonlyArray<string>; readonly writes?: ReadonlyArray<string> })[field]
  if (!Object.keys(graph.actions).some((name) => declared(name, "reads") !== undefined)) return undefined
  // Keys available before each action; ANY once an action that may write anything precedes it.
  const before = new Map<string, Set<string> | typeof ANY>([[entrypoint, new Set(initialKeys)]])
  const queue = [entrypoint]
  while (queue.length > 0) {
    const name = queue.shift()!
    const available = before.get(name)!
    const writes = declared(name, "writes")
    const after = available === ANY || writes === undefined ? ANY : new Set([...available, ...writes])
    for (const edge of graph.edges[name] ?? []) {
      const known = before.get(edge.to)
      const merged = known === undefined ? after : known === ANY || after === ANY ? ANY : new Set([...known, ...after])
      const grew = known === undefined || (known !== ANY && (merged === ANY || merged.size > known.size))
      if (grew) {
        before.set(edge.to, merged)
        queue.push(edge.to)
      }
    }
  }
  for (const [name, available] of before) {
    if (available === ANY) continue
    for (const key of declared(name, "reads") ?? []) {
      if (!available.has(key)) return { action: name, key, available: [...available] }
    }
  }
  return undefined
}
