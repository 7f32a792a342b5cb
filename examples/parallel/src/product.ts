/**
 * Several prompts to several models: `product` runs every branch over every state — here each
 * model over each prompt — at most two at a time, and returns the answers branch-major: every
 * prompt for the first model, then every prompt for the second, and so on.
 *
 *   pnpm --filter @teasel/example-parallel product
 */
import { pathToFileURL } from "node:url"
import { Effect, Stream } from "effect"
import { Application, Graph, product } from "@teasel/core"
import { branches, type Query } from "./models.js"

/** The parent's state: the prompts, and one answer per (model, prompt). */
export interface Grid {
  readonly prompts: ReadonlyArray<string>
  readonly answers: ReadonlyArray<Query>
}

const askEach = product(
  branches,
  (s: Grid) => s.prompts.map((prompt): Query => ({ prompt, model: "", answer: "" })),
  (s, results) => ({ ...s, answers: results }),
  { concurrency: 2 }
)

export const graph = Graph.make({ actions: { askEach }, transitions: [], entrypoint: "askEach" })

/** Runs every model over `prompts`: the final state and the most children seen running at once. */
export const run = (prompts: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const app = Application.make({ graph, state: { prompts, answers: [] }, id: "grid" })
    let running = 0
    let peak = 0
    let final = app.state
    yield* Stream.runForEach(Application.stream(app), (event) =>
      Effect.sync(() => {
        if (event._tag === "StepStarted" && event.parentId === app.id) peak = Math.max(peak, ++running)
        if (event._tag === "StepCompleted" && event.parentId === app.id) running--
        if (event._tag === "Done") final = event.app.state
      }))
    return { final, peak }
  })

const main = Effect.gen(function*() {
  const prompts = ["What is a state machine?", "Why run branches in parallel?"]
  const { final, peak } = yield* run(prompts)
  console.log(`product: ${prompts.length} prompts x ${branches.length} models = ${final.answers.length} children, at most ${peak} at once`)
  console.log(`  answers, branch-major (every prompt for one model, then the next model):`)
  final.answers.forEach((q, i) => console.log(`    [${i}] ${q.model.padEnd(8)} ${q.prompt.padEnd(30)} ${q.answer}`))
})

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await Effect.runPromise(main)
}
