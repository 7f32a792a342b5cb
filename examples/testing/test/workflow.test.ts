/**
 * The whole poem workflow: explored under seeded schedules (model timing, failing children, kills
 * and resumes), and killed after each of its saves and resumed.
 */
import { Exit } from "effect"
import { describe, expect, it } from "vitest"
import { type Poems, workflow } from "@teasel/example-poems"
import { compose, Model } from "@teasel/example-poems/model"
import { Testing } from "@teasel/testing"
import { request } from "../src/states.js"

const start: Poems = { ...request, styles: [...request.styles], poems: [], text: "" }

/** What a finished run must hold: one poem per style, in style order, each after maxDrafts drafts. */
const finished = (s: Poems | undefined): boolean =>
  s !== undefined &&
  s.poems.map((p) => p.style).join() === request.styles.join() &&
  s.poems.every((p) => p.drafts === request.maxDrafts && p.text === compose(request.subject, p.style, request.maxDrafts).join("\n")) &&
  s.text === s.poems.map((p) => `${p.style.toUpperCase()}\n\n${p.text}`).join("\n\n")

describe("the poem workflow", () => {
  it("ends with every poem, in style order, under any schedule of failures, kills and resumes", async () => {
    let resumed = 0
    await Testing.explore({
      graph: workflow,
      state: start,
      layer: Model.layerLocal(),
      numRuns: 100,
      failures: 0.15,
      kills: 0.3,
      invariant: (outcome) => {
        if (outcome.attempts === 2) resumed++
        return Exit.isSuccess(outcome.exit) && finished(outcome.state)
      }
    })
    expect(resumed).toBeGreaterThan(5)
  })

  it("resumes to the same poems after a crash at any save, and runs no saved step twice", async () => {
    const report = await Testing.checkCrash({ graph: workflow, state: start, layer: Model.layerLocal() })
    // Four styles × (2 writes + 1 edit), then the poems and join steps.
    expect(report.saves).toBe(14)
    expect(finished(report.state)).toBe(true)
  })
})
