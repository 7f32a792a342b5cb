/**
 * The HTTP API, schema first (Effect's `HttpApi`): every request is decoded and validated
 * against these schemas before a handler runs (a malformed one is a 400), and every typed error
 * carries its HTTP status.
 */
import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, OpenApi } from "effect/http-api"

/** A ticket id: lower-case letters, digits and dashes. */
export const TicketId = Schema.String.check(Schema.isPattern(/^[a-z0-9][a-z0-9-]{0,63}$/))

/** Where a ticket stands. */
export const Status = Schema.Literals(["running", "awaiting-approval", "sent", "cancelled", "failed", "stalled"])
export type Status = typeof Status.Type

const Decision = Schema.Struct({
  verdict: Schema.Literals(["approve", "reject"]),
  by: Schema.String,
  note: Schema.String,
  at: Schema.Number
})

/** A ticket's state, as the workflow keeps it. */
export const TicketState = Schema.Struct({
  customer: Schema.String,
  subject: Schema.String,
  body: Schema.String,
  category: Schema.NullOr(Schema.Literals(["billing", "bug", "general"])),
  priority: Schema.NullOr(Schema.Literals(["high", "normal"])),
  draft: Schema.NullOr(Schema.String),
  revisions: Schema.Number,
  decisions: Schema.Array(Decision),
  sent: Schema.NullOr(Schema.Struct({ to: Schema.String, at: Schema.Number, messageId: Schema.String })),
  cancelled: Schema.NullOr(Schema.Struct({ by: Schema.String, reason: Schema.String, at: Schema.Number }))
})

/** A ticket: its status, its position in the workflow and its state. */
export const TicketView = Schema.Struct({
  id: Schema.String,
  status: Status,
  /** The action that runs next; absent once the workflow has ended. */
  next: Schema.optional(Schema.String),
  /** The last action that ran. */
  last: Schema.optional(Schema.String),
  /** Steps completed (and saved). */
  sequenceId: Schema.Number,
  /** Why the last run failed, when it did. */
  error: Schema.optional(Schema.String),
  state: TicketState
})
export type TicketView = typeof TicketView.Type

/** One saved step of a ticket's history. */
export const HistoryStep = Schema.Struct({
  sequenceId: Schema.Number,
  action: Schema.optional(Schema.String),
  next: Schema.optional(Schema.String),
  createdAt: Schema.Number,
  state: TicketState
})

/** A ticket in a listing. */
export const TicketSummary = Schema.Struct({
  id: Schema.String,
  sequenceId: Schema.Number,
  last: Schema.optional(Schema.String),
  next: Schema.optional(Schema.String),
  updatedAt: Schema.Number
})

/** No ticket has this id. */
export class TicketNotFound extends Schema.TaggedError<TicketNotFound>()("TicketNotFound", {
  id: Schema.String,
  message: Schema.String
}, { httpApiStatus: 404 }) {}

/** A ticket with this id exists already. */
export class TicketExists extends Schema.TaggedError<TicketExists>()("TicketExists", {
  id: Schema.String,
  message: Schema.String
}, { httpApiStatus: 409 }) {}

/** The ticket is not where the request needs it (say, a decision on a ticket that is not awaiting one). */
export class WrongStatus extends Schema.TaggedError<WrongStatus>()("WrongStatus", {
  id: Schema.String,
  status: Status,
  message: Schema.String
}, { httpApiStatus: 409 }) {}

/** The store failed (the database is down, ...): try again later. */
export class StoreUnavailable extends Schema.TaggedError<StoreUnavailable>()("StoreUnavailable", {
  message: Schema.String
}, { httpApiStatus: 503 }) {}

const id = { id: TicketId }

export class TicketsGroup extends HttpApiGroup.make("tickets")
  .add(
    HttpApiEndpoint.post("start", "/", {
      payload: Schema.Struct({
        id: Schema.optional(TicketId),
        customer: Schema.String.check(Schema.isPattern(/^[^@\s]+@[^@\s]+$/)),
        subject: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200)),
        body: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(10_000))
      }),
      success: TicketView.pipe(HttpApiSchema.status(202)),
      error: [TicketExists, StoreUnavailable]
    }),
    HttpApiEndpoint.get("list", "/", {
      success: Schema.Array(TicketSummary),
      error: StoreUnavailable
    }),
    HttpApiEndpoint.get("get", "/:id", {
      params: id,
      success: TicketView,
      error: [TicketNotFound, StoreUnavailable]
    }),
    HttpApiEndpoint.get("history", "/:id/history", {
      params: id,
      success: Schema.Array(HistoryStep),
      error: [TicketNotFound, StoreUnavailable]
    }),
    HttpApiEndpoint.post("decide", "/:id/decision", {
      params: id,
      payload: Schema.Struct({
        verdict: Schema.Literals(["approve", "reject"]),
        by: Schema.String.check(Schema.isMinLength(1)),
        note: Schema.optional(Schema.String.check(Schema.isMaxLength(2_000)))
      }),
      success: TicketView.pipe(HttpApiSchema.status(202)),
      error: [TicketNotFound, WrongStatus, StoreUnavailable]
    }),
    HttpApiEndpoint.post("retry", "/:id/retry", {
      params: id,
      success: TicketView.pipe(HttpApiSchema.status(202)),
      error: [TicketNotFound, WrongStatus, StoreUnavailable]
    }),
    HttpApiEndpoint.post("cancel", "/:id/cancel", {
      params: id,
      payload: Schema.Struct({
        by: Schema.String.check(Schema.isMinLength(1)),
        reason: Schema.String
      }),
      success: TicketView,
      error: [TicketNotFound, WrongStatus, StoreUnavailable]
    })
  )
  .prefix("/tickets")
{}

export class SystemGroup extends HttpApiGroup.make("system", { topLevel: true }).add(
  HttpApiEndpoint.get("health", "/health", { success: Schema.Struct({ ok: Schema.Boolean, store: Schema.String }) })
) {}

/**
 * The whole API. The events stream (`GET /tickets/:id/events`, server-sent events) is a plain route
 * beside it. A request that fails validation is a 400 problem (RFC 9457) listing what is wrong.
 */
export class Api extends HttpApi.make("teasel-backend")
  .add(TicketsGroup)
  .add(SystemGroup)
  .middleware(HttpApiMiddleware.ProblemDetails)
  .annotateMerge(OpenApi.annotations({ title: "Teasel support tickets" }))
{}
