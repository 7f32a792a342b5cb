/**
 * The full-control layer: an action starts child applications itself and runs, streams, merges
 * or cancels them with ordinary Effect code; the children belong to its step like combinator
 * children (ids, parent link, persistence and resume, events in the parent's stream).
 */
import { Deferred, Effect, Exit, Fiber, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { Action, Application, Children, Graph, Persistence } from "../src/index.js"

interface Answer {
  readonly question: string
  readonly answer: string
}
interface Parent {
  readonly question: string
  readonly answers: ReadonlyArray<string>
}

const answer = (text: string) => (q: Answer): Answer => ({ ...q, answer: text })

describe("Children.run", () => {
  it("runs children of the running step, with derived ids, in the parent's stream", async () => {
    const ask = (s: Parent) =>
      Effect.gen(function*() {
        const a = yield* Children.run(answer("one"), { question: s.question, answer: "" })
        const b = yield* Children.run(answer("two"), { question: s.question, answer: "" }, { key: "second" })
        return { ...s, answers: [a.answer, b.answer] }
      })
    const graph = Graph.make({ actions: { ask }, transitions: [], entrypoint: "ask" })
    const events = await Effect.runPromise(Stream.runCollect(Application.stream(Application.make({ graph, state: { question: "q", answers: [] }, id: "P" }))))
    const done = events.at(-1)
    expect(done?._tag === "Done" && done.app.state.answers).toEqual(["one", "two"])
    const children = events.filter((e) => e._tag === "StepCompleted" && e.appId !== "P")
    expect(children.map((e) => [e.appId, "parentId" in e ? e.parentId : undefined])).toEqual([["P:1:ask:child-0", "P"], ["P:1:ask:second", "P"]])
  })

  it("is persisted and resumed: a finished child is not run again when its parent's step runs again", async () => {
    let runs = 0
    let failOnce = true
    const counted = (q: Answer): Answer => {
      runs++
      return { ...q, answer: "done" }
    }
    const ask = (s: Parent) =>
      Effect.gen(function*() {
        const a = yield* Children.run(counted, { question: s.question, answer: "" })
        if (failOnce) {
          failOnce = false
          return yield* Effect.die(new Error("crash after the child"))
        }
        return { ...s, answers: [a.answer] }
      })
    const graph = Graph.make({ actions: { ask }, transitions: [], entrypoint: "ask" })
    const program = Effect.gen(function*() {
      const first = yield* Effect.exit(Application.run(Application.make({ graph, state: { question: "q", answers: [] }, id: "R" })))
      expect(Exit.isFailure(first)).toBe(true)
      const loaded = yield* Application.load({ graph, id: "R", state: { question: "q", answers: [] } })
      return yield* Application.run(loaded)
    }).pipe(Effect.provide(Persistence.layerMemory))
    const app = await Effect.runPromise(program)
    expect(app.state.answers).toEqual(["done"])
    expect(runs).toBe(1)
  })

  it("outside a running action it says so", async () => {
    const exit = await Effect.runPromiseExit(Children.run(answer("x"), { question: "", answer: "" }))
    expect(Exit.isFailure(exit)).toBe(true)
  })
})

describe("Children.stream", () => {
  const speaker = (words: ReadonlyArray<string>, gate?: Deferred.Deferred<void>) =>
    Action.stream(
      (_: Answer) => Stream.fromIterable(words).pipe(Stream.tap(() => (gate === undefined ? Effect.void : Deferred.await(gate)))),
      (q, chunks) => ({ ...q, answer: chunks.join(" ") })
    )

  it("streams a child's chunks as they are produced and ends with Done; merged streams interleave", async () => {
    const program = Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const seen: Array<string> = []
      const listen = (s: Parent) =>
        Effect.gen(function*() {
          const merged = Stream.merge(
            Children.stream(speaker(["a1", "a2"]), { question: s.question, answer: "" }, { key: "a" }),
            Children.stream(speaker(["b1"], gate), { question: s.question, answer: "" }, { key: "b" })
          )
          const finals: Array<string> = []
          yield* Stream.runForEach(merged, (event) =>
            Effect.sync(() => {
              if (event._tag === "Chunk") seen.push(String(event.chunk))
              if (event._tag === "Done") finals.push(`${event.appId}=${(event.app.state as Answer).answer}`)
            }).pipe(Effect.andThen(event._tag === "Done" && event.appId.endsWith(":a") ? Deferred.succeed(gate, undefined) : Effect.void)))
          return { ...s, answers: finals.sort() }
        })
      const graph = Graph.make({ actions: { listen }, transitions: [], entrypoint: "listen" })
      const app = yield* Application.run(Application.make({ graph, state: { question: "q", answers: [] }, id: "L" }))
      return { app, seen }
    })
    const { app, seen } = await Effect.runPromise(program)
    // b's chunk waits for a to finish: the chunks arrive as produced, not child by child.
    expect(seen).toEqual(["a1", "a2", "b1"])
    expect(app.state.answers).toEqual(["L:1:listen:a=a1 a2", "L:1:listen:b=b1"])
  })

  it("two models answer one question: the quick one is streamed, the slow one cancelled once the quick answer is good enough", async () => {
    const program = Effect.gen(function*() {
      const slowStarted = yield* Deferred.make<void>()
      let slowFinalized = false
      const slow = (q: Answer) =>
        Deferred.succeed(slowStarted, undefined).pipe(
          Effect.andThen(Effect.never),
          Effect.as({ ...q, answer: "slow" }),
          Effect.onInterrupt(() => Effect.sync(() => (slowFinalized = true)))
        )
      const quick = speaker(["the", "answer", "is", "42"])
      const good = (text: string) => text.includes("42")
      const ask = (s: Parent) =>
        Effect.gen(function*() {
          const slowFiber = yield* Effect.forkChild(Children.run(slow, { question: s.question, answer: "" }, { key: "slow" }))
          yield* Deferred.await(slowStarted)
          const words: Array<string> = []
          yield* Stream.runForEach(Children.stream(quick, { question: s.question, answer: "" }, { key: "quick" }), (event) =>
            Effect.sync(() => {
              if (event._tag === "Chunk") words.push(String(event.chunk))
            }))
          if (good(words.join(" "))) yield* Fiber.interrupt(slowFiber)
          return { ...s, answers: [words.join(" ")] }
        })
      const graph = Graph.make({ actions: { ask }, transitions: [], entrypoint: "ask" })
      const app = yield* Application.run(Application.make({ graph, state: { question: "q", answers: [] } }))
      return { answers: app.state.answers, slowFinalized }
    })
    const { answers, slowFinalized } = await Effect.runPromise(program)
    expect(answers).toEqual(["the answer is 42"])
    expect(slowFinalized).toBe(true)
  })
})
