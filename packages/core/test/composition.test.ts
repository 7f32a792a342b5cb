/**
 * Graphs built from graphs, and the ways code that does not use Effect runs an application:
 * `runPromise` with a layer, `events` as an AsyncIterable.
 */
import { Context, Effect, Layer } from "effect"
import { describe, expect, expectTypeOf, it } from "vitest"
import { Application, Graph, Persistence } from "../src/index.js"

interface Doc {
  readonly n: number
  readonly trail: ReadonlyArray<string>
}
const mark = (name: string) => (s: Doc): Doc => ({ n: s.n + 1, trail: [...s.trail, name] })

describe("composition", () => {
  const draft = Graph.make({ actions: { write: mark("write"), check: mark("check") }, transitions: [["write", "check"]], entrypoint: "write" })
  const ship = Graph.make({ actions: { pack: mark("pack"), send: mark("send") }, transitions: [["pack", "send"]], entrypoint: "pack" })

  it("merge joins two graphs and the transitions that connect them, validated like any graph", async () => {
    const whole = Graph.merge(draft, ship, { transitions: [["check", "pack", (s) => s.n >= 4], ["check", "write"]] })
    expectTypeOf(whole).toEqualTypeOf<Graph.Graph<Doc, "write" | "check" | "pack" | "send", never, never>>()
    const app = await Effect.runPromise(Application.run(Application.make({ graph: whole, state: { n: 0, trail: [] } })))
    expect(app.state.trail).toEqual(["write", "check", "write", "check", "pack", "send"])
    expect(() => Graph.merge(draft, draft)).toThrow(/Graph.merge: both graphs have an action "write"; prefix one of them/)
    expect(() => Graph.merge(draft, ship, { transitions: [["check", "nowhere" as "pack"]] })).toThrow(Graph.GraphError)
  })

  it("prefixed renames every action, transition and the entrypoint, so a graph can be included twice", async () => {
    const twice = Graph.merge(Graph.prefixed(draft, "first/"), Graph.prefixed(draft, "second/"), {
      transitions: [["first/check", "second/write"]]
    })
    expect(Object.keys(twice.actions)).toEqual(["first/write", "first/check", "second/write", "second/check"])
    expect(twice.entrypoint).toBe("first/write")
    const app = await Effect.runPromise(Application.run(Application.make({ graph: twice, state: { n: 0, trail: [] } })))
    expect(app.state.trail).toEqual(["write", "check", "write", "check"])
    expect(app.last).toBe("second/check")
  })
})

describe("for code that does not use Effect", () => {
  class Greeting extends Context.Service<Greeting, { readonly word: string }>()("composition/Greeting") {}
  const greet = (s: Doc) => Greeting.use((g) => Effect.succeed({ ...s, trail: [...s.trail, g.word] }))
  const graph = Graph.make({ actions: { greet }, transitions: [], entrypoint: "greet" })

  it("runPromise takes a layer with the services an application needs, and persistence", async () => {
    const layer = Layer.mergeAll(Layer.succeed(Greeting, Greeting.of({ word: "hello" })), Persistence.layerMemory)
    const app = await Application.runPromise(Application.make({ graph, state: { n: 0, trail: [] }, id: "g" }), { layer })
    expect(app.state.trail).toEqual(["hello"])
    // @ts-expect-error: an application that requires a service needs { layer }
    const missing = () => Application.runPromise(Application.make({ graph, state: { n: 0, trail: [] } }))
    expect(typeof missing).toBe("function")
  })

  it("events is an AsyncIterable of the stream's events, ending with Done", async () => {
    const plain = Graph.make({ actions: { a: mark("a"), b: mark("b") }, transitions: [["a", "b"]], entrypoint: "a" })
    const tags: Array<string> = []
    for await (const event of Application.events(Application.make({ graph: plain, state: { n: 0, trail: [] } }))) tags.push(event._tag)
    expect(tags).toEqual(["StepStarted", "StepCompleted", "StepStarted", "StepCompleted", "Done"])
    const served: Array<string> = []
    const layer = Layer.succeed(Greeting, Greeting.of({ word: "hi" }))
    for await (const event of Application.events(Application.make({ graph, state: { n: 0, trail: [] } }), { layer })) {
      if (event._tag === "Done") served.push(...event.app.state.trail)
    }
    expect(served).toEqual(["hi"])
  })
})
