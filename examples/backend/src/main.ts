/**
 * The support-tickets service: `pnpm backend` (or `pnpm --filter @teasel/example-backend start`).
 *
 * Settings (environment):
 * - `PORT` (default 3000; 0 picks a free port), `HOST` (default 127.0.0.1);
 * - `DATABASE_URL`: a PostgreSQL URL; without it, tickets are saved in the SQLite file
 *   `TEASEL_BACKEND_DB` (default `.teasel/backend.db`);
 * - `TEASEL_BACKEND_PARTITION`: the persistence partition of the tickets (default `tickets`);
 * - `TEASEL_BACKEND_HOLD_DRAFTS=1`: the drafting "model" never answers (to see a ticket stay
 *   in `draft`, be interrupted by a shutdown or a crash, and resume on the next start).
 *
 * On SIGINT/SIGTERM it stops every run (each ticket stays at its last saved step), closes the
 * server and the database, and exits; the next start resumes the tickets that were running.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Context, Effect, Exit, Layer, Runtime } from "effect"
import { HttpServer } from "effect/http"
import { describeStore, layer, type Store } from "./Server.js"
import * as Ticket from "./Ticket.js"
import { Tickets } from "./Tickets.js"

const env = process.env
const store: Store = env.DATABASE_URL !== undefined && env.DATABASE_URL !== ""
  ? { _tag: "pg", url: env.DATABASE_URL }
  : { _tag: "sqlite", filename: env.TEASEL_BACKEND_DB ?? ".teasel/backend.db" }

const holdDrafts = Layer.succeed(Ticket.Drafter, { draft: () => Effect.never })

const main = Effect.gen(function*() {
  const context = yield* Layer.build(layer({
    port: Number(env.PORT ?? 3000),
    host: env.HOST,
    store,
    partitionKey: env.TEASEL_BACKEND_PARTITION,
    drafter: env.TEASEL_BACKEND_HOLD_DRAFTS === "1" ? holdDrafts : undefined
  }))
  const tickets = Context.get(context, Tickets)
  const server = Context.get(context, HttpServer.HttpServer)
  // Added last, so it runs first on shutdown: runs stop and event streams end before the server
  // waits for its connections to close.
  yield* Effect.addFinalizer(() =>
    Effect.andThen(
      Effect.sync(() => console.log("shutting down: stopping runs; every ticket stays at its last saved step")),
      tickets.shutdown
    )
  )
  const resumed = yield* tickets.resumeAll
  if (resumed.length > 0) console.log(`resumed ${resumed.length} ticket(s): ${resumed.join(", ")}`)
  console.log(`listening on ${HttpServer.formatAddress(server.address)} (store ${describeStore(store)})`)
  return yield* Effect.never
}).pipe(Effect.scoped)

// A shutdown by signal interrupts `main`: that is a clean exit (0), not a failure.
NodeRuntime.runMain(main, {
  teardown: (exit, onExit) =>
    Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)
})
