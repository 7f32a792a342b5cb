/** The registry: names both ways, by identity; mistakes refused when it is made. */
import { Graph } from "@teasel/core"
import { describe, expect, it } from "vitest"
import { Branches } from "../src/index.js"

const double = (c: { n: number }) => ({ n: c.n * 2 })
const triple = (c: { n: number }) => ({ n: c.n * 3 })
const loop = Graph.subgraph(Graph.make({ actions: { double }, transitions: [], entrypoint: "double" }), { haltAfter: [] })

describe("Branches", () => {
  it("finds a branch by name and a name by branch (the very value)", () => {
    const branches = Branches.make({ double, loop })
    expect(branches.names).toEqual(["double", "loop"])
    expect(branches.get("double")).toBe(double)
    expect(branches.get("loop")).toBe(loop)
    expect(branches.nameOf(loop)).toBe("loop")
    expect(branches.get("triple")).toBeUndefined()
    // A function with the same name and body is another branch.
    expect(branches.nameOf(triple)).toBeUndefined()
    expect(branches.nameOf((c: { n: number }) => ({ n: c.n * 2 }))).toBeUndefined()
  })

  it("refuses a value that is not a branch, and a branch registered twice", () => {
    expect(() => Branches.make({ bad: 42 as never })).toThrow(/"bad" is not an action/)
    expect(() => Branches.make({ double, again: double })).toThrow(/"again" is the same branch as "double"/)
  })
})
