/**
 * The language model behind the poem workflow, as an Effect service.
 *
 * `Model` has two operations — write a draft, edit (critique) a draft — and three ways to provide
 * it:
 *
 * - `Model.layerLocal()`: a deterministic stand-in that composes verses on this machine from the
 *   subject, the style and the draft number, after a short delay. No network, no key.
 * - `Model.layerLanguageModel(name)`: prompts whatever `effect/ai` `LanguageModel` is provided.
 * - `Model.layer`: OpenAI (through `openai.ts`) when `OPENAI_API_KEY` is set, the local model
 *   otherwise; `Model.layerFor(local)` the same, with options for the local model (`paced(ms)`).
 *
 * The workflow's actions only ever see `Model`, so which one runs is decided at the edge of the
 * program, by the layer it is given.
 */
import { Config, Context, Data, Duration, Effect, Layer, Option, Redacted } from "effect"
import { type AiError, LanguageModel } from "effect/ai"
import { FetchHttpClient } from "effect/http"
import * as OpenAi from "./openai.js"

/** Asks for draft number `draft` (from 1) of a poem; from the second on, with the last draft and the notes on it. */
export interface WriteRequest {
  readonly subject: string
  readonly style: string
  readonly draft: number
  readonly previous?: { readonly poem: string; readonly notes: string } | undefined
}

/** Asks for editor's notes on draft number `draft`. */
export interface EditRequest {
  readonly subject: string
  readonly style: string
  readonly draft: number
  readonly poem: string
}

/** The model could not write or edit a draft; names the style and the draft. */
export class ModelError extends Data.TaggedError("ModelError")<{
  readonly operation: "write" | "edit"
  readonly style: string
  readonly draft: number
  readonly message: string
  readonly cause?: unknown
}> {}

/** What the workflow needs from a model. */
export interface ModelShape {
  /** Which model this is, for the program's header. */
  readonly name: string
  readonly write: (request: WriteRequest) => Effect.Effect<string, ModelError>
  readonly edit: (request: EditRequest) => Effect.Effect<string, ModelError>
}

/** Options of the local model. */
export interface LocalOptions {
  /** How long each call takes; by default 20–80 ms, varying with the style and the draft. */
  readonly latency?: ((operation: "write" | "edit", style: string, draft: number) => Duration.Input) | undefined
}

// --- the local stand-in --------------------------------------------------------------------------

const adjectives = ["quiet", "patient", "bright", "steady", "restless", "careful", "plain"]
const verbs = ["waits", "turns", "hums", "settles", "wakes", "returns", "listens"]
const notes = [
  "the second line could carry more weight",
  "sharpen the closing image",
  "let the rhythm breathe in the middle",
  "say more plainly what the subject does"
]

/** A small, stable string hash: the same subject and style always give the same verses. */
const hash = (text: string): number => {
  let h = 7
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0
  return h
}

/** The lines of draft `draft` of a poem in `style` about `subject`. */
export const compose = (subject: string, style: string, draft: number): ReadonlyArray<string> => {
  const seed = hash(subject) + draft - 1
  const a = (i: number) => adjectives[(seed + i) % adjectives.length]!
  const v = (i: number) => verbs[(seed + i) % verbs.length]!
  const Subject = subject.charAt(0).toUpperCase() + subject.slice(1)
  switch (style.toLowerCase()) {
    case "haiku":
      return [`${Subject}, ${a(0)}`, `each step ${v(1)} for the next one`, `the last edge, a ${a(2)} home`]
    case "limerick":
      return [
        `There once was a thing called ${subject},`,
        `so ${a(0)} it barely would budge;`,
        `it paused, then it ran,`,
        `as only it can,`,
        `and ${v(2)} with a ${a(3)} little nudge.`
      ]
    default:
      // Any other form gets a stanza of six lines: the stand-in knows no more shapes.
      return [
        `Of ${subject} I write, ${a(0)} and slow,`,
        `where every state ${v(1)} for its cue;`,
        `the edges tell it where to go,`,
        `and nothing runs that it never knew.`,
        `So branches part, and each one ${v(2)},`,
        `then meet again, in order, ${a(3)} and true.`
      ]
  }
}

/**
 * A steady pace for the local model: each call about a poem of six lines or more takes `ms`,
 * one about a shorter poem proportionally less (a haiku, half). For watching the children run —
 * and for having time to press Ctrl-C.
 */
export const paced = (ms: number): NonNullable<LocalOptions["latency"]> => (_operation, style) =>
  Duration.millis(Math.round((ms * Math.min(6, compose("", style, 1).length)) / 6))

const defaultLatency = (operation: "write" | "edit", style: string, draft: number): Duration.Input =>
  Duration.millis(20 + ((hash(style) + draft * 17 + (operation === "edit" ? 11 : 0)) % 61))

const makeLocal = (options?: LocalOptions): ModelShape => {
  const latency = options?.latency ?? defaultLatency
  return {
    name: "local stand-in (no network; set OPENAI_API_KEY to use OpenAI)",
    write: (request) =>
      Effect.as(
        Effect.sleep(latency("write", request.style, request.draft)),
        compose(request.subject, request.style, request.draft).join("\n")
      ),
    edit: (request) =>
      Effect.as(
        Effect.sleep(latency("edit", request.style, request.draft)),
        `Draft ${request.draft}: ${notes[(hash(request.subject + request.style) + request.draft - 1) % notes.length]}.`
      )
  }
}

// --- any effect/ai LanguageModel ------------------------------------------------------------------

const poet = "You are a poet. Answer with the poem only: no title, no commentary, no quotation marks."
const editor = "You are a poetry editor. Answer with two or three short, concrete suggestions, nothing else."

const makeFromLanguageModel = (name: string) =>
  LanguageModel.LanguageModel.useSync((model): ModelShape => {
    const ask = (
      operation: "write" | "edit",
      request: { readonly style: string; readonly draft: number },
      system: string,
      user: string
    ) =>
      model.generateText({ prompt: [{ role: "system", content: system }, { role: "user", content: user }] }).pipe(
        Effect.map((response) => response.text.trim()),
        Effect.mapError((cause: AiError.AiError) =>
          new ModelError({
            operation,
            style: request.style,
            draft: request.draft,
            message: `${name} could not ${operation} draft ${request.draft} of the ${request.style}: ${cause.message}`,
            cause
          })
        )
      )
    return {
      name,
      write: (request) =>
        ask(
          "write",
          request,
          poet,
          request.previous === undefined
            ? `Write a ${request.style} about ${request.subject}.`
            : `Here is a ${request.style} about ${request.subject}:\n\n${request.previous.poem}\n\n` +
              `An editor wrote:\n${request.previous.notes}\n\nWrite an improved version.`
        ),
      edit: (request) =>
        ask("edit", request, editor, `How could this ${request.style} about ${request.subject} be better?\n\n${request.poem}`)
    }
  })

// --- the service ----------------------------------------------------------------------------------

/**
 * The model the poem workflow writes and edits with.
 *
 * @example
 * ```ts
 * const poem = Model.use((model) => model.write({ subject: "tea", style: "haiku", draft: 1 }))
 * Effect.runPromise(Effect.provide(poem, Model.layerLocal()))
 * ```
 */
export class Model extends Context.Service<Model, ModelShape>()("@teasel/example-poems/Model") {
  /** The deterministic local stand-in. */
  static readonly layerLocal = (options?: LocalOptions): Layer.Layer<Model> => Layer.succeed(Model, makeLocal(options))

  /** A model that prompts the provided `effect/ai` `LanguageModel`; `name` is shown in the header. */
  static readonly layerLanguageModel = (name: string): Layer.Layer<Model, never, LanguageModel.LanguageModel> =>
    Layer.effect(Model, makeFromLanguageModel(name))

  /** `layer`, with these options for the local stand-in (they do not apply to OpenAI). */
  static readonly layerFor = (local?: LocalOptions): Layer.Layer<Model, Config.ConfigError> =>
    Layer.unwrap(
      Effect.gen(function*() {
        const apiKey = Option.filter(
          yield* Config.option(Config.Redacted("OPENAI_API_KEY")),
          (key) => Redacted.value(key).trim() !== ""
        )
        if (Option.isNone(apiKey)) return Model.layerLocal(local)
        const model = yield* Config.withDefault(Config.String("OPENAI_MODEL"), OpenAi.defaultModel)
        const baseUrl = yield* Config.withDefault(Config.String("OPENAI_BASE_URL"), OpenAi.defaultBaseUrl)
        return Model.layerLanguageModel(`OpenAI ${model}`).pipe(
          Layer.provide(OpenAi.layer({ apiKey: apiKey.value, model, baseUrl })),
          Layer.provide(FetchHttpClient.layer)
        )
      })
    )

  /**
   * OpenAI when `OPENAI_API_KEY` is set (model `OPENAI_MODEL`, default `gpt-4o-mini`; endpoint
   * `OPENAI_BASE_URL`, default `https://api.openai.com/v1`), the local stand-in otherwise.
   */
  static readonly layer: Layer.Layer<Model, Config.ConfigError> = Model.layerFor()
}
