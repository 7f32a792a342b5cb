/**
 * The poem workflow's parallel step (`mapStates` over the `drafting` sub-graph, reduced into the
 * poems in style order) under the reduce laws: whatever the model's timing, the concurrency limit
 * or a failure in the middle followed by a resume, the poems come out the same.
 */
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { type Drafting, type Poems, workflow } from "@teasel/example-poems"
import { Model } from "@teasel/example-poems/model"
import { Testing } from "@teasel/testing"
import * as States from "../src/states.js"

describe("the poems step", () => {
  it("does not depend on completion order, concurrency or a resume", () =>
    Testing.checkReduce(workflow.actions.poems, {
      state: States.Poems,
      layer: Model.layerLocal(),
      name: "poems",
      numRuns: 100
    }))

  it("its reduce is not order-insensitive, and the law says so: poems come in style order", async () => {
    // The reduce, as the workflow writes it: one poem per child, in task (style) order.
    const reduce = (s: Poems, results: ReadonlyArray<Drafting>): Poems => ({
      ...s,
      poems: results.map((r) => ({ style: r.style, text: r.drafts.at(-1) ?? "", drafts: r.drafts.length, notes: r.notes }))
    })
    const error = await Testing.checkOrderInsensitive(reduce, {
      state: States.Poems,
      results: Schema.Array(States.Drafting),
      numRuns: 200
    }).catch((e: Testing.LawError) => e)
    expect(error?.law).toBe("does not depend on the order of results")
    expect((error?.counterexample.results as Array<unknown>)).toHaveLength(2)
  })
})
