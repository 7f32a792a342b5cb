/**
 * A minimal OpenAI provider for Effect's AI modules: a `LanguageModel` (from `effect/ai`) that
 * sends the prompt to OpenAI's chat completions endpoint with Effect's own `HttpClient` and
 * returns the reply as text.
 *
 * Why it is here: `@effect/ai-openai` has no release for effect 4.1 yet — its 4.0 betas import
 * `effect/unstable/ai/*`, which effect 4.1 publishes as `effect/ai`. When a compatible release
 * ships, provide its `OpenAiLanguageModel.model(...)` instead of `layer(...)`: the `Model` service
 * only needs a `LanguageModel`.
 *
 * Text only: no tools, no structured output, and `streamText` delivers the whole reply as one delta.
 */
import { Effect, Layer, type Redacted, Schema, Stream } from "effect"
import { AiError, LanguageModel, type Prompt, type Response } from "effect/ai"
import { HttpClient, type HttpClientError, HttpClientRequest, HttpClientResponse } from "effect/http"

export const defaultModel = "gpt-4o-mini"
export const defaultBaseUrl = "https://api.openai.com/v1"

export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  /** A chat model name, e.g. `gpt-4o-mini`. */
  readonly model: string
  /** The API root; any OpenAI-compatible server works. */
  readonly baseUrl?: string | undefined
}

/** The part of a chat completion this provider reads; other fields are ignored. */
const ChatCompletion = Schema.Struct({
  choices: Schema.Array(Schema.Struct({
    message: Schema.Struct({ content: Schema.NullOr(Schema.String) }),
    finish_reason: Schema.NullOr(Schema.String)
  })),
  usage: Schema.optional(Schema.Struct({ prompt_tokens: Schema.Number, completion_tokens: Schema.Number }))
})

interface ChatMessage {
  readonly role: "system" | "user" | "assistant"
  readonly content: string
}

/** The prompt as chat messages: text parts only (files, reasoning and tool parts are left out). */
export const toMessages = (prompt: Prompt.Prompt): Array<ChatMessage> => {
  const messages: Array<ChatMessage> = []
  for (const message of prompt.content) {
    if (message.role === "system") {
      messages.push({ role: "system", content: message.content })
    } else if (message.role === "user" || message.role === "assistant") {
      let text = ""
      for (const part of message.content) if (part.type === "text") text += part.text
      messages.push({ role: message.role, content: text })
    }
  }
  return messages
}

const finishReason = (reason: string | null | undefined): Response.FinishReason => {
  switch (reason) {
    case "stop":
      return "stop"
    case "length":
      return "length"
    case "content_filter":
      return "content-filter"
    case "tool_calls":
    case "function_call":
      return "tool-calls"
    case null:
    case undefined:
      return "unknown"
    default:
      return "other"
  }
}

const fail = (reason: AiError.AiErrorReason) => AiError.make({ module: "OpenAi", method: "generateText", reason })

const fromHttpClientError = (error: HttpClientError.HttpClientError): AiError.AiError => {
  const reason = error.reason
  return reason._tag === "TransportError" || reason._tag === "EncodeError" || reason._tag === "InvalidUrlError"
    ? fail(AiError.NetworkError.fromRequestError(reason))
    : fail(new AiError.InvalidResponseError({ description: error.message }))
}

/** The error message an OpenAI error body carries (`{ error: { message } }`), if any. */
const describeBody = (body: unknown): string | undefined => {
  const error = (body as { error?: { message?: unknown } } | undefined)?.error
  return typeof error?.message === "string" ? error.message : undefined
}

/**
 * A `LanguageModel` backed by the chat completions endpoint. Requires an `HttpClient`
 * (`FetchHttpClient.layer` in Node 22).
 */
export const make = (options: Options): Effect.Effect<LanguageModel.LanguageModel, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const url = `${options.baseUrl ?? defaultBaseUrl}/chat/completions`

    const generateText = (provider: LanguageModel.ProviderOptions) =>
      Effect.gen(function*() {
        const request = HttpClientRequest.post(url).pipe(
          HttpClientRequest.bearerToken(options.apiKey),
          HttpClientRequest.acceptJson,
          HttpClientRequest.bodyJsonUnsafe({ model: options.model, messages: toMessages(provider.prompt) })
        )
        const response = yield* Effect.mapError(client.execute(request), fromHttpClientError)
        if (response.status < 200 || response.status >= 300) {
          const body = yield* Effect.orElseSucceed(response.json, () => undefined)
          return yield* fail(AiError.reasonFromHttpStatus({ status: response.status, body, description: describeBody(body) }))
        }
        const completion = yield* HttpClientResponse.schemaBodyJson(ChatCompletion)(response).pipe(
          Effect.mapError((error) =>
            Schema.isSchemaError(error)
              ? fail(AiError.InvalidResponseError.fromSchemaError(error))
              : fromHttpClientError(error)
          )
        )
        const choice = completion.choices[0]
        const parts: Array<Response.PartEncoded> = [
          { type: "text", text: choice?.message.content ?? "" },
          {
            type: "finish",
            reason: finishReason(choice?.finish_reason),
            usage: {
              inputTokens: { total: completion.usage?.prompt_tokens },
              outputTokens: { total: completion.usage?.completion_tokens }
            }
          }
        ]
        return parts
      })

    return yield* LanguageModel.make({
      generateText,
      streamText: (provider) =>
        Stream.fromEffect(generateText(provider)).pipe(
          Stream.flatMap((parts) => {
            const out: Array<Response.StreamPartEncoded> = []
            for (const part of parts) {
              if (part.type === "text") {
                out.push({ type: "text-start", id: "0" }, { type: "text-delta", id: "0", delta: part.text }, { type: "text-end", id: "0" })
              } else if (part.type === "finish") {
                out.push(part)
              }
            }
            return Stream.fromIterable(out)
          })
        )
    })
  })

/** `make` as a layer of `LanguageModel`. */
export const layer = (options: Options): Layer.Layer<LanguageModel.LanguageModel, never, HttpClient.HttpClient> =>
  Layer.effect(LanguageModel.LanguageModel, make(options))
