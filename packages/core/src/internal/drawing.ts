/**
 * A graph as plain data and as a picture: its shape (what trackers store) and its Mermaid
 * flowchart. Pure functions over the graph's actions and transitions; `Graph` exports them.
 */
import type { Graph, Shape } from "../Graph.js"

/** The same test as `Graph.isSubGraph`, without importing it (the symbol is global). */
const isSubGraph = (u: unknown): boolean => {
  if (typeof u !== "function") return false
  const graph: unknown = (u as { graph?: unknown }).graph
  return typeof graph === "object" && graph !== null && Symbol.for("@teasel/core/Graph") in graph
}

export const shapeOf = (graph: Graph<any, string, any, any>): Shape => {
  let shape = shapes.get(graph)
  if (shape === undefined) {
    shape = {
      actions: Object.keys(graph.actions).map((name) => ({ name, subgraph: isSubGraph(graph.actions[name]) })),
      transitions: graph.transitions.map((t) => ({
        from: t.from,
        to: t.to,
        condition: t.when === undefined ? undefined : t.when.name || "when"
      })),
      entrypoint: graph.entrypoint,
      mermaid: toMermaid(graph)
    }
    shapes.set(graph, shape)
  }
  return shape
}

const shapes = new WeakMap<object, Shape>()

export const toMermaid = (graph: Graph<any, string, any, any>): string => {
  const ids = new Map<string, string>()
  const lines = ["flowchart TD"]
  Object.keys(graph.actions).forEach((name, i) => ids.set(name, `n${i}`))
  lines.push(`  start(("start")) --> ${ids.get(graph.entrypoint)}`)
  for (const [name, id] of ids) {
    const label = escapeLabel(name)
    lines.push(isSubGraph(graph.actions[name]) ? `  ${id}[["${label}"]]` : `  ${id}["${label}"]`)
  }
  for (const edge of graph.transitions) {
    const from = ids.get(edge.from)
    const to = ids.get(edge.to)
    if (edge.when === undefined) lines.push(`  ${from} --> ${to}`)
    else lines.push(`  ${from} -.->|"${escapeLabel(edge.when.name || "when")}"| ${to}`)
  }
  return lines.join("\n")
}

// Mermaid labels are quoted: a quote, an angle bracket, a `#` (which starts an entity code) and any
// control character (a newline would end the line of the chart) are written as entity codes.
const escapeLabel = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  text.replace(/[#"<>\u0000-\u001f\u007f\u2028\u2029]/g, (c) => named[c] ?? `#${c.charCodeAt(0)};`)

const named: Record<string, string> = { "\"": "#quot;", "<": "#lt;", ">": "#gt;" }
