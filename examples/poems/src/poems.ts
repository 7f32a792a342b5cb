/**
 * The poem workflow: one subject, several poem styles, a few drafts each.
 *
 * Each style gets its own child application running the `drafting` sub-graph — write a draft,
 * have it edited, write the next draft with the editor's notes — until it has `maxDrafts`
 * drafts. `mapStates` runs the children concurrently and hands their final states back in style
 * order; `join` puts the last draft of every style into one text.
 *
 *     parent:   poems ──▶ join
 *                 │ mapStates: one child per style
 *     child:    write ──▶ edit ──▶ write ──▶ … (ends after draft maxDrafts)
 */
import { Effect } from "effect"
import { Application, Graph, mapStates, State } from "@teasel/core"
import { Model } from "./model.js"

/** The state of one style's child application. */
export interface Drafting {
  readonly subject: string
  readonly style: string
  readonly maxDrafts: number
  /** Every draft so far, oldest first. */
  readonly drafts: ReadonlyArray<string>
  /** The editor's notes on each draft but the last. */
  readonly notes: ReadonlyArray<string>
}

/** A finished poem: its last draft, and how it got there. */
export interface Poem {
  readonly style: string
  readonly text: string
  readonly drafts: number
  readonly notes: ReadonlyArray<string>
}

/** The state of the parent application. */
export interface Poems {
  readonly subject: string
  readonly styles: ReadonlyArray<string>
  readonly maxDrafts: number
  readonly poems: ReadonlyArray<Poem>
  readonly text: string
}

/** Writes the next draft; from the second on, the model sees the last draft and the notes on it. */
const write = (s: Drafting) =>
  Effect.gen(function*() {
    const model = yield* Model
    const poem = s.drafts.at(-1)
    const notes = s.notes.at(-1)
    const draft = yield* model.write({
      subject: s.subject,
      style: s.style,
      draft: s.drafts.length + 1,
      previous: poem === undefined || notes === undefined ? undefined : { poem, notes }
    })
    return State.append(s, "drafts", draft)
  })

/** Asks the model for notes on the latest draft. */
const edit = (s: Drafting) =>
  Effect.gen(function*() {
    const model = yield* Model
    const notes = yield* model.edit({
      subject: s.subject,
      style: s.style,
      draft: s.drafts.length,
      poem: s.drafts.at(-1) ?? ""
    })
    return State.append(s, "notes", notes)
  })

/**
 * One style's write → edit loop. After a `write`, the loop goes on to `edit` while there are
 * drafts left to write; otherwise no transition matches and the child application ends.
 */
export const drafting = Graph.make({
  actions: { write, edit },
  transitions: [
    ["write", "edit", (s) => s.drafts.length < s.maxDrafts],
    ["edit", "write"]
  ],
  entrypoint: "write"
})

/** Fans out one `drafting` child per style and collects their poems, in style order. */
const poems = mapStates(
  // The loop ends by itself, so nothing needs to halt it early.
  Graph.subgraph(drafting, { haltAfter: [] }),
  (s: Poems) =>
    s.styles.map((style): Drafting => ({ subject: s.subject, style, maxDrafts: s.maxDrafts, drafts: [], notes: [] })),
  (s, results) =>
    State.update(s, {
      poems: results.map((r) => ({ style: r.style, text: r.drafts.at(-1) ?? "", drafts: r.drafts.length, notes: r.notes }))
    })
)

/** Joins the poems into one text, each under its style. */
const join = (s: Poems) =>
  State.update(s, { text: s.poems.map((p) => `${p.style.toUpperCase()}\n\n${p.text}`).join("\n\n") })

/** The whole workflow. */
export const workflow = Graph.make({
  actions: { poems, join },
  transitions: [["poems", "join"]],
  entrypoint: "poems"
})

/** What the user asks for. */
export interface Request {
  readonly subject: string
  readonly styles: ReadonlyArray<string>
  readonly maxDrafts: number
}

/** An application of the workflow. */
export type PoemsApplication = typeof workflow extends Graph.Graph<Poems, infer K, infer E, infer R>
  ? Application.Application<Poems, K, E, R>
  : never

/** A fresh application of the workflow for `request`. */
export const application = (request: Request, id?: string): PoemsApplication =>
  Application.make({
    graph: workflow,
    state: { ...request, poems: [], text: "" },
    id
  })
