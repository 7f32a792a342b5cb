/**
 * Choosing the next action: a pure function of the graph's outgoing edges, the action that just
 * ran and the state it produced. No Effect here; the step loop calls it between steps.
 */

export interface Edge<S = any> {
  readonly from: string
  readonly to: string
  readonly when: ((state: S) => boolean) | undefined
}

/** Outgoing edges of every action, in declaration order. */
export type EdgeIndex = Readonly<Record<string, ReadonlyArray<Edge>>>

export const indexEdges = (actions: Iterable<string>, edges: ReadonlyArray<Edge>): EdgeIndex => {
  const index: Record<string, Array<Edge>> = Object.create(null)
  for (const name of actions) index[name] = []
  for (const edge of edges) index[edge.from]!.push(edge)
  return index
}

/**
 * The target of the first outgoing edge of `from` whose predicate holds for `state` (an edge
 * without a predicate always holds), or `undefined` when none does: the application has ended.
 */
export const choose = (index: EdgeIndex, from: string, state: unknown): string | undefined => {
  const edges = index[from]
  if (edges === undefined) return undefined
  for (let i = 0; i < edges.length; i++) {
    const edge = edges[i]!
    if (edge.when === undefined || edge.when(state)) return edge.to
  }
  return undefined
}
