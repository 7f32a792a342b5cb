/**
 * The quickstart program: draws the triage graph, previews three tickets with `Application.run`,
 * streams one of them live up to the approval point, resumes it with the approver's name, and
 * shows a typed failure.
 */
import { Effect, Stream } from "effect"
import { Application, type Event, Graph } from "@teasel/core"
import { open, ticket, type Ticket, triage } from "./triage.js"

const say = (line = "") => Effect.sync(() => console.log(line))

const tickets = [
  ticket("T-101", "Ana", "Double charge on my invoice ", "I was charged twice this month, please refund ASAP."),
  ticket("T-102", "Bo", "Export crashes", "The app shows an error and crashes when I export to PDF."),
  ticket("T-103", "Cy", "Dark mode?", "Is there a dark mode?")
]

/** What a completed step changed, in a few words. */
const summary = (action: string, s: Ticket): string => {
  switch (action) {
    case "receive":
      return `subject "${s.subject}"`
    case "classify":
      return `${s.category}, priority ${s.priority}`
    case "tag":
      return `tags: ${s.tags.join(", ")}`
    case "toBilling":
    case "toEngineering":
      return `team: ${s.team}`
    case "draftReply":
      return `${s.reply.split(" ").length} words`
    case "send":
      return `sent, approved by ${s.sentBy}`
    default:
      return ""
  }
}

const width = 14

/** One readable line per step; chunks of the streaming action are written as they arrive. */
const print = (appId: string) => (event: Event.Event<Ticket>): Effect.Effect<void> =>
  Effect.sync(() => {
    switch (event._tag) {
      case "StepStarted":
        process.stdout.write(`  [${event.sequenceId}] ${event.action.padEnd(width)}`)
        break
      case "Chunk":
        process.stdout.write(String(event.chunk))
        break
      case "StepCompleted":
        // This graph spawns no children, so every completed step is one of the ticket's own.
        if (event.appId === appId) {
          const chunked = event.action === "draftReply"
          process.stdout.write(`${chunked ? `\n  ${" ".repeat(width + 4)}` : ""}✓ ${summary(event.action, event.state as Ticket)}\n`)
        }
        break
      case "StepFailed":
        process.stdout.write(`✗ ${String(event.error)}\n`)
        break
      case "Done":
        break
    }
  })

const program = Effect.gen(function*() {
  yield* say("Teasel quickstart: support ticket triage")
  yield* say()
  yield* say("The graph, as Mermaid (paste into https://mermaid.live):")
  yield* say(Graph.toMermaid(triage))
  yield* say()

  // 1. Run each ticket until it has been classified. Applications are values: each run returns a
  //    new one, positioned where it stopped.
  yield* say(`1. Preview: Application.run(app, { haltAfter: ["classify"] })`)
  const previews = yield* Effect.forEach(tickets, (t) => Application.run(open(t), { haltAfter: ["classify"] }))
  for (const app of previews) {
    yield* say(`  ${app.id}  ${app.state.category?.padEnd(8)} priority ${app.state.priority}   ${app.sequenceId} steps, last: ${app.last}, next: ${app.next}`)
  }
  yield* say()

  // 2. Continue the first ticket from where its preview stopped, streaming every event, and stop
  //    before "send": a person has to approve the reply.
  const first = previews[0]!
  yield* say(`2. Live: Application.stream(${first.id}, { haltBefore: ["send"] })`)
  let waiting = first
  yield* Stream.runForEach(Application.stream(first, { haltBefore: ["send"] }), (event) => {
    if (event._tag === "Done") waiting = event.app
    return print(first.id)(event)
  })
  yield* say(`  halted before "${waiting.next}" after ${waiting.sequenceId} steps (the preview value is untouched: ${first.sequenceId} steps)`)
  yield* say()

  // 3. Approve, with the same haltBefore: the first action of a call always runs, so this run
  //    starts with "send", gives it the inputs, and goes on to the end.
  yield* say(`3. Approve: Application.run(app, { haltBefore: ["send"], inputs: { approvedBy: "Sam" } })`)
  const sent = yield* Application.run(waiting, { haltBefore: ["send"], inputs: { approvedBy: "Sam" } })
  yield* say(`  [${sent.sequenceId}] ${String(sent.last).padEnd(width)}✓ ${summary("send", sent.state)}`)
  yield* say(`  ended: next is ${sent.next}; the ticket's own log:`)
  for (const line of sent.state.log) yield* say(`    - ${line}`)
  yield* say()

  // 4. A typed failure: the classifier's EmptyTicket error is part of run's error type.
  yield* say(`4. Typed errors: a ticket with no text`)
  const failure = yield* Application.run(open(ticket("T-104", "Di", "(no subject)", "  ")), {}).pipe(
    Effect.as("unexpectedly succeeded"),
    Effect.catchTag("EmptyTicket", (e) => Effect.succeed(`EmptyTicket: ${e.message}`)),
    Effect.catchTag("ActionError", (e) => Effect.succeed(`ActionError (${e.reason}): ${e.message}`))
  )
  yield* say(`  ${failure}`)
})

await Effect.runPromise(program)
