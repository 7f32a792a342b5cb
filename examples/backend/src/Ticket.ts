/**
 * The support-ticket workflow: triage → draft a reply → (halt for a person) review → send.
 * A reviewer who rejects the draft sends it back to `draft` with a note; any step can be
 * cancelled. Drafting and sending go through services (`Drafter`, `Outbox`), so a product plugs
 * its model and its mailer in as layers, and tests plug in their own.
 */
import { Clock, Context, Data, Effect, Layer } from "effect"
import { Graph } from "@teasel/core"

/** What a reviewer decided. */
export interface Decision {
  readonly verdict: "approve" | "reject"
  readonly by: string
  readonly note: string
  readonly at: number
}

/** The state of a ticket's application. Plain JSON: it is saved after every step. */
export interface Ticket {
  readonly customer: string
  readonly subject: string
  readonly body: string
  readonly category: "billing" | "bug" | "general" | null
  readonly priority: "high" | "normal" | null
  readonly draft: string | null
  readonly revisions: number
  readonly decisions: ReadonlyArray<Decision>
  readonly sent: { readonly to: string; readonly at: number; readonly messageId: string } | null
  readonly cancelled: { readonly by: string; readonly reason: string; readonly at: number } | null
}

/** A new ticket's state. */
export const open = (input: { readonly customer: string; readonly subject: string; readonly body: string }): Ticket => ({
  customer: input.customer,
  subject: input.subject,
  body: input.body,
  category: null,
  priority: null,
  draft: null,
  revisions: 0,
  decisions: [],
  sent: null,
  cancelled: null
})

/** Writes a reply (a model, in a real product). */
export class Drafter extends Context.Service<Drafter, {
  readonly draft: (ticket: Ticket, feedback: string | undefined) => Effect.Effect<string>
}>()("@teasel/example-backend/Drafter") {
  /** A template "model": good enough to show the flow. */
  static readonly layerTemplate = Layer.succeed(Drafter, {
    draft: (ticket, feedback) =>
      Effect.succeed(
        `Hello ${ticket.customer},\n\nThank you for writing about "${ticket.subject}". ` +
          (ticket.category === "billing"
            ? "Our billing team has your request and will answer within a day."
            : ticket.category === "bug"
            ? "We have reproduced the problem and a fix is on its way."
            : "We will get back to you shortly.") +
          (feedback === undefined || feedback === "" ? "" : `\n\n(${feedback})`) +
          "\n\nThe support team"
      )
  })
}

/** Sending a reply failed: the action's own typed error, which reaches `Application.run`'s error channel. */
export class MailRejected extends Data.TaggedError("MailRejected")<{ readonly to: string; readonly reason: string }> {}

/** Sends replies. */
export class Outbox extends Context.Service<Outbox, {
  readonly send: (to: string, subject: string, text: string) => Effect.Effect<string, MailRejected>
}>()("@teasel/example-backend/Outbox") {
  /** Keeps sent messages in memory (and refuses addresses without an `@`). */
  static readonly layerMemory = Layer.sync(Outbox, () => {
    let n = 0
    return {
      send: (to: string) =>
        to.includes("@")
          ? Effect.sync(() => `msg-${++n}`)
          : Effect.fail(new MailRejected({ to, reason: "not an e-mail address" }))
    }
  })
}

/** The inputs `review` takes: a person's decision. */
export interface ReviewInputs {
  readonly verdict: "approve" | "reject"
  readonly by: string
  readonly note?: string | undefined
}

/** The inputs any step takes to cancel the ticket instead of doing its work. */
export interface CancelInputs {
  readonly cancel: { readonly by: string; readonly reason: string }
}

const isCancel = (inputs: unknown): inputs is CancelInputs =>
  typeof inputs === "object" && inputs !== null && "cancel" in inputs

/**
 * Every action is cancellable: called with `{ cancel }` as its inputs, it records the
 * cancellation instead of doing its work, and the first transition out of it goes to `cancelled`.
 * Cancelling is therefore a step like any other, saved with the ticket's history.
 */
const cancellable = <I, E, R>(run: (s: Ticket, inputs: I) => Effect.Effect<Ticket, E, R>) =>
(s: Ticket, inputs?: I | CancelInputs): Effect.Effect<Ticket, E, R> =>
  isCancel(inputs)
    ? Effect.map(Clock.currentTimeMillis, (at) => ({ ...s, cancelled: { ...inputs.cancel, at } }))
    : run(s, inputs as I)

const triage = cancellable((s: Ticket) =>
  Effect.sync((): Ticket => {
    const text = `${s.subject} ${s.body}`.toLowerCase()
    const category = /refund|invoice|charge|billing/.test(text) ? "billing" : /crash|error|bug|broken/.test(text) ? "bug" : "general"
    const priority = /urgent|down|asap|outage/.test(text) ? "high" : "normal"
    return { ...s, category, priority }
  })
)

const draft = cancellable((s: Ticket) =>
  Effect.gen(function*() {
    const drafter = yield* Drafter
    const last = s.decisions.at(-1)
    const text = yield* drafter.draft(s, last?.verdict === "reject" ? last.note : undefined)
    return { ...s, draft: text, revisions: s.revisions + 1 }
  })
)

const review = cancellable((s: Ticket, inputs: ReviewInputs) =>
  Effect.map(Clock.currentTimeMillis, (at): Ticket => ({
    ...s,
    decisions: [...s.decisions, { verdict: inputs.verdict, by: inputs.by, note: inputs.note ?? "", at }]
  }))
)

const send = cancellable((s: Ticket) =>
  Effect.gen(function*() {
    const outbox = yield* Outbox
    const messageId = yield* outbox.send(s.customer, `Re: ${s.subject}`, s.draft ?? "")
    const at = yield* Clock.currentTimeMillis
    return { ...s, sent: { to: s.customer, at, messageId } }
  })
)

const cancelled = (s: Ticket): Ticket => s

const isCancelled = (s: Ticket) => s.cancelled !== null
const lastVerdict = (s: Ticket) => s.decisions.at(-1)?.verdict

/** The workflow. `review` is where a person decides: run it with `haltBefore: ["review"]`. */
export const graph = Graph.make({
  actions: { triage, draft, review, send, cancelled },
  transitions: [
    [["triage", "draft", "review", "send"], "cancelled", isCancelled],
    ["triage", "draft"],
    ["draft", "review"],
    ["review", "send", (s) => lastVerdict(s) === "approve"],
    ["review", "draft"]
  ],
  entrypoint: "triage"
})

/** The action names of the workflow. */
export type Step = Graph.ActionsOf<typeof graph>

/** Where every run halts: before a person's decision. */
export const haltBefore: ReadonlyArray<Step> = ["review"]
