import * as A from "fp-ts/lib/Array.js"
import * as N from "fp-ts/lib/number.js"
import * as Ord from "fp-ts/lib/Ord.js"
import * as P from "fp-ts/lib/Predicate.js"
import type { Refinement } from "fp-ts/lib/Refinement.js"
import { describe, expect, it } from "vitest"
import { Application, Graph } from "@teasel/core"
import { isSome, on, when } from "@teasel/fp-ts"
import fc from "fast-check"

interface Ticket {
  readonly priority: number
  readonly tags: ReadonlyArray<string>
  readonly route: string
}

const route = (to: string) => (s: Ticket): Ticket => ({ ...s, route: to })
const urgent: P.Predicate<Ticket> = (s) => s.priority >= 8
const tagged = (tag: string): P.Predicate<Ticket> => (s) => s.tags.includes(tag)

const graph = Graph.make({
  actions: { triage: (s: Ticket) => s, pager: route("pager"), billing: route("billing"), queue: route("queue"), spam: route("spam") },
  transitions: [
    ["triage", "spam", isSome((s: Ticket) => A.findFirst((t: string) => t === "spam")([...s.tags]))],
    ["triage", "pager", P.and(tagged("outage"))(urgent)],
    ["triage", "billing", on<Ticket, "tags">("tags", (tags) => tags.includes("invoice"))],
    ["triage", "queue", when(P.not(urgent))],
    ["triage", "pager"]
  ],
  entrypoint: "triage"
})

const expected = (t: Ticket): string =>
  t.tags.includes("spam")
    ? "spam"
    : t.priority >= 8 && t.tags.includes("outage")
    ? "pager"
    : t.tags.includes("invoice")
    ? "billing"
    : t.priority < 8
    ? "queue"
    : "pager"

describe("conditions from fp-ts predicates", () => {
  it("fp-ts predicates and their combinators choose the transition", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          priority: fc.integer({ min: 0, max: 10 }),
          tags: fc.subarray(["spam", "outage", "invoice", "other"]),
          route: fc.constant("")
        }),
        async (ticket) => {
          const done = await Application.runPromise(Application.make({ graph, state: ticket }))
          expect(done.state.route).toBe(expected(ticket))
        }
      ),
      { numRuns: 100 }
    )
  })

  it("on and when accept a Refinement and an Ord-derived predicate", () => {
    const isString: Refinement<unknown, string> = (u): u is string => typeof u === "string"
    const named = on<{ readonly name: unknown }, "name">("name", isString)
    expect(named({ name: "a" })).toBe(true)
    expect(named({ name: 1 })).toBe(false)
    const atLeast5 = when<number>(Ord.between(N.Ord)(5, 10))
    expect([4, 5, 6].map(atLeast5)).toEqual([false, true, true])
  })
})
