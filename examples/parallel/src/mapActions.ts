/**
 * The same prompt to several models at once. `mapActions` runs one branch per model, every branch
 * from the same child state, and hands the answers back in branch order — whatever order they
 * arrive in.
 *
 *   pnpm --filter @teasel/example-parallel mapActions
 */
import { pathToFileURL } from "node:url"
import { Effect, Stream } from "effect"
import { Application, Graph, mapActions } from "@teasel/core"
import { branches, type Query } from "./models.js"

/** The parent's state: the prompt, every model's answer, and the one picked. */
export interface Panel {
  readonly prompt: string
  readonly answers: ReadonlyArray<{ readonly model: string; readonly answer: string }>
  readonly pick: string
}

/** Asks every model; each child starts from `{ prompt }` and its branch adds the answer. */
const askAll = mapActions(
  branches,
  (s: Panel): Query => ({ prompt: s.prompt, model: "", answer: "" }),
  (s, results) => ({ ...s, answers: results.map((r) => ({ model: r.model, answer: r.answer })) })
)

/** Picks the shortest answer. */
const pick = (s: Panel) => ({
  ...s,
  pick: s.answers.reduce((a, b) => (b.answer.length < a.answer.length ? b : a), s.answers[0]!).model
})

export const graph = Graph.make({ actions: { askAll, pick }, transitions: [["askAll", "pick"]], entrypoint: "askAll" })

/** Runs the panel on `prompt`: the final state, and the child ids in the order they finished. */
export const run = (prompt: string) =>
  Effect.gen(function*() {
    const app = Application.make({ graph, state: { prompt, answers: [], pick: "" }, id: "panel" })
    const finished: Array<string> = []
    let final = app.state
    yield* Stream.runForEach(Application.stream(app), (event) =>
      Effect.sync(() => {
        if (event._tag === "StepCompleted" && event.parentId === app.id) finished.push(event.appId)
        if (event._tag === "Done") final = event.app.state
      }))
    return { final, finished }
  })

const main = Effect.gen(function*() {
  const { final, finished } = yield* run("What is a state machine?")
  console.log(`mapActions: one prompt, ${final.answers.length} models`)
  console.log(`  prompt: "${final.prompt}"`)
  console.log(`  children, in the order they finished: ${finished.join(", ")}`)
  console.log(`  answers, in branch order:`)
  for (const a of final.answers) console.log(`    ${a.model.padEnd(8)} ${a.answer}`)
  console.log(`  picked (shortest): ${final.pick}`)
})

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await Effect.runPromise(main)
}
