/**
 * An application's history (its saved steps) and edits of its state that keep its position,
 * saved as a new step so that load, fork and history see them.
 */
import { Effect, Exit } from "effect"
import { describe, expect, it } from "vitest"
import { Application, Graph, Persistence } from "../src/index.js"

interface Post {
  readonly text: string
  readonly approved: boolean
}
const draft = (s: Post): Post => ({ ...s, text: `${s.text}draft;` })
const approve = (s: Post): Post => ({ ...s, approved: true })
const send = (s: Post): Post => s
const graph = Graph.make({ actions: { draft, approve, send }, transitions: [["draft", "approve"], ["approve", "send"]], entrypoint: "draft" })
const start: Post = { text: "", approved: false }

describe("Application.history", () => {
  it("lists the saved steps, oldest first, with their actions and states; nothing for an unknown id", async () => {
    const steps = await Effect.runPromise(
      Effect.gen(function*() {
        yield* Application.run(Application.make({ graph, state: start, id: "h" }))
        return { steps: yield* Application.history({ id: "h" }), none: yield* Application.history({ id: "nobody" }) }
      }).pipe(Effect.provide(Persistence.layerMemory))
    )
    expect(steps.steps.map((s) => [s.sequenceId, s.action, s.next, s.state])).toEqual([
      [1, "draft", "approve", { text: "draft;", approved: false }],
      [2, "approve", "send", { text: "draft;", approved: true }],
      [3, "send", undefined, { text: "draft;", approved: true }]
    ])
    expect(steps.none).toEqual([])
  })
})

describe("Application.update", () => {
  it("edits the state at the same position; with persistence it is a new step that load, history and fork see", async () => {
    const result = await Effect.runPromise(
      Effect.gen(function*() {
        const waiting = yield* Application.run(Application.make({ graph, state: start, id: "u" }), { haltBefore: ["approve"] })
        const edited = yield* Application.update(waiting, (s) => ({ ...s, text: "a better draft" }))
        const loaded = yield* Application.load({ graph, id: "u", state: start })
        const steps = yield* Application.history({ id: "u" })
        const forked = yield* Application.fork({ graph, from: { id: "u", sequenceId: 2 }, id: "u2" })
        const finished = yield* Application.run(loaded)
        return { edited, loaded, steps, forked, finished }
      }).pipe(Effect.provide(Persistence.layerMemory))
    )
    expect(result.edited).toMatchObject({ sequenceId: 2, last: "draft", next: "approve", state: { text: "a better draft" } })
    expect(result.loaded).toMatchObject({ sequenceId: 2, next: "approve", state: { text: "a better draft", approved: false } })
    expect(result.steps.map((s) => s.state)).toEqual([{ text: "draft;", approved: false }, { text: "a better draft", approved: false }])
    expect(result.forked.state.text).toBe("a better draft")
    expect(result.finished.state).toEqual({ text: "a better draft", approved: true })
  })

  it("without persistence returns the edited application; `as` names the step's action; a non-object is refused", async () => {
    const app = Application.make({ graph, state: start })
    const edited = await Effect.runPromise(Application.update(app, { text: "x", approved: true }, { as: "approve" }))
    expect(edited).toMatchObject({ sequenceId: 1, last: "approve", next: "draft", state: { text: "x", approved: true } })
    expect(app.state).toEqual(start)
    const exit = await Effect.runPromiseExit(Application.update(app, (() => null) as unknown as (s: Post) => Post))
    expect(Exit.isFailure(exit)).toBe(true)
  })
})
