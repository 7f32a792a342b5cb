/**
 * The poems program: writes a poem about a subject in several styles at once, printing each
 * child's progress as it happens, then the poems.
 *
 *   pnpm --filter @teasel/example-poems start -- --subject "tea" --styles haiku,limerick --drafts 3
 *
 * With `OPENAI_API_KEY` set it asks OpenAI (`OPENAI_MODEL`, default gpt-4o-mini); without, a
 * local stand-in composes the verses.
 */
import { Cause, Effect, Stream } from "effect"
import { Application, type Event } from "@teasel/core"
import { parseRequest, usage } from "./cli.js"
import { Model } from "./model.js"
import { application, type Drafting, type Poems, type Request } from "./poems.js"

const say = (line = "") => Effect.sync(() => console.log(line))

const program = (request: Request) =>
  Effect.gen(function*() {
    const model = yield* Model
    const app = application(request, `poems-${crypto.randomUUID().slice(0, 8)}`)
    const width = Math.max(...request.styles.map((s) => s.length)) + 2
    const started = Date.now()
    const at = () => `${String(Date.now() - started).padStart(5)} ms`

    yield* say(`Teasel poems: "${request.subject}" as ${request.styles.join(", ")}, ${request.maxDrafts} draft${request.maxDrafts === 1 ? "" : "s"} each`)
    yield* say(`model: ${model.name}`)
    yield* say(`application ${app.id}`)
    yield* say()

    // Children are known by id. A parallel step's children have ids derived from the parent's
    // id, the step, the action and the task's index, so the style of each is known up front.
    const styleOf = new Map<string, string>()
    const writes = new Map<string, number>()
    let final: Poems | undefined

    const onEvent = (event: Event.Event<Poems>) =>
      Effect.sync(() => {
        if (event._tag === "Done") {
          final = event.app.state
          return
        }
        if (event.appId === app.id) {
          // The parent's own steps.
          if (event._tag === "StepStarted" && event.action === "poems") {
            request.styles.forEach((style, i) => styleOf.set(`${app.id}:${event.sequenceId}:poems:${i}`, style))
            console.log(`${at()}  [${event.sequenceId}] poems: ${request.styles.length} write/edit loops in parallel`)
          } else if (event._tag === "StepStarted") {
            console.log(`${at()}  [${event.sequenceId}] ${event.action}`)
          } else if (event._tag === "StepCompleted" && event.action === "poems") {
            const s = event.state as Poems
            console.log(`${at()}  [${event.sequenceId}] poems done: ${s.poems.length} poems, ${s.poems.reduce((n, p) => n + p.drafts, 0)} drafts`)
          } else if (event._tag === "StepFailed") {
            console.log(`${at()}  [${event.sequenceId}] ${event.action} failed: ${String(event.error)}`)
          }
          return
        }
        // A child's steps: say which style, which draft, and which child application.
        const style = (styleOf.get(event.appId) ?? "?").padEnd(width)
        const tail = `(${event.appId})`
        switch (event._tag) {
          case "StepStarted": {
            if (event.action === "write") {
              const draft = (writes.get(event.appId) ?? 0) + 1
              writes.set(event.appId, draft)
              console.log(`${at()}      ${style}writing draft ${draft}`.padEnd(60) + tail)
            } else {
              console.log(`${at()}      ${style}editing draft ${writes.get(event.appId) ?? 0}`.padEnd(60) + tail)
            }
            break
          }
          case "StepCompleted": {
            const s = event.state as Drafting
            const done = event.action === "write"
              ? `draft ${s.drafts.length} written, ${s.drafts.at(-1)?.split("\n").length ?? 0} lines${s.drafts.length === s.maxDrafts ? " (final)" : ""}`
              : `notes: ${s.notes.at(-1)}`
            console.log(`${at()}      ${style}${done}`)
            break
          }
          case "StepFailed":
            console.log(`${at()}      ${style}${event.action} failed: ${String(event.error)}`)
            break
          case "Chunk":
            break
        }
      })

    yield* Stream.runForEach(Application.stream(app), onEvent)
    yield* say()
    yield* say(final?.text ?? "(no poems)")
  })

const parsed = parseRequest(process.argv.slice(2))
if (parsed === "help") {
  console.log(usage)
} else if ("error" in parsed) {
  console.error(`${parsed.error}\n\n${usage}`)
  process.exitCode = 2
} else {
  const exit = await Effect.runPromiseExit(program(parsed).pipe(Effect.provide(Model.layer)))
  if (exit._tag === "Failure") {
    const error = Cause.squash(exit.cause)
    console.error(`\nThe workflow failed: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 1
  }
}
