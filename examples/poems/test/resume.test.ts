/**
 * Resuming the poems program from a SQLite file: an interrupted or failed run, loaded again with
 * the same id, does not write again the poems that were finished, continues the unfinished ones
 * from their last saved step, and ends with what an uninterrupted run gives; a finished one is
 * printed from the file without calling the model.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Cause, Duration, Effect, Exit, Fiber, Layer } from "effect"
import { Persistence } from "@teasel/core"
import { SqlPersistence } from "@teasel/sql"
import { afterAll, describe, expect, it } from "vitest"
import { childOf, demo, type Outcome } from "../src/demo.js"
import { compose, type EditRequest, Model, ModelError, type WriteRequest } from "../src/model.js"
import type { Request } from "../src/poems.js"

const dir = mkdtempSync(join(tmpdir(), "teasel-poems-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const request: Request = { subject: "state machines", styles: ["sonnet", "limerick", "haiku", "ode"], maxDrafts: 2 }

type Call = { readonly operation: "write"; readonly request: WriteRequest } | {
  readonly operation: "edit"
  readonly request: EditRequest
}

/**
 * The local model, counting its calls per style; `around` may replace a call (to block it, fail
 * it, or hold it back).
 */
const counting = (
  around?: (call: Call, run: Effect.Effect<string, ModelError>) => Effect.Effect<string, ModelError> | undefined
) => {
  const calls: Record<string, number> = {}
  const layer = Layer.effect(
    Model,
    Effect.gen(function*() {
      const local = yield* Model
      const wrap = (call: Call, run: Effect.Effect<string, ModelError>) =>
        Effect.suspend(() => {
          calls[call.request.style] = (calls[call.request.style] ?? 0) + 1
          return around?.(call, run) ?? run
        })
      return {
        name: "counting local model",
        write: (r: WriteRequest) => wrap({ operation: "write", request: r }, local.write(r)),
        edit: (r: EditRequest) => wrap({ operation: "edit", request: r }, local.edit(r))
      }
    })
  ).pipe(Layer.provide(Model.layerLocal({ latency: () => Duration.millis(2) })))
  return { calls, layer }
}

/** Runs the program (quietly, keeping its lines) against a store; returns the fiber. */
const start = (id: string, model: Layer.Layer<Model>, store: Layer.Layer<Persistence.Persistence, unknown>) => {
  const lines: Array<string> = []
  const fiber = Effect.runFork(
    demo({ request, id, where: "test.db", log: (line) => lines.push(line) }).pipe(Effect.provide(Layer.merge(store, model)))
  )
  return { fiber, lines, exit: Effect.runPromise(Fiber.await(fiber)) }
}

const sqlite = (name: string) => SqlPersistence.layerSqlite({ filename: join(dir, name) })

/** Which styles' children have a saved final state, read from the file as another process would. */
const finishedStyles = (name: string, id: string) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const store = yield* Persistence.Persistence
      const finished: Array<string> = []
      for (const [i, style] of request.styles.entries()) {
        const saved = yield* store.load({ appId: childOf(id, 1, i), partitionKey: "" })
        if (saved !== undefined && saved.next === undefined) finished.push(style)
      }
      return finished
    }).pipe(Effect.provide(sqlite(name)))
  )

/** Polls `check` until it holds (a hang fails by the test's timeout). */
const waitUntil = async (check: () => Promise<boolean> | boolean) => {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 10))
}

/** The result of a run that nothing interrupts, with persistence in memory. */
const uninterrupted = async () => {
  const { calls, layer } = counting()
  const exit = await start("U", layer, Persistence.layerMemory).exit
  expect(Exit.isSuccess(exit)).toBe(true)
  const outcome = (exit as Exit.Success<Outcome>).value
  expect(outcome._tag).toBe("Completed")
  // 2 drafts: write, edit, write.
  expect(calls).toEqual({ sonnet: 3, limerick: 3, haiku: 3, ode: 3 })
  return outcome.app.state
}

const completed = (exit: Exit.Exit<Outcome, unknown>) => {
  if (!Exit.isSuccess(exit)) throw new Error(`the run failed: ${Cause.pretty(exit.cause)}`)
  return exit.value
}

describe("the poems program, resumed from SQLite", () => {
  it("continues an interrupted run: finished styles are reused, not run again, and the result is an uninterrupted run's", async () => {
    const expected = await uninterrupted()

    // The first run: the haiku's second draft never comes; it is interrupted once every other
    // style's poem is saved.
    let blocked = false
    const first = counting((call, run) =>
      call.request.style === "haiku" && call.operation === "write" && call.request.draft === 2
        ? Effect.andThen(Effect.sync(() => (blocked = true)), Effect.never)
        : run
    )
    const run1 = start("R", first.layer, sqlite("interrupted.db"))
    await waitUntil(async () => blocked && (await finishedStyles("interrupted.db", "R")).length === 3)
    await Effect.runPromise(Fiber.interrupt(run1.fiber))
    const exit1 = await run1.exit
    expect(Exit.isFailure(exit1) && Cause.hasInterruptsOnly(exit1.cause)).toBe(true)
    expect(first.calls).toEqual({ sonnet: 3, limerick: 3, haiku: 3 /* write, edit, and the blocked write */, ode: 3 })
    expect(await finishedStyles("interrupted.db", "R")).toEqual(["sonnet", "limerick", "ode"])

    // The second run, same id: only the haiku's second draft is written.
    const second = counting()
    const run2 = start("R", second.layer, sqlite("interrupted.db"))
    const outcome = completed(await run2.exit)
    expect(second.calls).toEqual({ haiku: 1 })
    expect(outcome).toMatchObject({
      _tag: "Completed",
      resumed: true,
      reused: ["sonnet", "limerick", "ode"],
      continued: ["haiku"],
      started: []
    })
    expect(outcome.app.state).toEqual(expected)
    expect(run2.lines).toContain("application R: resumed from test.db, at step 0 (next: poems)")
    expect(run2.lines.some((l) => /^ {2}sonnet +finished before \(2 drafts\): reused, not run again$/.test(l))).toBe(true)
    expect(run2.lines.some((l) => /^ {2}haiku +unfinished: continues after step 2 \(1 draft, 1 note saved\)$/.test(l))).toBe(true)
    expect(run2.lines).toContain("reused (finished before, not run again): sonnet, limerick, ode")
    expect(run2.lines).toContain("continued from their last saved step: haiku")
    expect(run2.lines.filter((l) => /writing draft/.test(l))).toEqual([expect.stringMatching(/haiku +writing draft 2 /)])

    // A third run finds it complete.
    const third = counting()
    const run3 = start("R", third.layer, sqlite("interrupted.db"))
    expect(completed(await run3.exit)).toMatchObject({ _tag: "AlreadyComplete", app: { state: expected } })
    expect(third.calls).toEqual({})
  })

  it("continues after a failed model call: the failed style runs again, the others are reused", async () => {
    const expected = await uninterrupted()

    // The haiku's first draft fails, once the other styles' poems are saved.
    let othersSaved: () => void = () => {}
    const gate = new Promise<void>((resolve) => (othersSaved = resolve))
    const first = counting((call, run) =>
      call.request.style === "haiku"
        ? Effect.andThen(
          Effect.promise(() => gate),
          Effect.fail(new ModelError({ operation: call.operation, style: "haiku", draft: call.request.draft, message: "rate limited" }))
        )
        : run
    )
    const run1 = start("F", first.layer, sqlite("failed.db"))
    await waitUntil(async () => (await finishedStyles("failed.db", "F")).length === 3)
    othersSaved()
    const exit1 = await run1.exit
    expect(Exit.isFailure(exit1)).toBe(true)
    expect(Exit.isFailure(exit1) && Cause.squash(exit1.cause)).toMatchObject({
      _tag: "ParallelError",
      index: 2,
      childId: "F:1:poems:2",
      cause: { _tag: "ModelError", style: "haiku", message: "rate limited" }
    })
    expect(first.calls).toEqual({ sonnet: 3, limerick: 3, haiku: 1, ode: 3 })

    const second = counting()
    const run2 = start("F", second.layer, sqlite("failed.db"))
    const outcome = completed(await run2.exit)
    expect(second.calls).toEqual({ haiku: 3 })
    expect(outcome).toMatchObject({ reused: ["sonnet", "limerick", "ode"], continued: [], started: ["haiku"] })
    expect(outcome.app.state).toEqual(expected)
    expect(run2.lines.some((l) => /^ {2}haiku +not started: runs from the first draft$/.test(l))).toBe(true)
    expect(run2.lines).toContain("run from the start: haiku")
  })

  it("prints a completed application's saved poems without calling the model", async () => {
    const expected = await uninterrupted()
    const first = counting()
    const run1 = start("C", first.layer, sqlite("complete.db"))
    expect(completed(await run1.exit)).toMatchObject({ _tag: "Completed", resumed: false, started: request.styles })
    expect(run1.lines).toContain("application C: new, saved in test.db")
    expect(run1.lines).toContain("run: sonnet, limerick, haiku, ode")

    const again = counting((call) =>
      Effect.fail(new ModelError({ operation: call.operation, style: call.request.style, draft: 0, message: "not to be called" }))
    )
    const run2 = start("C", again.layer, sqlite("complete.db"))
    const outcome = completed(await run2.exit)
    expect(again.calls).toEqual({})
    expect(outcome).toMatchObject({ _tag: "AlreadyComplete", app: { sequenceId: 2, next: undefined } })
    expect(outcome.app.state).toEqual(expected)
    expect(run2.lines[0]).toBe("Teasel poems: application C was already complete (2 steps saved in test.db).")
    expect(run2.lines.join("\n")).toContain(expected.text)
    for (const style of request.styles) {
      expect(expected.text).toContain(compose(request.subject, style, request.maxDrafts).join("\n"))
    }
  })

  it("refuses to resume children saved for another request", async () => {
    let blocked = false
    const first = counting((call, run) =>
      call.request.style === "ode" ? Effect.andThen(Effect.sync(() => (blocked = true)), Effect.never) : run
    )
    const run1 = start("M", first.layer, sqlite("mismatch.db"))
    await waitUntil(async () => blocked && (await finishedStyles("mismatch.db", "M")).length === 3)
    await Effect.runPromise(Fiber.interrupt(run1.fiber))
    await run1.exit

    const second = counting()
    const exit = await Effect.runPromiseExit(
      demo({ request: { ...request, styles: ["haiku", "sonnet"] }, id: "M", log: () => {} }).pipe(
        Effect.provide(Layer.merge(sqlite("mismatch.db"), second.layer))
      )
    )
    expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toMatchObject({
      _tag: "RequestMismatch",
      message: expect.stringContaining("application M was started with other flags")
    })
    expect(second.calls).toEqual({})
  })
})
