/**
 * The poem workflow's actions under the action laws: `write` and `edit` (effectful, they call the
 * model) and `join` (pure) complete on every generated state, never mutate it, return a state and
 * are deterministic. The local model sleeps 20–80 ms per call; the laws run effects on a virtual
 * clock, so that costs nothing.
 */
import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { type Drafting, drafting, type Poems, workflow } from "@teasel/example-poems"
import { Model } from "@teasel/example-poems/model"
import { Testing } from "@teasel/testing"
import * as States from "../src/states.js"

// Every value of the schemas is a state of the example (the schemas may be narrower: known styles).
const generatesStates: [Drafting, Poems] = [] as never as [typeof States.Drafting.Type, typeof States.Poems.Type]
void generatesStates

describe("the poem actions keep the action laws", () => {
  it("write", () => Testing.checkAction(drafting.actions.write, { state: States.Drafting, layer: Model.layerLocal(), seed: 1, numRuns: 60 }))

  it("edit", () => Testing.checkAction(drafting.actions.edit, { state: States.Drafting, layer: Model.layerLocal(), seed: 2, numRuns: 60 }))

  it("join", () => Testing.checkAction(workflow.actions.join, { state: States.Poems, seed: 3 }))

  it("join writes only the text", async () => {
    // `join` declares no writes; checking it as if it declared ["text"] pins that it writes nothing else.
    const join = Object.assign((s: Poems) => workflow.actions.join(s), { writes: ["text"] })
    await Testing.checkAction(join, { state: States.Poems, seed: 4, name: "join" })
  })

  it("a join that sorted the poems in place would be caught at once", async () => {
    const sorting = (s: Poems) =>
      workflow.actions.join({ ...s, poems: (s.poems as Array<Poems["poems"][number]>).sort((a, b) => a.style.localeCompare(b.style)) })
    const error = await Testing.checkAction(sorting, { state: States.Poems, seed: 5 }).catch((e: Testing.LawError) => e)
    expect(error?.law).toBe("does not mutate its state or inputs")
    // The smallest state with two poems to sort.
    expect((error?.counterexample.state as Poems).poems).toHaveLength(2)
  })
})

describe("the states are generated from the schemas", () => {
  it("every generated Drafting state is valid for the workflow", () => {
    const is = Schema.is(States.Drafting)
    expect(is({ subject: "tea", style: "haiku", maxDrafts: 2, drafts: [], notes: [] })).toBe(true)
    expect(is({ subject: "", style: "haiku", maxDrafts: 2, drafts: [], notes: [] })).toBe(false)
  })
})
