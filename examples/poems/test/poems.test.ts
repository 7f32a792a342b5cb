import { ConfigProvider, Duration, Effect, Exit, Fiber, Layer, Redacted, Stream } from "effect"
import { HttpClient, HttpClientResponse } from "effect/http"
import { TestClock } from "effect/testing"
import { Application, type Event } from "@teasel/core"
import { describe, expect, it } from "vitest"
import { parseCommand, shellQuote } from "../src/cli.js"
import { compose, Model, ModelError } from "../src/model.js"
import * as OpenAi from "../src/openai.js"
import { application, type Drafting, type Poems } from "../src/poems.js"

const subject = "state machines"
const styles = ["sonnet", "limerick", "haiku", "ode"]

/**
 * Later styles answer faster, so the children finish in the reverse of style order: the local
 * model sleeps, and the workflow runs on Effect's `TestClock`, so the order is decided by the
 * latencies, not by how busy the machine is.
 */
const reversed = Model.layerLocal({ latency: (_op, style) => Duration.millis(5 * (styles.length - styles.indexOf(style))) })

const runAll = (maxDrafts: number, layer: Layer.Layer<Model> = reversed) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(
        Stream.runCollect(Application.stream(application({ subject, styles, maxDrafts }, "P"))).pipe(Effect.provide(layer))
      )
      yield* TestClock.adjust("1 hour")
      return yield* Fiber.join(fiber)
    }).pipe(Effect.provide(TestClock.layer()))
  )

/** Index of the last element matching `p` (ES2022 has no findLastIndex), or -1. */
const lastIndex = <A>(xs: ReadonlyArray<A>, p: (a: A) => boolean): number => {
  for (let i = xs.length - 1; i >= 0; i--) if (p(xs[i]!)) return i
  return -1
}

const finalOf = (events: ReadonlyArray<Event.Event<Poems>>): Poems => {
  const done = events[events.length - 1]
  if (done?._tag !== "Done") throw new Error("the stream did not end with Done")
  return done.app.state
}

describe("the poem workflow, with the local model", () => {
  it.each([1, 2, 3])("gives every style exactly %i draft(s), in style order, joined into one text", async (maxDrafts) => {
    const events = await runAll(maxDrafts)
    const final = finalOf(events)

    expect(final.poems.map((p) => p.style)).toEqual(styles)
    for (const poem of final.poems) {
      expect(poem.drafts).toBe(maxDrafts)
      expect(poem.notes).toHaveLength(maxDrafts - 1)
      expect(poem.text).toBe(compose(subject, poem.style, maxDrafts).join("\n"))
      expect(final.text).toContain(`${poem.style.toUpperCase()}\n\n${poem.text}`)
    }
    // The joined text keeps the style order.
    const positions = styles.map((s) => final.text.indexOf(s.toUpperCase()))
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)

    // Each child wrote `maxDrafts` times and edited between drafts.
    styles.forEach((_, i) => {
      const own = events.filter((e) => e.appId === `P:1:poems:${i}`)
      expect(own.filter((e) => e._tag === "StepCompleted" && e.action === "write")).toHaveLength(maxDrafts)
      expect(own.filter((e) => e._tag === "StepCompleted" && e.action === "edit")).toHaveLength(maxDrafts - 1)
      const last = own.filter((e) => e._tag === "StepCompleted").at(-1)
      expect((last as Event.StepCompleted<Drafting>).state.drafts).toHaveLength(maxDrafts)
    })
  })

  it("streams each child's steps with its id and parentId, before the parent's poems step completes", async () => {
    const events = await runAll(2)
    const childIds = [...new Set(events.filter((e) => e.appId !== "P").map((e) => e.appId))].sort()
    expect(childIds).toEqual(styles.map((_, i) => `P:1:poems:${i}`))
    expect(events.filter((e) => e.appId !== "P").every((e) => "parentId" in e && e.parentId === "P")).toBe(true)

    const parentDone = events.findIndex((e) => e._tag === "StepCompleted" && e.appId === "P" && e.action === "poems")
    const lastChild = lastIndex(events, (e) => e.appId !== "P")
    expect(lastChild).toBeLessThan(parentDone)
    // The last style answers first: its child completes before the first style's child.
    const completedAt = (id: string) => lastIndex(events, (e) => e._tag === "StepCompleted" && e.appId === id)
    expect(completedAt("P:1:poems:3")).toBeLessThan(completedAt("P:1:poems:0"))

    const parentSteps = events.filter((e) => e.appId === "P" && e._tag !== "Done").map((e) => `${e._tag} ${"action" in e ? e.action : ""}`)
    expect(parentSteps).toEqual(["StepStarted poems", "StepCompleted poems", "StepStarted join", "StepCompleted join"])
  })

  it("fails the step with a ParallelError naming the child when the model fails", async () => {
    const failing = Layer.succeed(Model, {
      name: "failing",
      write: (r) =>
        r.style === "haiku"
          ? Effect.fail(new ModelError({ operation: "write", style: r.style, draft: r.draft, message: "out of syllables" }))
          : Effect.succeed(compose(r.subject, r.style, r.draft).join("\n")),
      edit: () => Effect.succeed("fine")
    })
    const exit = await Effect.runPromiseExit(
      Application.run(application({ subject, styles, maxDrafts: 2 }, "F")).pipe(Effect.provide(failing))
    )
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) {
      const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
      expect(reason?._tag === "Fail" && reason.error).toMatchObject({
        _tag: "ParallelError",
        action: "poems",
        index: 2,
        childId: "F:1:poems:2",
        cause: { _tag: "ModelError", style: "haiku", draft: 1 }
      })
    }
  })
})

describe("the OpenAI provider, against a fake HTTP client", () => {
  const fakeHttp = (
    handle: (body: { model: string; messages: Array<{ role: string; content: string }> }, auth: string | undefined) => Response
  ) =>
    Layer.succeed(
      HttpClient.HttpClient,
      HttpClient.make((request, url) =>
        Effect.sync(() => {
          expect(url.toString()).toBe("https://llm.test/v1/chat/completions")
          const body = request.body._tag === "Uint8Array" ? JSON.parse(new TextDecoder().decode(request.body.body)) : undefined
          return HttpClientResponse.fromWeb(request, handle(body, request.headers["authorization"]))
        })
      )
    )

  const openAi = (http: Layer.Layer<HttpClient.HttpClient>) =>
    Model.layerLanguageModel("OpenAI test").pipe(
      Layer.provide(OpenAi.layer({ apiKey: Redacted.make("sk-test"), model: "gpt-test", baseUrl: "https://llm.test/v1" })),
      Layer.provide(http)
    )

  it("sends the prompt as chat messages and returns the reply", async () => {
    const seen: Array<unknown> = []
    const http = fakeHttp((body, auth) => {
      seen.push({ ...body, auth })
      return Response.json({
        choices: [{ message: { content: "  Tea steams, cools, is gone  " }, finish_reason: "stop" }],
        usage: { prompt_tokens: 12, completion_tokens: 7 }
      })
    })
    const poem = await Effect.runPromise(
      Model.use((m) => m.write({ subject: "tea", style: "haiku", draft: 1 })).pipe(Effect.provide(openAi(http)))
    )
    expect(poem).toBe("Tea steams, cools, is gone")
    expect(seen).toEqual([
      {
        model: "gpt-test",
        auth: "Bearer sk-test",
        messages: [
          { role: "system", content: expect.stringContaining("poet") },
          { role: "user", content: "Write a haiku about tea." }
        ]
      }
    ])
  })

  it("turns an HTTP error into a ModelError carrying the AiError", async () => {
    const http = fakeHttp(() => Response.json({ error: { message: "Incorrect API key" } }, { status: 401 }))
    const exit = await Effect.runPromiseExit(
      Model.use((m) => m.edit({ subject: "tea", style: "haiku", draft: 1, poem: "..." })).pipe(Effect.provide(openAi(http)))
    )
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isFailure(exit)) {
      const reason = exit.cause.reasons.find((r) => r._tag === "Fail")
      const error = reason?._tag === "Fail" ? reason.error : undefined
      expect(error).toBeInstanceOf(ModelError)
      expect(error).toMatchObject({ operation: "edit", style: "haiku", cause: { _tag: "AiError", reason: { _tag: "AuthenticationError" } } })
    }
  })
})

describe("Model.layer", () => {
  const nameWith = (env: Record<string, string>) =>
    Effect.runPromise(
      Model.useSync((m) => m.name).pipe(
        Effect.provide(Model.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromUnknown(env)))))
      )
    )

  it("is the local model without OPENAI_API_KEY, OpenAI with it", async () => {
    expect(await nameWith({})).toMatch(/^local stand-in/)
    expect(await nameWith({ OPENAI_API_KEY: " " })).toMatch(/^local stand-in/)
    expect(await nameWith({ OPENAI_API_KEY: "sk-test" })).toBe("OpenAI gpt-4o-mini")
    expect(await nameWith({ OPENAI_API_KEY: "sk-test", OPENAI_MODEL: "gpt-test" })).toBe("OpenAI gpt-test")
  })
})

describe("the command line", () => {
  const parse = (...argv: Array<string>) => parseCommand(argv, { cwd: "/home/me/teasel", newId: () => "poems-new" })

  it("has defaults, accepts pnpm's `--` separator and rejects bad counts", () => {
    expect(parse()).toEqual({
      request: { subject: "state machines", styles: ["sonnet", "limerick", "haiku"], maxDrafts: 2 },
      given: [],
      id: "poems-new",
      idGiven: false,
      db: "/home/me/teasel/.teasel/teasel.db",
      delay: undefined,
      resumeArgs: ["--id", "poems-new"]
    })
    expect(parse("--", "--subject", "tea", "--styles", " haiku, tanka ,", "--drafts", "3")).toMatchObject({
      request: { subject: "tea", styles: ["haiku", "tanka"], maxDrafts: 3 },
      given: ["subject", "styles", "drafts"]
    })
    expect(parse("--drafts", "0")).toMatchObject({ error: expect.stringContaining("--drafts") })
    expect(parse("--drafts", "2.5")).toMatchObject({ error: expect.stringContaining("--drafts") })
    expect(parse("--styles", ",")).toMatchObject({ error: expect.stringContaining("--styles") })
    expect(parse("--nope")).toMatchObject({ error: expect.stringContaining("nope") })
    expect(parse("-h")).toBe("help")
  })

  it("saves to .teasel/teasel.db where the user runs it, or to --db, or nowhere with --memory", () => {
    expect(parse("--db", "poems.db")).toMatchObject({ db: "/home/me/teasel/poems.db" })
    expect(parse("--db", "/var/tmp/x.db")).toMatchObject({ db: "/var/tmp/x.db" })
    expect(parse("--memory")).toMatchObject({ db: undefined })
    expect(parse("--memory", "--db", "x.db")).toMatchObject({ error: expect.stringContaining("--memory") })
    expect(parse("--db", " ")).toMatchObject({ error: expect.stringContaining("--db") })
  })

  it("resumes with --id: the resume arguments repeat the flags given, with the id", () => {
    expect(parse("--id", "poems-1234")).toMatchObject({ id: "poems-1234", idGiven: true, resumeArgs: ["--id", "poems-1234"] })
    expect(parse("--subject", "green tea", "--db", "t.db", "--delay", "500")).toMatchObject({
      id: "poems-new",
      delay: 500,
      resumeArgs: ["--id", "poems-new", "--subject", "green tea", "--db", "t.db", "--delay", "500"]
    })
    expect(parse("--id", "")).toMatchObject({ error: expect.stringContaining("--id") })
    expect(parse("--delay", "soon")).toMatchObject({ error: expect.stringContaining("--delay") })
  })

  it("quotes arguments for the shell only when needed", () => {
    expect(shellQuote("poems-1a2b")).toBe("poems-1a2b")
    expect(shellQuote(".teasel/teasel.db")).toBe(".teasel/teasel.db")
    expect(shellQuote("green tea")).toBe("'green tea'")
    expect(shellQuote("it's")).toBe(`'it'\\''s'`)
  })
})
