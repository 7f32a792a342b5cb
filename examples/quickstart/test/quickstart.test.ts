import { Effect, Exit, Stream } from "effect"
import { Application, Graph } from "@teasel/core"
import { describe, expect, it } from "vitest"
import { EmptyTicket, open, ticket, triage } from "../src/triage.js"

const billing = ticket("T-1", "Ana", " Double charge ", "Charged twice, please refund ASAP.")

describe("quickstart triage", () => {
  it("runs a billing ticket to the end", async () => {
    const app = await Application.runPromise(open(billing), { haltAfter: ["send"] })
    expect(app.next).toBeUndefined()
    expect(app.last).toBe("send")
    expect(app.sequenceId).toBe(6)
    expect(app.state).toMatchObject({
      subject: "Double charge",
      category: "billing",
      priority: 1,
      team: "billing",
      tags: ["billing", "urgent"],
      sentBy: "auto"
    })
    expect(app.state.reply).toMatch(/^Hi Ana, .*billing team/)
    expect(app.state.log).toEqual([
      "received T-1 from Ana",
      "classified as billing, priority 1",
      "assigned to billing",
      `drafted a reply of ${app.state.reply.split(" ").length} words`,
      "sent, approved by auto"
    ])
  })

  it("streams events in order, with the reply's chunks inside its step", async () => {
    const events = await Effect.runPromise(Stream.runCollect(Application.stream(open(billing))))
    const steps = events.filter((e) => e._tag !== "Chunk").map((e) => e._tag === "Done" ? "Done" : `${e._tag} ${e.action}`)
    expect(steps).toEqual([
      "StepStarted receive", "StepCompleted receive",
      "StepStarted classify", "StepCompleted classify",
      "StepStarted tag", "StepCompleted tag",
      "StepStarted toBilling", "StepCompleted toBilling",
      "StepStarted draftReply", "StepCompleted draftReply",
      "StepStarted send", "StepCompleted send",
      "Done"
    ])
    const tags = events.map((e) => e._tag)
    const first = tags.indexOf("Chunk")
    const last = tags.lastIndexOf("Chunk")
    expect(events[first - 1]).toMatchObject({ _tag: "StepStarted", action: "draftReply" })
    expect(events[last + 1]).toMatchObject({ _tag: "StepCompleted", action: "draftReply" })
    const chunks = events.flatMap((e) => (e._tag === "Chunk" ? [e.chunk] : []))
    const done = events[events.length - 1]
    expect(done?._tag).toBe("Done")
    if (done?._tag === "Done") expect(chunks.join("")).toBe(done.app.state.reply)
    expect(events.every((e) => e.appId === "T-1")).toBe(true)
  })

  it("halts after, halts before, and resumes with inputs", async () => {
    const classified = await Effect.runPromise(Application.run(open(billing), { haltAfter: ["classify"] }))
    expect([classified.last, classified.next, classified.sequenceId]).toEqual(["classify", "tag", 2])

    const waiting = await Effect.runPromise(Application.run(classified, { haltBefore: ["send"] }))
    expect([waiting.last, waiting.next, waiting.sequenceId]).toEqual(["draftReply", "send", 5])
    expect(classified.sequenceId).toBe(2) // the earlier value is untouched

    const sent = await Effect.runPromise(
      Application.run(waiting, { haltBefore: ["send"], inputs: { approvedBy: "Sam" } })
    )
    expect([sent.last, sent.next, sent.state.sentBy]).toEqual(["send", undefined, "Sam"])
  })

  it("routes by the first matching transition", async () => {
    const bug = await Application.runPromise(open(ticket("T-2", "Bo", "Export", "It crashes")))
    expect(bug.state.team).toBe("engineering")
    const question = await Application.runPromise(open(ticket("T-3", "Cy", "Dark mode?", "Is there one?")))
    expect(question.state.team).toBeUndefined()
    expect(Graph.next(triage, "tag", question.state)).toBe("draftReply")
    expect(Graph.next(triage, "tag", bug.state)).toBe("toEngineering")
    expect(Graph.next(triage, "send", bug.state)).toBeUndefined()
  })

  it("fails with the classifier's typed error, after a StepFailed event", async () => {
    const empty = open(ticket("T-4", "Di", "?", " "))
    const exit = await Effect.runPromiseExit(Application.run(empty))
    expect(exit).toStrictEqual(Exit.fail(new EmptyTicket({ ticket: "T-4" })))

    const seen: Array<string> = []
    const streamed = await Effect.runPromiseExit(
      Stream.runForEach(Application.stream(empty), (e) => Effect.sync(() => seen.push(e._tag)))
    )
    expect(Exit.isFailure(streamed)).toBe(true)
    expect(seen).toEqual(["StepStarted", "StepCompleted", "StepStarted", "StepFailed"])
  })
})
