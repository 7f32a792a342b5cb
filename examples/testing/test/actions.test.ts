/**
 * The poem workflow's actions under the action laws: `write` and `edit` (effectful, they call the
 * model) and `join` (pure) complete on every generated state, never mutate it, return a state and
 * are deterministic. The local model sleeps 20–80 ms per call; the laws run effects on a virtual
 * clock, so that costs nothing.
 */
import { Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type Drafting, drafting, type Poems, workflow } from "@teasel/example-poems"
import { Model } from "@teasel/example-poems/model"
import { Testing } from "@teasel/testing"
import * as States from "../src/states.js"

// Every value of the schemas is a state of the example (the schemas may be narrower: known styles).
const generatesStates: [Drafting, Poems] = [] as never as [typeof States.Drafting.Type, typeof States.Poems.Type]
void generatesStates

describe("the poem actions keep the action laws", () => {
  it("write", () => Testing.checkAction(drafting.actions.write, { state: States.Drafting, layer: Model.layerLocal(), numRuns: 100 }))

  it("edit", () => Testing.checkAction(drafting.actions.edit, { state: States.Drafting, layer: Model.layerLocal(), numRuns: 100 }))

  it("join", () => Testing.checkAction(workflow.actions.join, { state: States.Poems, numRuns: 100 }))

  it("join writes only the text", async () => {
    // `join` declares no writes; checking it as if it declared ["text"] pins that it writes nothing else.
    const join = Object.assign((s: Poems) => workflow.actions.join(s), { writes: ["text"] })
    await Testing.checkAction(join, { state: States.Poems, numRuns: 100, name: "join" })
  })

  it("a join that sorted the poems in place would be caught at once", async () => {
    const sorting = (s: Poems) =>
      workflow.actions.join({ ...s, poems: (s.poems as Array<Poems["poems"][number]>).sort((a, b) => a.style.localeCompare(b.style)) })
    // Any seed: a generated state with two poems or more turns up within the runs, and shrinks to two.
    const error = await Testing.checkAction(sorting, { state: States.Poems, numRuns: 200 }).catch((e: Testing.LawError) => e)
    expect(error?.law).toBe("does not mutate its state or inputs")
    // The smallest state with two poems to sort.
    expect((error?.counterexample.state as Poems).poems).toHaveLength(2)
  })
})

describe("the states are generated from the schemas", () => {
  const styles = ["sonnet", "limerick", "haiku", "ode"]

  it("every generated Drafting state is a valid, deep-frozen child state of the workflow", () => {
    const is = Schema.is(States.Drafting)
    fc.assert(
      fc.property(Testing.fromSchema(States.Drafting), (s) =>
        is(s) &&
        Object.isFrozen(s) && Object.isFrozen(s.drafts) && Object.isFrozen(s.notes) &&
        s.subject.length >= 1 && s.subject.length <= 24 &&
        styles.includes(s.style) &&
        Number.isInteger(s.maxDrafts) && s.maxDrafts >= 1 && s.maxDrafts <= 4 &&
        s.drafts.length <= 4 && s.notes.length <= 4),
      { numRuns: 300 }
    )
  })

  it("every generated Poems state is a valid, deep-frozen parent state of the workflow", () => {
    const is = Schema.is(States.Poems)
    fc.assert(
      fc.property(Testing.fromSchema(States.Poems), (s) =>
        is(s) &&
        Object.isFrozen(s) && s.poems.every(Object.isFrozen) &&
        s.subject.length >= 1 &&
        s.styles.every((style) => styles.includes(style)) && s.styles.length <= 4 &&
        s.maxDrafts >= 1 && s.maxDrafts <= 3 &&
        s.poems.length <= 4 && s.poems.every((p) => Number.isInteger(p.drafts))),
      { numRuns: 300 }
    )
  })

  it("the generated Drafting states cover the space the laws are meant to explore", () => {
    // A generator stuck on a few values would make the laws above pass vacuously.
    const states = fc.sample(Testing.fromSchema(States.Drafting), { numRuns: 300 })
    expect(new Set(states.map((s) => s.style))).toEqual(new Set(styles))
    expect(new Set(states.map((s) => s.maxDrafts))).toEqual(new Set([1, 2, 3, 4]))
    expect(states.some((s) => s.drafts.length === 0)).toBe(true)
    expect(states.some((s) => s.drafts.length >= 2)).toBe(true)
    expect(new Set(states.map((s) => s.subject)).size).toBeGreaterThan(50)
  })

  it("the schema refuses what the workflow would not accept", () => {
    const is = Schema.is(States.Drafting)
    expect(is({ subject: "", style: "haiku", maxDrafts: 2, drafts: [], notes: [] })).toBe(false)
    expect(is({ subject: "tea", style: "free verse", maxDrafts: 2, drafts: [], notes: [] })).toBe(false)
    expect(is({ subject: "tea", style: "haiku", maxDrafts: 0, drafts: [], notes: [] })).toBe(false)
  })
})
