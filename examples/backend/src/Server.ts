/**
 * The HTTP server: the `Api`'s handlers over the `Tickets` service, the server-sent events route,
 * the persistence layer chosen by configuration (SQLite by default, PostgreSQL by URL), on Node's
 * HTTP server.
 */
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer, Schema, Stream } from "effect"
import { HttpRouter, HttpServerResponse } from "effect/http"
import { HttpApiBuilder, HttpApiMiddleware } from "effect/http-api"
import type { Persistence } from "@teasel/core"
import { SqlPersistence } from "@teasel/sql"
import { createServer } from "node:http"
import { Api, TicketId } from "./Api.js"
import * as Ticket from "./Ticket.js"
import { Tickets } from "./Tickets.js"
import * as TicketsService from "./Tickets.js"

/** Where tickets are saved: a SQLite file (the default) or a PostgreSQL database. */
export type Store =
  | { readonly _tag: "sqlite"; readonly filename: string }
  | { readonly _tag: "pg"; readonly url: string }

/** The persistence layer of a store. */
export const storeLayer = (store: Store): Layer.Layer<Persistence.Persistence, unknown> =>
  store._tag === "pg" ? SqlPersistence.layerPg({ url: store.url }) : SqlPersistence.layerSqlite({ filename: store.filename })

/** A store described for logs (a PostgreSQL URL without its password). */
export const describeStore = (store: Store): string =>
  store._tag === "sqlite" ? `sqlite:${store.filename}` : `postgres:${store.url.replace(/:[^:@/]*@/, ":***@")}`

const TicketsHandlers = HttpApiBuilder.group(
  Api,
  "tickets",
  Effect.fn(function*(handlers) {
    const tickets = yield* Tickets
    return handlers.handleAll({
      start: ({ payload }) => tickets.start(payload),
      list: () =>
        Effect.map(tickets.list, (all) =>
          all.map((s) => ({
            id: s.appId,
            sequenceId: s.sequenceId,
            ...(s.action === undefined ? {} : { last: s.action }),
            ...(s.next === undefined ? {} : { next: s.next }),
            updatedAt: s.updatedAt
          }))),
      get: ({ params }) => tickets.get(params.id),
      history: ({ params }) =>
        Effect.map(tickets.history(params.id), (steps) =>
          steps.map((step) => ({
            sequenceId: step.sequenceId,
            ...(step.action === undefined ? {} : { action: step.action }),
            ...(step.next === undefined ? {} : { next: step.next }),
            createdAt: step.createdAt,
            state: step.state as Ticket.Ticket
          }))),
      decide: ({ params, payload }) => tickets.decide(params.id, payload),
      retry: ({ params }) => tickets.retry(params.id),
      cancel: ({ params, payload }) => tickets.cancel(params.id, payload)
    })
  })
)

const systemHandlers = (store: string) =>
  HttpApiBuilder.group(Api, "system", (handlers) => handlers.handleAll({ health: () => Effect.succeed({ ok: true, store }) }))

const errorResponse = (status: number, body: object) => HttpServerResponse.text(JSON.stringify(body), { status, contentType: "application/json" })

/** `GET /tickets/:id/events`: server-sent events, a `status` snapshot first, then the run's events. */
const EventsRoute = HttpRouter.add(
  "GET",
  "/tickets/:id/events",
  Effect.gen(function*() {
    const { id } = yield* HttpRouter.schemaPathParams(Schema.Struct({ id: TicketId }))
    const tickets = yield* Tickets
    yield* tickets.get(id) // a 404 before the stream starts
    const body = tickets.events(id).pipe(
      Stream.map((m) => `event: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`),
      Stream.encodeText
    )
    return HttpServerResponse.stream(body, { contentType: "text/event-stream", headers: { "cache-control": "no-cache" } })
  }).pipe(
    Effect.catchTags({
      SchemaError: (e) => Effect.succeed(errorResponse(400, { _tag: "BadRequest", message: e.message })),
      TicketNotFound: (e) => Effect.succeed(errorResponse(404, e)),
      StoreUnavailable: (e) => Effect.succeed(errorResponse(503, e))
    })
  )
)

/** Options of `layer`. */
export interface Options {
  /** The port to listen on; 0 picks a free one. */
  readonly port: number
  readonly host?: string | undefined
  /** Where tickets are saved, or a `Persistence` layer. */
  readonly store: Store | Layer.Layer<Persistence.Persistence, unknown>
  /** The persistence partition holding the tickets (default `"tickets"`). */
  readonly partitionKey?: string | undefined
  /** The drafting model (default: `Drafter.layerTemplate`). */
  readonly drafter?: Layer.Layer<Ticket.Drafter> | undefined
  /** The mailer (default: `Outbox.layerMemory`). */
  readonly outbox?: Layer.Layer<Ticket.Outbox> | undefined
}

/**
 * The whole service as a layer: the HTTP server listening, the `Tickets` service, and the store.
 * Its outputs include `Tickets` and `HttpServer` (for the address it listens on).
 */
export const layer = (options: Options) => {
  const option = options.store
  const store = Layer.isLayer(option) ? option as Layer.Layer<Persistence.Persistence, unknown> : storeLayer(option as Store)
  const described = Layer.isLayer(option) ? "custom" : describeStore(option as Store)
  const routes = Layer.mergeAll(
    HttpApiBuilder.layer(Api, { openapiPath: "/openapi.json" }).pipe(
      Layer.provide([TicketsHandlers, systemHandlers(described)])
    ),
    EventsRoute
  )
  return HttpRouter.serve(routes, { disableListenLog: true, disableLogger: true }).pipe(
    // A request that fails validation: a 400 problem listing each issue.
    Layer.provide(HttpApiMiddleware.layerProblemDetails({ includeDetails: true })),
    Layer.provideMerge(TicketsService.layer({ partitionKey: options.partitionKey })),
    Layer.provide([
      options.drafter ?? Ticket.Drafter.layerTemplate,
      options.outbox ?? Ticket.Outbox.layerMemory,
      store
    ]),
    Layer.provideMerge(
      NodeHttpServer.layer(() => createServer(), {
        port: options.port,
        host: options.host ?? "127.0.0.1",
        gracefulShutdownTimeout: "5 seconds"
      })
    )
  )
}
