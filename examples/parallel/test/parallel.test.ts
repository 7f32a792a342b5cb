/**
 * The programs' models and mirrors take their time with `Effect.sleep`, and the `tasks` program
 * races them against a 200 ms timeout: the tests run them on Effect's `TestClock`, so what
 * finishes first is decided by the latencies, not by how busy the machine is.
 */
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import { describe, expect, it } from "vitest"
import { run as panel } from "../src/mapActions.js"
import { run as grid } from "../src/product.js"
import { search } from "../src/tasks.js"

/** Runs `effect` on a virtual clock: its sleeps and timeouts end in the order of their deadlines. */
const virtual = <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
  Effect.runPromise(
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(effect)
      yield* TestClock.adjust("1 hour")
      return yield* Fiber.join(fiber)
    }).pipe(Effect.provide(TestClock.layer()))
  )

describe("mapActions: one prompt, several models", () => {
  it("answers in branch order although the models finish in reverse", async () => {
    const { final, finished } = await virtual(panel("What is a state machine?"))
    expect(final.answers).toEqual([
      { model: "careful", answer: "state machine: what it is, what it costs, when to stop." },
      { model: "chatty", answer: "Great question! state machine is a big topic, so let me say a lot about it." },
      { model: "swift", answer: "state machine? Yes." }
    ])
    expect(finished).toEqual(["panel:1:askAll:2", "panel:1:askAll:1", "panel:1:askAll:0"])
    expect(final.pick).toBe("swift")
  })
})

describe("product: prompts x models", () => {
  it("runs every model over every prompt, branch-major, at most two at once", async () => {
    const prompts = ["What is a state machine?", "Why run branches in parallel?", "When to retry?"]
    const { final, peak } = await virtual(grid(prompts))
    expect(final.answers.map((q) => `${q.model} / ${q.prompt}`)).toEqual(
      ["careful", "chatty", "swift"].flatMap((model) => prompts.map((prompt) => `${model} / ${prompt}`))
    )
    expect(final.answers[8]?.answer).toBe("to retry? Yes.")
    expect(peak).toBe(2)
  })
})

describe("tasks: mirrors with ids, concurrency, retry, timeout, collect and stopWhen", () => {
  it("finds the file, reports failures, and stops the rest", async () => {
    const { attempts, final } = await virtual(search("teasel-0.1.0.tgz"))
    expect(final.found).toBe("backup")
    // Successes in task order: the flaky mirror answered on its retry.
    expect(final.answered).toEqual([
      { mirror: "eu", hasFile: false, attempt: 2 },
      { mirror: "nordic", hasFile: false, attempt: 1 },
      { mirror: "backup", hasFile: true, attempt: 1 }
    ])
    // Failures in task order, by the ids the tasks were given.
    expect(final.failed.map((f) => f.id)).toEqual(["search/us", "search/asia"])
    expect(final.failed[0]?.reason).toMatch(/^TimeoutError/)
    expect(final.failed[1]?.reason).toBe("MirrorError: 404: no index here")
    // A timeout is not retried, an error is; the archive was interrupted and the attic never ran.
    expect(Object.fromEntries(attempts)).toEqual({ eu: 2, us: 1, asia: 2, nordic: 1, backup: 1, archive: 1 })
  })
})

describe("full control (Children)", () => {
  it("interleave: the writers' chunks arrive interleaved, each line is whole at the end", async () => {
    const { run } = await import("../src/interleave.js")
    const room = await virtual(run)
    expect(room.lines).toEqual(["ann: teasels flower in july", "bo: goldfinches eat the seeds", "cy: the heads dry brown"])
    // Virtual time decides the order: cy (20 ms a word) before ann (30) before bo (45).
    expect(room.heard.slice(0, 3)).toEqual(["cy: the", "ann: teasels", "cy: heads"])
    expect(room.heard).toHaveLength(12)
  })

  it("race: a good quick answer cancels the careful model; a vague one waits for it", async () => {
    const { run } = await import("../src/race.js")
    const good = await virtual(run(["A", "Dipsacus:", "a", "spiny", "biennial."]))
    expect(good.state).toMatchObject({ by: "quick", answer: "A Dipsacus: a spiny biennial.", streamed: ["A", "Dipsacus:", "a", "spiny", "biennial."] })
    expect(good.cancelled).toEqual(["careful"])
    const vague = await virtual(run(["A", "plant."]))
    expect(vague.state.by).toBe("careful")
    expect(vague.cancelled).toEqual([])
  })
})
