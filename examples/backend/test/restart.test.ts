import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { readEvents, request, type Server, startServer, untilStatus } from "./support.js"

const newTicket = (id: string) => ({ id, customer: "ana@example.com", subject: "Cannot log in", body: "The app crashes at start" })

const database = () => join(mkdtempSync(join(tmpdir(), "teasel-backend-restart-")), "tickets.db")

/** The server's status of a ticket, read from the database it was given. */
const status = async (server: Server, id: string) => (await request(server.base, "GET", `/tickets/${id}`)).body

const stores: ReadonlyArray<readonly [string, () => Record<string, string>]> = [
  ["SQLite", () => ({ TEASEL_BACKEND_DB: database() })],
  // A partition of its own per run, so runs do not see each other's tickets.
  ["PostgreSQL", () => ({ DATABASE_URL: pgUrl(), TEASEL_BACKEND_PARTITION: `tickets-${crypto.randomUUID()}` })]
]

const pgUrl = () => {
  const url = process.env.TEASEL_PG_URL
  if (url === undefined || url === "") throw new Error("set TEASEL_PG_URL to a PostgreSQL database (the PostgreSQL restart test needs it)")
  return url
}

describe("a server process restarted mid-workflow", () => {
  it.each(stores)("on %s, killed (SIGKILL) while a step runs and while a ticket awaits approval: the next process resumes both", async (_, store) => {
    const db = store()
    // The drafting "model" never answers in the first process: tickets stay in `draft`.
    const first = await startServer({ ...db, TEASEL_BACKEND_HOLD_DRAFTS: "1" })
    const running = "t-running"
    expect((await request(first.base, "POST", "/tickets", newTicket(running))).status).toBe(202)
    expect(await status(first, running)).toMatchObject({ status: "running", next: "draft", sequenceId: 1 })
    first.child.kill("SIGKILL")
    expect(await first.exited).toMatchObject({ signal: "SIGKILL" })

    const second = await startServer(db)
    try {
      expect(second.output()).toContain("resumed 1 ticket(s): t-running")
      const drafted = await untilStatus(second.base, running, "awaiting-approval")
      expect(drafted.messages.at(-1)?.data).toMatchObject({ sequenceId: 2, last: "draft", next: "review" })
      expect(drafted.messages.at(-1)?.data.state.draft).toContain("Cannot log in")
      second.child.kill("SIGKILL")
      await second.exited
    } finally {
      second.child.kill("SIGKILL")
    }

    // Awaiting approval when killed: nothing to resume, the decision continues it.
    const third = await startServer(db)
    try {
      expect(third.output()).not.toContain("resumed")
      expect(await status(third, running)).toMatchObject({ status: "awaiting-approval", sequenceId: 2 })
      expect((await request(third.base, "POST", `/tickets/${running}/decision`, { verdict: "approve", by: "Bo" })).status).toBe(202)
      const sent = await untilStatus(third.base, running, "sent")
      expect(sent.messages.at(-1)?.data).toMatchObject({ sequenceId: 4, last: "send" })
      const history = await request(third.base, "GET", `/tickets/${running}/history`)
      expect(history.body.map((s: { action: string }) => s.action)).toEqual(["triage", "draft", "review", "send"])
    } finally {
      third.child.kill("SIGKILL")
    }
  })

  it("SIGTERM shuts down gracefully: runs stop at their last saved step, event streams end, the process exits; the next start resumes", async () => {
    const db = database()
    const first = await startServer({ TEASEL_BACKEND_DB: db, TEASEL_BACKEND_HOLD_DRAFTS: "1" })
    const ids = ["t-a", "t-b", "t-c"]
    for (const id of ids) expect((await request(first.base, "POST", "/tickets", newTicket(id))).status).toBe(202)
    // An open event stream must not keep the server from stopping.
    const stream = readEvents(first.base, "t-a", () => false, () => {
      first.child.kill("SIGTERM")
    })
    const read = await stream
    expect(read.ended).toBe(true)
    const exit = await first.exited
    expect(exit).toEqual({ code: 0, signal: null })
    expect(first.output()).toContain("shutting down")

    const second = await startServer({ TEASEL_BACKEND_DB: db })
    try {
      expect(second.output()).toContain("resumed 3 ticket(s)")
      for (const id of ids) {
        const done = await untilStatus(second.base, id, "awaiting-approval")
        expect(done.messages.at(-1)?.data).toMatchObject({ id, sequenceId: 2 })
      }
    } finally {
      second.child.kill("SIGKILL")
    }
  })
})
