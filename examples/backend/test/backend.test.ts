import { Context, Deferred, Effect, Exit, Layer, Scope } from "effect"
import { HttpServer } from "effect/http"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { layer, type Store } from "../src/Server.js"
import * as Ticket from "../src/Ticket.js"
import { readEvents, request, untilStatus } from "./support.js"

const newTicket = (over: Record<string, unknown> = {}) => ({
  customer: "ana@example.com",
  subject: "Charged twice",
  body: "My invoice shows two charges, urgent please",
  ...over
})

/** A drafter that holds drafts of tickets whose subject says "[hold]" until interrupted, and counts interruptions. */
const makeDrafter = () => {
  const interrupted: Array<string> = []
  const held = Effect.runSync(Deferred.make<void>())
  const drafter = Layer.succeed(Ticket.Drafter, {
    draft: (ticket: Ticket.Ticket, feedback: string | undefined) =>
      ticket.subject.includes("[hold]")
        ? Deferred.succeed(held, undefined).pipe(
          Effect.andThen(Effect.never),
          Effect.onInterrupt(() => Effect.sync(() => interrupted.push(ticket.subject)))
        )
        : Effect.succeed(`Dear ${ticket.customer}: about ${ticket.subject}.${feedback === undefined ? "" : ` ${feedback}`}`)
  })
  return { drafter, interrupted, held }
}

/** A mailer that refuses every message while `down` is set. */
const makeOutbox = () => {
  const mail = { down: false, sent: 0 }
  const outbox = Layer.succeed(Ticket.Outbox, {
    send: (to: string) =>
      Effect.suspend(() =>
        mail.down ? Effect.fail(new Ticket.MailRejected({ to, reason: "mail server down" })) : Effect.succeed(`msg-${++mail.sent}`)
      )
  })
  return { outbox, mail }
}

/** Serves the API in this process on a free loopback port. */
const serve = async (store: Store, partitionKey?: string) => {
  const scope = Effect.runSync(Scope.make())
  const drafts = makeDrafter()
  const mailer = makeOutbox()
  const context = await Effect.runPromise(
    Layer.buildWithScope(layer({ port: 0, store, partitionKey, drafter: drafts.drafter, outbox: mailer.outbox }), scope)
  )
  const base = HttpServer.formatAddress(Context.get(context, HttpServer.HttpServer).address)
  return { base, drafts, mail: mailer.mail, close: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

const flow = (name: string, store: () => Store, partitionKey?: string) =>
  describe(name, () => {
    let server: Awaited<ReturnType<typeof serve>>
    beforeAll(async () => {
      server = await serve(store(), partitionKey)
    })
    afterAll(() => server.close())

    it("a ticket runs to the approval step, a rejection redrafts it, an approval sends it; history lists every saved step", async () => {
      const { base } = server
      const id = `t-${crypto.randomUUID()}`
      let started: Awaited<ReturnType<typeof request>> | undefined
      // Open the event stream before starting, so every event is seen.
      const first = await request(base, "POST", "/tickets", newTicket({ id }))
      started = first
      expect(started.status).toBe(202)
      expect(started.body).toMatchObject({ id, status: "running", last: "triage", sequenceId: 1 })
      expect(started.body.state).toMatchObject({ category: "billing", priority: "high" })

      const waiting = await untilStatus(base, id, "awaiting-approval")
      expect(waiting.messages.at(-1)?.data).toMatchObject({ next: "review", last: "draft", sequenceId: 2 })

      const rejected = await request(base, "POST", `/tickets/${id}/decision`, { verdict: "reject", by: "Bo", note: "Apologise first." })
      expect(rejected.status).toBe(202)
      const redrafted = await untilStatus(base, id, "awaiting-approval", undefined)
      // The snapshot may still say "running"; the stream goes on until the run halts again.
      const view = redrafted.messages.at(-1)?.data
      expect(view.sequenceId).toBe(4)
      expect(view.state.revisions).toBe(2)
      expect(view.state.draft).toContain("Apologise first.")

      const approved = await request(base, "POST", `/tickets/${id}/decision`, { verdict: "approve", by: "Bo" })
      expect(approved.status).toBe(202)
      const sent = await untilStatus(base, id, "sent")
      expect(sent.messages.at(-1)?.data.state.sent).toMatchObject({ to: "ana@example.com" })

      const got = await request(base, "GET", `/tickets/${id}`)
      expect(got.body).toMatchObject({ id, status: "sent", last: "send", sequenceId: 6 })
      expect(got.body.next).toBeUndefined()
      const history = await request(base, "GET", `/tickets/${id}/history`)
      expect(history.body.map((s: { action: string }) => s.action)).toEqual(["triage", "draft", "review", "draft", "review", "send"])
      expect(history.body.map((s: { sequenceId: number }) => s.sequenceId)).toEqual([1, 2, 3, 4, 5, 6])
      expect(history.body[2].state.decisions).toMatchObject([{ verdict: "reject", by: "Bo", note: "Apologise first." }])
      const list = await request(base, "GET", "/tickets")
      expect(list.body).toContainEqual(expect.objectContaining({ id, sequenceId: 6, last: "send" }))
    })

    it("streams the run's events as server-sent events, in order, and ends once the ticket has ended", async () => {
      const { base } = server
      const id = `t-${crypto.randomUUID()}`
      expect((await request(base, "POST", "/tickets", newTicket({ id }))).status).toBe(202)
      await untilStatus(base, id, "awaiting-approval")
      const all = await readEvents(base, id, () => false, async () => {
        expect((await request(base, "POST", `/tickets/${id}/decision`, { verdict: "approve", by: "Cy" })).status).toBe(202)
      })
      expect(all.ended).toBe(true)
      const steps = all.messages.filter((m) => m.event.startsWith("Step")).map((m) => `${m.event} ${m.data.action} ${m.data.sequenceId}`)
      expect(steps).toEqual(["StepStarted review 3", "StepCompleted review 3", "StepStarted send 4", "StepCompleted send 4"])
      expect(all.messages[0]).toMatchObject({ event: "status", data: { status: "awaiting-approval" } })
      expect(all.messages.at(-1)).toMatchObject({ event: "status", data: { status: "sent" } })
    })

    it("rejects malformed requests (400) and maps typed errors to statuses (404, 409)", async () => {
      const { base } = server
      const bad = await request(base, "POST", "/tickets", { customer: "not-an-address", subject: "x", body: "y" })
      expect(bad).toMatchObject({ status: 400, body: { status: 400, errors: [{ path: ["payload", "customer"] }] } })
      expect((await request(base, "POST", "/tickets", newTicket({ subject: "" }))).status).toBe(400)
      expect((await request(base, "POST", "/tickets", newTicket({ id: "Bad Id!" }))).status).toBe(400)
      const missing = await request(base, "GET", "/tickets/no-such-ticket")
      expect(missing).toMatchObject({ status: 404, body: { _tag: "TicketNotFound", id: "no-such-ticket" } })
      expect((await request(base, "GET", "/tickets/no-such-ticket/history")).status).toBe(404)
      expect((await fetch(`${base}/tickets/no-such-ticket/events`)).status).toBe(404)

      const id = `t-${crypto.randomUUID()}`
      await request(base, "POST", "/tickets", newTicket({ id }))
      expect(await request(base, "POST", "/tickets", newTicket({ id }))).toMatchObject({ status: 409, body: { _tag: "TicketExists", id } })
      await untilStatus(base, id, "awaiting-approval")
      expect((await request(base, "POST", `/tickets/${id}/decision`, { verdict: "maybe", by: "Bo" })).status).toBe(400)
      await request(base, "POST", `/tickets/${id}/decision`, { verdict: "approve", by: "Bo" })
      await untilStatus(base, id, "sent")
      const late = await request(base, "POST", `/tickets/${id}/decision`, { verdict: "approve", by: "Bo" })
      expect(late).toMatchObject({ status: 409, body: { _tag: "WrongStatus", status: "sent" } })
      expect((await request(base, "POST", `/tickets/${id}/cancel`, { by: "Bo", reason: "late" })).status).toBe(409)
    })

    it("of two decisions sent at once, one resumes the ticket and the other is refused (409)", async () => {
      const { base } = server
      const id = `t-${crypto.randomUUID()}`
      await request(base, "POST", "/tickets", newTicket({ id }))
      await untilStatus(base, id, "awaiting-approval")
      const replies = await Promise.all([
        request(base, "POST", `/tickets/${id}/decision`, { verdict: "approve", by: "Bo" }),
        request(base, "POST", `/tickets/${id}/decision`, { verdict: "reject", by: "Cy", note: "no" })
      ])
      expect(replies.map((r) => r.status).sort()).toEqual([202, 409])
      const winner = replies[0]!.status === 202 ? "approve" : "reject"
      const settled = await untilStatus(base, id, winner === "approve" ? "sent" : "awaiting-approval")
      expect(settled.messages.at(-1)?.data.state.decisions).toHaveLength(1)
    })

    it("a step failing with the action's typed error leaves the ticket failed at its last saved step; retry runs it again", async () => {
      const { base, mail } = server
      const id = `t-${crypto.randomUUID()}`
      await request(base, "POST", "/tickets", newTicket({ id }))
      await untilStatus(base, id, "awaiting-approval")
      expect((await request(base, "POST", `/tickets/${id}/retry`)).body).toMatchObject({ _tag: "WrongStatus", status: "awaiting-approval" })
      mail.down = true
      try {
        const failed = await untilStatus(base, id, "failed", async () => {
          expect((await request(base, "POST", `/tickets/${id}/decision`, { verdict: "approve", by: "Bo" })).status).toBe(202)
        })
        expect(failed.messages).toContainEqual(expect.objectContaining({ event: "StepFailed", data: expect.objectContaining({ action: "send", sequenceId: 4 }) }))
        // The review was saved; the send was not.
        expect(failed.messages.at(-1)?.data).toMatchObject({ status: "failed", last: "review", next: "send", sequenceId: 3 })
        expect(failed.messages.at(-1)?.data.error).toContain("mail server down")
      } finally {
        mail.down = false
      }
      expect((await request(base, "POST", `/tickets/${id}/retry`)).status).toBe(202)
      const sent = await untilStatus(base, id, "sent")
      expect(sent.messages.at(-1)?.data).toMatchObject({ sequenceId: 4, last: "send" })
      expect((await request(base, "GET", `/tickets/${id}/history`)).body.map((s: { action: string }) => s.action)).toEqual(["triage", "draft", "review", "send"])
    })

    it("cancels a ticket while a step runs (the step is interrupted) and one awaiting approval; both are saved as steps", async () => {
      const { base, drafts } = server
      const id = `t-${crypto.randomUUID()}`
      await request(base, "POST", "/tickets", newTicket({ id, subject: "Slow one [hold]" }))
      await Effect.runPromise(Deferred.await(drafts.held)) // the draft step is running now
      expect((await request(base, "GET", `/tickets/${id}`)).body).toMatchObject({ status: "running", next: "draft" })
      const cancelled = await request(base, "POST", `/tickets/${id}/cancel`, { by: "Bo", reason: "duplicate" })
      expect(cancelled).toMatchObject({ status: 200, body: { status: "cancelled", last: "cancelled", sequenceId: 3 } })
      expect(cancelled.body.state.cancelled).toMatchObject({ by: "Bo", reason: "duplicate" })
      expect(drafts.interrupted).toContain("Slow one [hold]")
      const history = await request(base, "GET", `/tickets/${id}/history`)
      expect(history.body.map((s: { action: string }) => s.action)).toEqual(["triage", "draft", "cancelled"])
      expect(history.body[1].state.draft).toBeNull()

      const other = `t-${crypto.randomUUID()}`
      await request(base, "POST", "/tickets", newTicket({ id: other }))
      await untilStatus(base, other, "awaiting-approval")
      const stopped = await request(base, "POST", `/tickets/${other}/cancel`, { by: "Cy", reason: "customer replied" })
      expect(stopped.body).toMatchObject({ status: "cancelled", sequenceId: 4 })
      expect((await request(base, "POST", `/tickets/${other}/decision`, { verdict: "approve", by: "Bo" })).status).toBe(409)
    })
  })

flow("on SQLite", () => ({ _tag: "sqlite", filename: join(mkdtempSync(join(tmpdir(), "teasel-backend-")), "tickets.db") }))

const pgUrl = process.env.TEASEL_PG_URL
describe("PostgreSQL", () => {
  it("TEASEL_PG_URL is set (the PostgreSQL tests need it)", () => {
    expect(pgUrl, "set TEASEL_PG_URL to a PostgreSQL database").toBeTruthy()
  })
})
// Each run keeps its tickets in a partition of its own, so runs do not see each other's.
flow("on PostgreSQL", () => ({ _tag: "pg", url: pgUrl ?? "postgres://missing" }), `tickets-${crypto.randomUUID()}`)
