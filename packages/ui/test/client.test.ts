/** The page's pure parts, in Node: the state diff, the graph layout, and the addresses of views. */
import { Graph, Tracking } from "@teasel/core"
import { describe, expect, it } from "vitest"
import { diff } from "../src/client/diff.js"
import { layout } from "../src/client/graph.js"
import { href, parse } from "../src/client/route.js"

describe("diff", () => {
  it("lists added, removed and changed paths, into arrays and objects", () => {
    const before = { drafts: ["a"], notes: [], title: "x", meta: { n: 1, gone: true } }
    const after = { drafts: ["a", "b"], notes: [], title: "y", meta: { n: 1 }, extra: 1 }
    expect(diff(before, after)).toEqual([
      { path: "drafts[1]", kind: "added", after: "b" },
      { path: "title", kind: "changed", before: "x", after: "y" },
      { path: "meta.gone", kind: "removed", before: true },
      { path: "extra", kind: "added", after: 1 }
    ])
  })

  it("finds nothing between equal states, and stops at the limit", () => {
    expect(diff({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toEqual([])
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]))
    expect(diff({}, many, 10)).toHaveLength(10)
    expect(diff({ "a b": 1 }, { "a b": 2 })[0]!.path).toBe(`["a b"]`)
  })

  it("sees keys named like Object.prototype members added and removed (own keys only)", () => {
    expect(diff({ n: 1, constructor: 1, toString: 2 }, { n: 1 })).toEqual([
      { path: "constructor", kind: "removed", before: 1 },
      { path: "toString", kind: "removed", before: 2 }
    ])
    expect(diff({ n: 1 }, { n: 1, hasOwnProperty: 3 })).toEqual([{ path: "hasOwnProperty", kind: "added", after: 3 }])
  })
})

describe("graph layout", () => {
  const inc = (s: { n: number }) => ({ n: s.n + 1 })
  const isDone = (s: { n: number }) => s.n > 3

  it("puts each action one layer below the first that leads to it, loops on the right", () => {
    const graph = Graph.make({
      actions: { start: inc, work: inc, check: inc, done: inc, orphan: inc },
      transitions: [["start", "work"], ["work", "check"], ["check", "done", isDone], ["check", "work"], ["done", "done"]],
      entrypoint: "start"
    })
    const l = layout(Tracking.shapeOf(graph))
    const at = Object.fromEntries(l.nodes.map((n) => [n.name, n]))
    expect([at.start!.layer, at.work!.layer, at.check!.layer, at.done!.layer, at.orphan!.layer]).toEqual([0, 1, 2, 3, 4])
    expect(l.edges).toHaveLength(5)
    expect(l.edges.find((e) => e.from === "check" && e.to === "done")?.condition).toBe("isDone")
    // Every node inside the drawing, none overlapping.
    for (const n of l.nodes) {
      expect(n.x).toBeGreaterThanOrEqual(0)
      expect(n.x + n.width).toBeLessThanOrEqual(l.width)
      expect(n.y + n.height).toBeLessThanOrEqual(l.height)
    }
    const back = l.edges.find((e) => e.from === "check" && e.to === "work")!
    expect(back.labelX).toBeGreaterThan(Math.max(...l.nodes.map((n) => n.x + n.width)))
  })

  it("lays side by side the actions of one layer", () => {
    const graph = Graph.make({ actions: { a: inc, b: inc, c: inc }, transitions: [["a", "b", (s) => s.n > 0], ["a", "c"]], entrypoint: "a" })
    const [a, b, c] = layout(Tracking.shapeOf(graph)).nodes
    expect(b!.layer).toBe(c!.layer)
    expect(b!.x + b!.width).toBeLessThan(c!.x)
    expect(a!.x + a!.width / 2).toBeCloseTo((b!.x + c!.x + c!.width) / 2, 0)
  })
})

describe("routes", () => {
  it("reads back the address it makes", () => {
    const routes = [
      { view: "projects" },
      { view: "project", project: "poems & co", page: 2 },
      { view: "app", pk: "user 1", id: "poems-1:1:poems:0", step: 3 },
      { view: "app", pk: "", id: "x", step: undefined }
    ] as const
    for (const route of routes) expect(parse(href(route))).toEqual(route)
  })
})
