/**
 * Schedule exploration: a workflow whose parallel step handles failures by retrying keeps its
 * invariant under every schedule; one that collects failures and drops them does not, and the
 * schedule that shows it shrinks to one failing child; runs replay from the printed seed.
 */
import { Effect, Exit, Schedule } from "effect"
import { describe, expect, it } from "vitest"
import { Graph, mapStates, State } from "@teasel/core"
import { Testing } from "../src/index.js"

interface Draft {
  readonly topic: string
  readonly drafts: ReadonlyArray<string>
}
interface Issue {
  readonly topics: ReadonlyArray<string>
  readonly articles: ReadonlyArray<string>
  readonly published: boolean
}

const write = (s: Draft) => Effect.as(Effect.sleep(`${10 * s.topic.length} millis`), State.append(s, "drafts", `${s.topic} v${s.drafts.length + 1}`))
const drafting = Graph.make({
  actions: { write, revise: write },
  transitions: [["write", "revise"]],
  entrypoint: "write"
})
const issueOf = (options: Parameters<typeof mapStates>[3]) => {
  const articles = mapStates(
    Graph.subgraph(drafting),
    (s: Issue) => s.topics.map((topic) => ({ topic, drafts: [] })),
    (s, results) => ({ ...s, articles: results.map((r) => r.drafts.at(-1) ?? "") }),
    options
  )
  const publish = (s: Issue) => ({ ...s, published: true })
  return Graph.make({ actions: { articles, publish }, transitions: [["articles", "publish"]], entrypoint: "articles" })
}
const start: Issue = { topics: ["tea", "maps", "rain"], articles: [], published: false }
const complete = (s: Issue | undefined) => s !== undefined && s.published && s.articles.join() === "tea v2,maps v2,rain v2"

describe("explore", () => {
  it("a workflow that retries its children keeps its invariant under every schedule", async () => {
    const seen = { killed: 0, failed: 0, resumed: 0, runs: 0 }
    await Testing.explore({
      graph: issueOf({ retry: Schedule.recurs(3) }),
      state: start,
      numRuns: 100,
      failures: 0.2,
      kills: 0.3,
      invariant: (outcome) => {
        seen.runs++
        if (outcome.killedAfter !== undefined) seen.killed++
        if (outcome.failed.length > 0) seen.failed++
        if (outcome.attempts === 2) seen.resumed++
        return Exit.isSuccess(outcome.exit) && complete(outcome.state) && complete(outcome.reference)
      }
    })
    // The schedules did exercise kills, failures and resumes.
    expect(seen.runs).toBe(100)
    expect(seen.killed).toBeGreaterThan(5)
    expect(seen.failed).toBeGreaterThan(5)
    expect(seen.resumed).toBeGreaterThanOrEqual(seen.killed)
  })

  it("a workflow that fails on a child failure is resumed, and ends complete", () =>
    Testing.explore({
      graph: issueOf(undefined),
      state: start,
      numRuns: 100,
      failures: 0.3,
      invariant: ({ exit, state, attempts, failed }) =>
        Exit.isSuccess(exit) && complete(state) && (failed.length === 0 || attempts === 2)
    }))

  it("catches a workflow that drops failed children, with the smallest schedule", async () => {
    const error = await Testing.explore({
      graph: issueOf({ onError: "collect" }),
      state: start,
      invariant: ({ state }) => complete(state)
    }).then(() => undefined, (e: Testing.LawError) => e)
    expect(error?.law).toBe("keeps its invariant")
    // One child failing is enough; no delay and no kill are needed to show it.
    expect(error?.counterexample).toEqual({ seed: 0, delays: [], failing: [0], killAfter: undefined })
    expect(error?.detail).toContain(`children failed on purpose: 0 of explore:1:articles:0; ended with state {"topics":["tea","maps","rain"],"articles":["maps v2","rain v2"],"published":true}`)
  })

  it("replays a failing schedule exactly from the printed seed and path", async () => {
    const run = (seed: number, path?: string) =>
      Testing.explore({
        graph: issueOf({ onError: "collect" }),
        state: start,
        seed,
        path,
        kills: 0.5,
        invariant: ({ state, killedAfter }) => killedAfter === undefined || complete(state) && killedAfter < 3
      }).then(() => undefined, (e: Testing.LawError) => e)
    const first = await run(Math.floor(Math.random() * 2 ** 31))
    expect(first).toBeInstanceOf(Testing.LawError)
    const again = await run(first!.seed, first!.path)
    expect(again?.counterexample).toEqual(first?.counterexample)
    expect(again?.detail).toBe(first?.detail)
  })

  it("reports an invariant that throws", async () => {
    const error = await Testing.explore({
      graph: issueOf(undefined),
      state: start,
      numRuns: 5,
      invariant: () => {
        throw new Error("no")
      }
    }).then(() => undefined, (e: Testing.LawError) => e)
    expect(error?.detail).toMatch(/The invariant threw Error: no$/)
  })
})
