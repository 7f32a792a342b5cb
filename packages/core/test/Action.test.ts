import { Effect, Stream } from "effect"
import { freeze } from "immer"
import { describe, expect, it } from "vitest"
import { Action, Application, Graph } from "../src/index.js"

describe("Action.make", () => {
  it("attaches reads, writes and name without changing what the action does", () => {
    const run = (s: { count: number; other: string }) => ({ ...s, count: s.count + 1 })
    const inc = Action.make({ run, reads: ["count"], writes: ["count"], name: "increment" })
    expect(inc({ count: 1, other: "x" })).toEqual({ count: 2, other: "x" })
    expect(inc.reads).toEqual(["count"])
    expect(inc.writes).toEqual(["count"])
    expect(inc.name).toBe("increment")
    expect(Action.writesOf(inc)).toEqual(["count"])
    expect(Action.readsOf(inc)).toEqual(["count"])
    expect(Action.writesOf(run)).toBeUndefined()
    // the user's function is not modified
    expect((run as { writes?: unknown }).writes).toBeUndefined()
  })
})

describe("Action.produce", () => {
  it("runs an immer recipe with inputs and shares untouched structure", () => {
    const push = Action.produce((draft: { items: Array<string>; meta: { n: number } }, inputs: { item: string }) => {
      draft.items.push(inputs.item)
    })
    const before = freeze({ items: ["a"], meta: { n: 1 } }, true)
    const after = push(before, { item: "b" })
    expect(after.items).toEqual(["a", "b"])
    expect(before.items).toEqual(["a"])
    expect(after.meta).toBe(before.meta)
  })
})

describe("Action.bind", () => {
  it("pre-fills inputs, under the call's own, and keeps metadata", () => {
    const add = Action.make({
      writes: ["n"],
      run: (s: { n: number }, i: { by: number; times: number }) => ({ n: s.n + i.by * i.times })
    })
    const bound = Action.bind(add, { by: 2, times: 1 })
    expect(bound({ n: 1 })).toEqual({ n: 3 })
    expect(bound({ n: 1 }, { times: 3 })).toEqual({ n: 7 })
    expect(Action.writesOf(bound)).toEqual(["n"])
  })

  it("works inside a graph, where the first action gets the run's inputs", async () => {
    const add = (s: { n: number }, i: { by: number }) => ({ n: s.n + i.by })
    const graph = Graph.make({ actions: { add: Action.bind(add, { by: 5 }) }, transitions: [], entrypoint: "add" })
    const app = Application.make({ graph, state: { n: 0 } })
    expect((await Application.runPromise(app)).state.n).toBe(5)
    expect((await Application.runPromise(app, { inputs: { by: 1 } })).state.n).toBe(1)
  })
})

describe("Action.stream", () => {
  it("collects the chunks and finishes with them, also outside an application", async () => {
    const words = Action.stream(
      (s: { text: string }, i: { n: number }) => Stream.range(1, i.n).pipe(Stream.map(String)),
      (s, chunks) => Promise.resolve({ ...s, text: s.text + chunks.join(",") })
    )
    expect(await Effect.runPromise(words({ text: ">" }, { n: 3 }))).toEqual({ text: ">1,2,3" })
  })

  it("fails with the stream's error", async () => {
    const broken = Action.stream(
      (_: { text: string }) => Stream.fail("connection lost"),
      (s) => s
    )
    const graph = Graph.make({ actions: { broken }, transitions: [], entrypoint: "broken" })
    await expect(Application.runPromise(Application.make({ graph, state: { text: "" } }))).rejects.toBe("connection lost")
  })
})
