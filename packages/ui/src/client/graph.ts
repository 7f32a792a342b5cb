/**
 * The graph of an application, drawn as SVG from its tracked shape: actions as boxes in layers
 * (each action one layer below the first action that leads to it, from the entrypoint), forward
 * transitions as curves downwards, transitions back up (loops) along the right-hand side, and a
 * transition to itself as a loop. `layout` is pure; `render` makes the SVG.
 */
import type { Tracking } from "@teasel/core"

export interface NodeBox {
  readonly name: string
  readonly subgraph: boolean
  readonly layer: number
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}

export interface Edge {
  readonly from: string
  readonly to: string
  readonly condition: string | undefined
  readonly path: string
  readonly labelX: number
  readonly labelY: number
}

export interface Layout {
  readonly width: number
  readonly height: number
  readonly nodes: ReadonlyArray<NodeBox>
  readonly edges: ReadonlyArray<Edge>
}

const NODE_HEIGHT = 34
const LAYER_GAP = 62
const NODE_GAP = 28
const MARGIN = 24
const CHAR_WIDTH = 7.4

export const layout = (shape: Tracking.GraphShape): Layout => {
  const names = shape.actions.map((a) => a.name)
  const known = new Set(names)
  const outgoing = new Map<string, Array<string>>(names.map((n) => [n, []]))
  for (const t of shape.transitions) if (known.has(t.from) && known.has(t.to)) outgoing.get(t.from)!.push(t.to)

  // Layers by breadth-first distance from the entrypoint; actions it cannot reach start new roots.
  const layerOf = new Map<string, number>()
  const visit = (root: string, base: number) => {
    layerOf.set(root, base)
    const queue = [root]
    while (queue.length > 0) {
      const n = queue.shift()!
      for (const m of outgoing.get(n)!) {
        if (!layerOf.has(m)) {
          layerOf.set(m, layerOf.get(n)! + 1)
          queue.push(m)
        }
      }
    }
  }
  if (known.has(shape.entrypoint)) visit(shape.entrypoint, 0)
  for (const n of names) {
    if (!layerOf.has(n)) visit(n, Math.max(-1, ...layerOf.values()) + 1)
  }

  const layers: Array<Array<string>> = []
  for (const n of names) (layers[layerOf.get(n)!] ??= []).push(n)
  const widthOf = (name: string) => Math.max(72, Math.round(name.length * CHAR_WIDTH + 34))
  const rowWidth = (row: ReadonlyArray<string>) => row.reduce((w, n) => w + widthOf(n), 0) + NODE_GAP * (row.length - 1)
  const widest = Math.max(0, ...layers.map((row) => rowWidth(row ?? [])))
  // Room on the right for the loops that go back up.
  const hasBackEdges = shape.transitions.some((t) => (layerOf.get(t.to) ?? 0) <= (layerOf.get(t.from) ?? 0))
  const width = widest + MARGIN * 2 + (hasBackEdges ? 60 : 0)

  const boxes = new Map<string, NodeBox>()
  layers.forEach((row = [], layer) => {
    let x = MARGIN + (widest - rowWidth(row)) / 2
    for (const name of row) {
      const w = widthOf(name)
      boxes.set(name, {
        name,
        subgraph: shape.actions.find((a) => a.name === name)?.subgraph ?? false,
        layer,
        x,
        y: MARGIN + layer * (NODE_HEIGHT + LAYER_GAP),
        width: w,
        height: NODE_HEIGHT
      })
      x += w + NODE_GAP
    }
  })

  const rightmost = MARGIN + widest
  const seen = new Map<string, number>()
  const edges: Array<Edge> = []
  for (const t of shape.transitions) {
    const a = boxes.get(t.from)
    const b = boxes.get(t.to)
    if (a === undefined || b === undefined) continue
    // Several transitions between the same two actions are drawn apart.
    const pair = `${t.from}\u0000${t.to}`
    const k = seen.get(pair) ?? 0
    seen.set(pair, k + 1)
    if (a === b) {
      const x = a.x + a.width
      const y = a.y + a.height / 2
      const r = 16 + k * 8
      edges.push({
        ...t,
        path: `M ${x} ${y - 8} C ${x + r * 2} ${y - r * 1.6}, ${x + r * 2} ${y + r * 1.6}, ${x} ${y + 8}`,
        labelX: x + r * 1.6 + 4,
        labelY: y + 4
      })
    } else if (b.layer > a.layer) {
      const x1 = a.x + a.width / 2 + k * 10
      const y1 = a.y + a.height
      const x2 = b.x + b.width / 2 + k * 10
      const y2 = b.y
      const my = (y1 + y2) / 2
      edges.push({ ...t, path: `M ${x1} ${y1} C ${x1} ${my}, ${x2} ${my}, ${x2} ${y2}`, labelX: (x1 + x2) / 2 + 6, labelY: my })
    } else {
      // Back up (or across): out of the right side of `from`, round the right of the drawing, into `to`.
      const x1 = a.x + a.width
      const y1 = a.y + a.height / 2 + 6
      const x2 = b.x + b.width
      const y2 = b.y + b.height / 2 - 6
      const side = rightmost + 26 + k * 14
      edges.push({
        ...t,
        path: `M ${x1} ${y1} C ${side} ${y1}, ${side} ${y2}, ${x2} ${y2}`,
        labelX: side - 4,
        labelY: (y1 + y2) / 2
      })
    }
  }
  const height = MARGIN * 2 + layers.length * NODE_HEIGHT + Math.max(0, layers.length - 1) * LAYER_GAP
  return { width, height, nodes: [...boxes.values()], edges }
}

const SVG = "http://www.w3.org/2000/svg"

const el = (tag: string, attrs: Record<string, string | number>, text?: string): SVGElement => {
  const node = document.createElementNS(SVG, tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v))
  if (text !== undefined) node.textContent = text
  return node
}

/** The graph as SVG; `selected` and `running` are action names to highlight. */
export const render = (
  shape: Tracking.GraphShape,
  highlight: { readonly selected?: string | undefined; readonly running?: string | undefined; readonly visited?: ReadonlySet<string> },
  onSelect?: (action: string) => void
): SVGSVGElement => {
  const l = layout(shape)
  const svg = el("svg", {
    viewBox: `0 0 ${l.width} ${l.height}`,
    width: l.width,
    height: l.height,
    class: "graph",
    role: "img",
    "aria-label": `graph of ${shape.actions.length} actions`
  }) as SVGSVGElement
  svg.setAttribute("data-testid", "graph")
  const defs = el("defs", {})
  const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" })
  marker.append(el("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow" }))
  defs.append(marker)
  svg.append(defs)
  for (const e of l.edges) {
    const g = el("g", { class: "edge" })
    g.append(el("path", { d: e.path, "marker-end": "url(#arrow)" }))
    if (e.condition !== undefined) g.append(el("text", { x: e.labelX, y: e.labelY, class: "edge-label" }, e.condition))
    svg.append(g)
  }
  for (const n of l.nodes) {
    const classes = ["node"]
    if (n.subgraph) classes.push("subgraph")
    if (highlight.visited?.has(n.name)) classes.push("visited")
    if (n.name === highlight.running) classes.push("running")
    if (n.name === highlight.selected) classes.push("selected")
    if (n.name === shape.entrypoint) classes.push("entry")
    const g = el("g", { class: classes.join(" "), "data-action": n.name, tabindex: 0 })
    g.append(el("rect", { x: n.x, y: n.y, width: n.width, height: n.height, rx: 8 }))
    g.append(el("text", { x: n.x + n.width / 2, y: n.y + n.height / 2 + 4, "text-anchor": "middle" }, n.name))
    if (onSelect !== undefined) g.addEventListener("click", () => onSelect(n.name))
    const title = el("title", {}, `${n.name}${n.subgraph ? " (sub-graph)" : ""}${n.name === shape.entrypoint ? " — entrypoint" : ""}`)
    g.append(title)
    svg.append(g)
  }
  return svg
}
