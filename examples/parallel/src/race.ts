/**
 * Full control, 2: two models answer one question. The quick one's answer is streamed to the
 * user as it is produced while the slow, careful one runs; as soon as a predicate on the quick
 * answer says it is good enough, the slow one is cancelled (its finalizers run). Otherwise the
 * slow one's answer is awaited and wins.
 *
 *   pnpm --filter @teasel/example-parallel race
 */
import { pathToFileURL } from "node:url"
import { Effect, Fiber, Stream } from "effect"
import { Action, type ActionError, Application, Children, Graph, type PersistenceError } from "@teasel/core"

/** A model's child state: the question and its answer. */
export interface Reply {
  readonly question: string
  readonly answer: string
}

/** The parent's state: the question, what the user saw streamed, the answer kept and who gave it. */
export interface Ask {
  readonly question: string
  readonly streamed: ReadonlyArray<string>
  readonly answer: string
  readonly by: "quick" | "careful" | ""
}

/** The quick model streams a short answer word by word. */
const quick = (words: ReadonlyArray<string>) =>
  Action.stream(
    (_: Reply) => Stream.fromIterable(words).pipe(Stream.tap(() => Effect.sleep(10))),
    (reply, chunks) => ({ ...reply, answer: chunks.join(" ") })
  )

/** The careful model takes its time; `cancelled` records that its cleanup ran. */
const careful = (cancelled: Array<string>) => (reply: Reply) =>
  Effect.sleep("1 second").pipe(
    Effect.as({ ...reply, answer: "Teasels (Dipsacus) are biennials of the honeysuckle family." }),
    Effect.onInterrupt(() => Effect.sync(() => cancelled.push("careful")))
  )

/** Good enough: the quick answer names the plant's genus. */
export const goodEnough = (answer: string) => answer.toLowerCase().includes("dipsacus")

/** The ask action: both models start; the quick one is streamed; the careful one may be cancelled. */
const ask = (words: ReadonlyArray<string>, cancelled: Array<string>) => (s: Ask): Effect.Effect<Ask, ActionError | PersistenceError> =>
  Effect.gen(function*() {
    const slow = yield* Effect.forkChild(Children.run(careful(cancelled), { question: s.question, answer: "" }, { key: "careful" }))
    const streamed: Array<string> = []
    yield* Stream.runForEach(Children.stream(quick(words), { question: s.question, answer: "" }, { key: "quick" }), (event) =>
      Effect.sync(() => {
        if (event._tag === "Chunk") streamed.push(String(event.chunk))
      }))
    const quickAnswer = streamed.join(" ")
    if (goodEnough(quickAnswer)) {
      yield* Fiber.interrupt(slow)
      return { ...s, streamed, answer: quickAnswer, by: "quick" as const }
    }
    const better = yield* Fiber.join(slow)
    return { ...s, streamed, answer: better.answer, by: "careful" as const }
  })

/** Runs the question with the quick model's `words`; the final state and the cancelled models. */
export const run = (words: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const cancelled: Array<string> = []
    const graph = Graph.make({ actions: { ask: ask(words, cancelled) }, transitions: [], entrypoint: "ask" })
    const app = yield* Application.run(Application.make({ graph, state: { question: "What is a teasel?", streamed: [], answer: "", by: "" } }))
    return { state: app.state, cancelled }
  })

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const good = await Effect.runPromise(run(["A", "Dipsacus:", "a", "spiny", "biennial."]))
  console.log(`${good.state.by}: ${good.state.answer} (cancelled: ${good.cancelled.join(", ") || "none"})`)
  const vague = await Effect.runPromise(run(["A", "plant."]))
  console.log(`${vague.state.by}: ${vague.state.answer} (cancelled: ${vague.cancelled.join(", ") || "none"})`)
}
