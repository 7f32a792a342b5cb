/**
 * The poems program, as an Effect: load the application (or start it), say where it stands,
 * run it with one progress line per child step, then print the poems.
 *
 * With a `Persistence` layer every completed step is saved, so an application that stopped —
 * interrupted, crashed, or failed in a model call — resumes where it stood when it is loaded
 * again: styles whose poems were finished are not written again, an unfinished one continues from
 * its last saved step, and an application that had finished prints its saved poems without
 * calling the model at all.
 */
import { Data, Effect, Stream } from "effect"
import { Application, type Event, Parallel, Persistence } from "@teasel/core"
import { Model } from "./model.js"
import { type Drafting, type Poems, type PoemsApplication, type Request, workflow } from "./poems.js"

/** How a style's poem stood when the run began. */
export type StyleStart =
  | { readonly _tag: "New" }
  | { readonly _tag: "Finished"; readonly drafts: number }
  | { readonly _tag: "Partial"; readonly sequenceId: number; readonly drafts: number; readonly notes: number }

/** What a run of the program did. */
export type Outcome =
  | {
    /** The application had finished before: its saved poems, and nothing ran. */
    readonly _tag: "AlreadyComplete"
    readonly app: PoemsApplication
  }
  | {
    readonly _tag: "Completed"
    readonly app: PoemsApplication
    /** Whether anything of this application had been saved before this run. */
    readonly resumed: boolean
    /** Styles whose poems were finished before: not run again. */
    readonly reused: ReadonlyArray<string>
    /** Styles that had saved steps but no finished poem: continued from their last step. */
    readonly continued: ReadonlyArray<string>
    /** Styles run from their first draft. */
    readonly started: ReadonlyArray<string>
  }

/**
 * The saved children of an application do not match the request it is started with: it was
 * started before with other flags, and only its children were saved.
 */
export class RequestMismatch extends Data.TaggedError("RequestMismatch")<{
  readonly appId: string
  readonly message: string
}> {}

export interface DemoOptions {
  /** The poems to write when the application starts fresh; a saved application keeps its own. */
  readonly request: Request
  /** Which request flags the user gave, to say when a saved application ignores them. */
  readonly given?: ReadonlyArray<"subject" | "styles" | "drafts"> | undefined
  readonly id: string
  /** Where the steps are saved, for the header (`undefined`: in memory only). */
  readonly where?: string | undefined
  /** The command that resumes the application, printed in the header of a new one. */
  readonly resume?: string | undefined
  /** Prints a line; `console.log` by default. */
  readonly log?: ((line: string) => void) | undefined
}

/** The id of the `poems` step's child for style number `index`, when that step is step `sequenceId`. */
export const childOf = (appId: string, sequenceId: number, index: number): string =>
  Parallel.childId(appId, sequenceId, "poems", index)

const list = (styles: ReadonlyArray<string>) => styles.join(", ")
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`

/** Loads (or starts) application `id`, runs it to the end and prints its progress and poems. */
export const demo = (options: DemoOptions) =>
  Effect.gen(function*() {
    const log = options.log ?? ((line: string) => console.log(line))
    const model = yield* Model
    const store = yield* Persistence.Persistence
    const where = options.where ?? "memory only"
    const app = yield* Application.load({
      graph: workflow,
      id: options.id,
      state: { ...options.request, poems: [], text: "" }
    })
    const request: Request = app.state
    const width = Math.max(...request.styles.map((s) => s.length)) + 2

    // An application that has ended: its saved poems are the answer.
    if (app.next === undefined) {
      log(`Teasel poems: application ${app.id} was already complete (${plural(app.sequenceId, "step")} saved in ${where}).`)
      log(`Nothing runs again; its saved poems about "${request.subject}":`)
      log("")
      log(app.state.text)
      return { _tag: "AlreadyComplete", app } as Outcome
    }

    // Where each style stands. The `poems` step's children have ids derived from the parent's id
    // and step, so before it has run they can be looked up; once it is saved, all are finished.
    const starts = yield* Effect.forEach(request.styles, (style, index) =>
      app.next !== "poems"
        ? Effect.succeed<StyleStart>({ _tag: "Finished", drafts: request.maxDrafts })
        : Effect.flatMap(store.load({ appId: childOf(app.id, app.sequenceId + 1, index), partitionKey: app.partitionKey }), (saved) => {
          if (saved === undefined) return Effect.succeed<StyleStart>({ _tag: "New" })
          const child = saved.state as Drafting
          if (child.style !== style || child.subject !== request.subject || child.maxDrafts !== request.maxDrafts) {
            return Effect.fail(
              new RequestMismatch({
                appId: app.id,
                message: `application ${app.id} was started with other flags: its poem ${index + 1} is a ${child.style} ` +
                  `about "${child.subject}" in ${plural(child.maxDrafts, "draft")}, where this run asks for a ${style} ` +
                  `about "${request.subject}" in ${plural(request.maxDrafts, "draft")}. ` +
                  `Run it with the flags it was started with, or use a new --id.`
              })
            )
          }
          return Effect.succeed<StyleStart>(
            saved.next === undefined
              ? { _tag: "Finished", drafts: child.drafts.length }
              : { _tag: "Partial", sequenceId: saved.sequenceId, drafts: child.drafts.length, notes: child.notes.length }
          )
        }))
    const resumed = app.sequenceId > 0 || starts.some((s) => s._tag !== "New")

    log(
      `Teasel poems: "${request.subject}" as ${list(request.styles)}, ${plural(request.maxDrafts, "draft")} each`
    )
    log(`model: ${model.name}`)
    if (!resumed) {
      log(`application ${app.id}: new, saved in ${where}`)
      if (options.resume !== undefined) log(`  to resume it if it stops: ${options.resume}`)
    } else {
      log(`application ${app.id}: resumed from ${where}, at step ${app.sequenceId} (next: ${app.next})`)
      const ignored = (options.given ?? []).filter((flag) =>
        flag === "subject"
          ? options.request.subject !== request.subject
          : flag === "styles"
          ? list(options.request.styles) !== list(request.styles)
          : options.request.maxDrafts !== request.maxDrafts
      )
      if (ignored.length > 0) log(`  (${ignored.map((f) => `--${f}`).join(", ")} ignored: the saved application keeps its own)`)
      request.styles.forEach((style, i) => {
        const start = starts[i]!
        const what = start._tag === "Finished"
          ? `finished before (${plural(start.drafts, "draft")}): reused, not run again`
          : start._tag === "Partial"
          ? `unfinished: continues after step ${start.sequenceId} (${plural(start.drafts, "draft")}, ${plural(start.notes, "note")} saved)`
          : "not started: runs from the first draft"
        log(`  ${style.padEnd(width)}${what}`)
      })
    }
    log("")

    const started = Date.now()
    const at = () => `${String(Date.now() - started).padStart(5)} ms`
    // Children are known by id: the style of each, and how many drafts it had written.
    const styleOf = new Map<string, string>()
    const writes = new Map<string, number>()
    const ran = new Set<string>()
    let final: PoemsApplication | undefined

    const onEvent = (event: Event.Event<Poems>) =>
      Effect.sync(() => {
        if (event._tag === "Done") {
          final = event.app as PoemsApplication
          return
        }
        if (event.appId === app.id) {
          // The parent's own steps.
          if (event._tag === "StepStarted" && event.action === "poems") {
            request.styles.forEach((style, i) => {
              const id = childOf(app.id, event.sequenceId, i)
              const start = starts[i]!
              styleOf.set(id, style)
              writes.set(id, start._tag === "New" ? 0 : start.drafts)
            })
            const finished = starts.filter((s) => s._tag === "Finished").length
            log(
              `${at()}  [${event.sequenceId}] poems: ${request.styles.length} write/edit loops in parallel` +
                (finished > 0 ? ` (${finished} finished before)` : "")
            )
          } else if (event._tag === "StepStarted") {
            log(`${at()}  [${event.sequenceId}] ${event.action}`)
          } else if (event._tag === "StepCompleted" && event.action === "poems") {
            const s = event.state as Poems
            log(`${at()}  [${event.sequenceId}] poems done: ${s.poems.length} poems, ${s.poems.reduce((n, p) => n + p.drafts, 0)} drafts`)
          } else if (event._tag === "StepFailed") {
            log(`${at()}  [${event.sequenceId}] ${event.action} failed: ${String(event.error)}`)
          }
          return
        }
        // A child's steps: say which style, which draft, and which child application.
        const style = (styleOf.get(event.appId) ?? "?").padEnd(width)
        const tail = `(${event.appId})`
        switch (event._tag) {
          case "StepStarted": {
            ran.add(event.appId)
            if (event.action === "write") {
              const draft = (writes.get(event.appId) ?? 0) + 1
              writes.set(event.appId, draft)
              log(`${at()}      ${style}writing draft ${draft}`.padEnd(60) + tail)
            } else {
              log(`${at()}      ${style}editing draft ${writes.get(event.appId) ?? 0}`.padEnd(60) + tail)
            }
            break
          }
          case "StepCompleted": {
            const s = event.state as Drafting
            const done = event.action === "write"
              ? `draft ${s.drafts.length} written, ${s.drafts.at(-1)?.split("\n").length ?? 0} lines${
                s.drafts.length === s.maxDrafts ? " (final)" : ""
              }`
              : `notes: ${s.notes.at(-1)}`
            log(`${at()}      ${style}${done}`)
            break
          }
          case "StepFailed":
            log(`${at()}      ${style}${event.action} failed: ${String(event.error)}`)
            break
          case "Chunk":
            break
        }
      })

    yield* Stream.runForEach(Application.stream(app), onEvent)
    const done = final!

    // What ran: a style is reused when its child started no step in this run.
    const reused: Array<string> = []
    const continued: Array<string> = []
    const fresh: Array<string> = []
    request.styles.forEach((style, i) => {
      const id = app.next === "poems" ? childOf(app.id, app.sequenceId + 1, i) : undefined
      if (id === undefined || !ran.has(id)) reused.push(style)
      else if (starts[i]!._tag === "Partial") continued.push(style)
      else fresh.push(style)
    })
    log("")
    if (reused.length > 0) log(`reused (finished before, not run again): ${list(reused)}`)
    if (continued.length > 0) log(`continued from their last saved step: ${list(continued)}`)
    if (fresh.length > 0) log(`${resumed ? "run from the start" : "run"}: ${list(fresh)}`)
    log("")
    log(done.state.text)
    return { _tag: "Completed", app: done, resumed, reused, continued, started: fresh } as Outcome
  })
