/**
 * A support-ticket triage application: receive a ticket, classify it, route it to a team, draft
 * a reply word by word, and send it once a person has approved it.
 *
 * Each action shows one way of writing a step: a plain function, `Action.make` with declared
 * `writes`, an immer recipe (`Action.produce`), one action bound to different inputs
 * (`Action.bind`), a streaming action (`Action.stream`) and an async function.
 */
import { Data, Effect, pipe, Stream } from "effect"
import { Action, Application, Graph, State } from "@teasel/core"

export type Category = "billing" | "bug" | "question"

// `tags` and `log` are plain arrays so the immer recipe in `tag` can push to them: a recipe's
// draft has the state's own type. Immer freezes the states it produces all the same.
export interface Ticket {
  readonly id: string
  readonly customer: string
  readonly subject: string
  readonly body: string
  readonly category: Category | undefined
  /** 1 is the most urgent. */
  readonly priority: number
  readonly team: string | undefined
  readonly tags: Array<string>
  readonly reply: string
  readonly sentBy: string | undefined
  /** One line per step, written by the actions themselves. */
  readonly log: Array<string>
}

/** A fresh ticket, as it arrives from the help desk. */
export const ticket = (id: string, customer: string, subject: string, body: string): Ticket => ({
  id,
  customer,
  subject,
  body,
  category: undefined,
  priority: 3,
  team: undefined,
  tags: [],
  reply: "",
  sentBy: undefined,
  log: []
})

/** The classifier's own, typed failure: it flows into the error type of `Application.run`. */
export class EmptyTicket extends Data.TaggedError("EmptyTicket")<{ readonly ticket: string }> {
  override get message() {
    return `ticket ${this.ticket} has no text to classify`
  }
}

// A plain action: a function from state to state, using the State helpers (data-last, in a pipe).
const receive = (s: Ticket): Ticket =>
  pipe(
    s,
    State.update({ subject: s.subject.trim() }),
    State.append("log", `received ${s.id} from ${s.customer}`)
  )

// An effectful action with declared reads and writes: returning any other changed key would fail
// the step with an ActionError (reason "undeclared-write"). Its EmptyTicket error is typed.
const classify = Action.make({
  name: "classify",
  reads: ["subject", "body"],
  writes: ["category", "priority"],
  run: (s: Ticket) =>
    Effect.gen(function*() {
      const text = `${s.subject} ${s.body}`.toLowerCase()
      if (s.body.trim() === "") return yield* new EmptyTicket({ ticket: s.id })
      yield* Effect.sleep("20 millis") // stands in for a call to a model or a rules service
      const category: Category = /refund|charge|invoice/.test(text)
        ? "billing"
        : /crash|error|broken/.test(text)
        ? "bug"
        : "question"
      const priority = /urgent|asap|down/.test(text) ? 1 : category === "question" ? 3 : 2
      return { ...s, category, priority }
    })
})

// An immer recipe: change the draft, get a new state back.
const tag = Action.produce((draft: Ticket) => {
  draft.tags.push(draft.category ?? "unclassified")
  if (draft.priority === 1) draft.tags.push("urgent")
  draft.log.push(`classified as ${draft.category}, priority ${draft.priority}`)
})

// One action, two routes: `Action.bind` pre-fills the inputs.
const assign = (s: Ticket, inputs: { team: string }): Ticket =>
  State.append(State.update(s, { team: inputs.team }), "log", `assigned to ${inputs.team}`)
const toBilling = Action.bind(assign, { team: "billing" })
const toEngineering = Action.bind(assign, { team: "engineering" })

// A streaming action: the reply is produced a word at a time; each word is a Chunk event.
const draftReply = Action.stream(
  (s: Ticket) =>
    Stream.fromIterable(replyFor(s).split(/(?<= )/)).pipe(
      Stream.tap(() => Effect.sleep("15 millis"))
    ),
  (s, words) => State.append({ ...s, reply: words.join("") }, "log", `drafted a reply of ${words.length} words`)
)

// An async action: its inputs (who approved the reply) are given by the run that resumes it.
const send = async (s: Ticket, inputs?: { readonly approvedBy?: string }): Promise<Ticket> => {
  await new Promise((resolve) => setTimeout(resolve, 10))
  const sentBy = inputs?.approvedBy ?? "auto"
  return State.append({ ...s, sentBy }, "log", `sent, approved by ${sentBy}`)
}

const replyFor = (s: Ticket): string => {
  const opening = `Hi ${s.customer}, thanks for writing about "${s.subject}". `
  switch (s.category) {
    case "billing":
      return opening + "Our billing team is checking the charge and will refund any error within two days."
    case "bug":
      return opening + "Engineering has the report and will follow up with a fix or a workaround."
    default:
      return opening + "Here is the answer to your question."
  }
}

// Named predicates: their names label the guarded arrows in the Mermaid chart.
const isBilling = (s: Ticket) => s.category === "billing"
const isBug = (s: Ticket) => s.category === "bug"

/** The triage graph. The first matching transition out of an action wins, in order. */
export const triage = Graph.make({
  actions: { receive, classify, tag, toBilling, toEngineering, draftReply, send },
  transitions: [
    ["receive", "classify"],
    ["classify", "tag"],
    ["tag", "toBilling", isBilling],
    ["tag", "toEngineering", isBug],
    ["tag", "draftReply"],
    [["toBilling", "toEngineering"], "draftReply"],
    ["draftReply", "send"]
  ],
  entrypoint: "receive"
})

/** A fresh triage application for `t`; its id is the ticket's id. */
export const open = (t: Ticket) => Application.make({ graph: triage, state: t, id: t.id })
