/**
 * The tickets service: how a product embeds Teasel applications. One application per ticket
 * (its id is the ticket id), saved step by step by whatever `Persistence` layer is provided; runs
 * happen in the background, in fibers this service owns, and every event they emit is published
 * to the ticket's subscribers (the server-sent events stream).
 *
 * A run halts before `review`, where a person decides; a decision resumes the application with
 * the decision as the inputs of `review`. Cancelling interrupts a running step (its work is not
 * saved) and runs the step again with `{ cancel }` as its inputs, which records the cancellation
 * as a step of the ticket's history. Shutting down interrupts every run: each application stays
 * at its last saved step, and `resumeAll` (called at start-up) carries on the ones that were not
 * waiting for a person.
 */
import { Cause, Context, Effect, Exit, Fiber, Layer, PubSub, Scope, Semaphore, Stream } from "effect"
import { Application, type Event, Persistence } from "@teasel/core"
import { type Status, StoreUnavailable, TicketExists, TicketNotFound, type TicketView, WrongStatus } from "./Api.js"
import * as Ticket from "./Ticket.js"

/** One message of a ticket's event stream: an SSE event name and its JSON data. */
export interface Message {
  readonly event: string
  readonly data: unknown
}

const makeApp = (id: string, partitionKey: string, state: Ticket.Ticket) =>
  Application.make({ graph: Ticket.graph, id, partitionKey, state })
type App = ReturnType<typeof makeApp>

/** Services the workflow's actions need. */
export type Requirements = Ticket.Drafter | Ticket.Outbox

export class Tickets extends Context.Service<Tickets, {
  /** Opens a ticket: runs triage (saved before this returns), then carries on in the background. */
  readonly start: (input: {
    readonly id?: string | undefined
    readonly customer: string
    readonly subject: string
    readonly body: string
  }) => Effect.Effect<TicketView, TicketExists | StoreUnavailable>
  readonly list: Effect.Effect<ReadonlyArray<Persistence.Summary>, StoreUnavailable>
  readonly get: (id: string) => Effect.Effect<TicketView, TicketNotFound | StoreUnavailable>
  /** Every saved step, oldest first. */
  readonly history: (id: string) => Effect.Effect<ReadonlyArray<Persistence.Step>, TicketNotFound | StoreUnavailable>
  /** A person's decision on a ticket awaiting approval; the run carries on in the background. */
  readonly decide: (id: string, inputs: Ticket.ReviewInputs) => Effect.Effect<TicketView, TicketNotFound | WrongStatus | StoreUnavailable>
  /** Runs a ticket whose last run failed (or that no run is working on) again from its last saved step. */
  readonly retry: (id: string) => Effect.Effect<TicketView, TicketNotFound | WrongStatus | StoreUnavailable>
  /** Cancels a ticket that has not ended; returns it cancelled. */
  readonly cancel: (id: string, by: { readonly by: string; readonly reason: string }) => Effect.Effect<TicketView, TicketNotFound | WrongStatus | StoreUnavailable>
  /** A snapshot of the ticket, then its events as they happen; ends once the ticket has ended. */
  readonly events: (id: string) => Stream.Stream<Message, TicketNotFound | StoreUnavailable>
  /** Carries on every ticket that was interrupted (by a crash or a shutdown) and is not waiting for a person. */
  readonly resumeAll: Effect.Effect<ReadonlyArray<string>, StoreUnavailable>
  /** Interrupts every run (each stays at its last saved step) and ends every event stream. */
  readonly shutdown: Effect.Effect<void>
}>()("@teasel/example-backend/Tickets") {}

/** Options of `layer`. */
export interface Options {
  /** The persistence partition that holds the tickets (default `"tickets"`). */
  readonly partitionKey?: string | undefined
}

const storeError = (error: Persistence.PersistenceError) => new StoreUnavailable({ message: error.message })

/** A store failure is a 503; any other failure of a run started in a request is a defect (a 500). */
const storeOrDie = <A, R>(effect: Effect.Effect<A, unknown, R>): Effect.Effect<A, StoreUnavailable, R> =>
  Effect.catch(effect, (e) => e instanceof Persistence.PersistenceError ? Effect.fail(storeError(e)) : Effect.die(e))

const statusOf = (app: App, running: boolean, failed: boolean): Status =>
  running
    ? "running"
    : app.next === undefined
    ? (app.state.cancelled !== null ? "cancelled" : "sent")
    : failed
    ? "failed"
    : Ticket.haltBefore.includes(app.next)
    ? "awaiting-approval"
    : "stalled"

const isEnded = (status: Status) => status === "sent" || status === "cancelled"

/** An error, for a person: its message, or its tag and fields (a typed error may have no message). */
const describeError = (e: unknown): string =>
  e instanceof Error && e.message !== ""
    ? e.message
    : typeof e === "object" && e !== null && "_tag" in e
    ? `${String(e._tag)} ${JSON.stringify(e)}`
    : String(e)

/** The event of a run, as JSON for the wire. */
const toMessage = (event: Event.Event<Ticket.Ticket>): Message | undefined => {
  switch (event._tag) {
    case "StepStarted":
      return { event: event._tag, data: { action: event.action, sequenceId: event.sequenceId } }
    case "StepCompleted":
      return { event: event._tag, data: { action: event.action, sequenceId: event.sequenceId, state: event.state } }
    case "StepFailed":
      return { event: event._tag, data: { action: event.action, sequenceId: event.sequenceId, error: describeError(event.error) } }
    case "Chunk":
      return { event: event._tag, data: { action: event.action, chunk: event.chunk } }
    case "Done":
      return undefined
  }
}




/** The service, over the `Persistence` and the workflow's services in context. */
export const make = (options: Options = {}): Effect.Effect<Tickets["Service"], never, Persistence.Persistence | Requirements | Scope.Scope> =>
  Effect.gen(function*() {
    const partitionKey = options.partitionKey ?? "tickets"
    const store = yield* Persistence.Persistence
    const context = yield* Effect.context<Persistence.Persistence | Requirements>()
    const scope = yield* Scope.Scope
    // One lock per ticket: checking where a ticket stands and starting or stopping its run is atomic.
    const locks = new Map<string, Semaphore.Semaphore>()
    const locked = (id: string) => {
      let lock = locks.get(id)
      if (lock === undefined) {
        lock = Semaphore.makeUnsafe(1)
        locks.set(id, lock)
      }
      return Semaphore.withPermits(lock, 1)
    }
    const running = new Map<string, Fiber.Fiber<void, never>>()
    const failures = new Map<string, string>()
    const hubs = new Map<string, PubSub.PubSub<Message>>()
    let closing = false
    const closed = yield* PubSub.unbounded<void>()

    const hub = (id: string) => {
      let pubsub = hubs.get(id)
      if (pubsub === undefined) {
        pubsub = Effect.runSync(PubSub.unbounded<Message>())
        hubs.set(id, pubsub)
      }
      return pubsub
    }
    const publish = (id: string, message: Message) => PubSub.publish(hub(id), message)

    // The application at its last saved step (sequenceId 0 when nothing is saved).
    const load = (id: string): Effect.Effect<App, StoreUnavailable> =>
      Application.load({ graph: Ticket.graph, id, partitionKey, state: Ticket.open({ customer: "", subject: "", body: "" }) }).pipe(
        Effect.mapError(storeError),
        Effect.provideContext(context)
      )

    const found = (id: string) =>
      Effect.flatMap(load(id), (app) =>
        app.sequenceId === 0 && !running.has(id)
          ? Effect.fail(new TicketNotFound({ id, message: `No ticket "${id}"` }))
          : Effect.succeed(app))

    const view = (app: App, isRunning = running.has(app.id)): TicketView => {
      const error = failures.get(app.id)
      return {
        id: app.id,
        status: statusOf(app, isRunning, error !== undefined),
        ...(app.next === undefined ? {} : { next: app.next }),
        ...(app.last === undefined ? {} : { last: app.last }),
        sequenceId: app.sequenceId,
        ...(error === undefined ? {} : { error }),
        state: app.state
      }
    }

    const publishStatus = (id: string) =>
      Effect.flatMap(load(id), (app) => {
        const data = view(app)
        return Effect.andThen(
          publish(id, { event: "status", data }),
          // Its subscribers stop at this status; later ones get a snapshot only.
          Effect.sync(() => isEnded(data.status) && hubs.delete(id))
        )
      }).pipe(Effect.ignore)

    // Runs `app` until it halts before a person's decision or ends, publishing its events.
    const drive = (app: App, inputs: object | undefined) =>
      Application.stream(app, { haltBefore: Ticket.haltBefore, inputs }).pipe(
        Stream.runForEach((event) => {
          const message = toMessage(event as Event.Event<Ticket.Ticket>)
          return message === undefined ? Effect.void : publish(app.id, message)
        }),
        Effect.provideContext(context)
      )

    // Starts `drive` in a fiber this service owns; the caller holds the lock.
    const background = (app: App, inputs: object | undefined) =>
      Effect.gen(function*() {
        failures.delete(app.id)
        const fiber = yield* drive(app, inputs).pipe(
          Effect.onExit((exit) =>
            Effect.suspend(() => {
              running.delete(app.id)
              if (Exit.isFailure(exit) && !Cause.hasInterruptsOnly(exit.cause)) {
                failures.set(app.id, describeError(Cause.squash(exit.cause)))
              }
              return publishStatus(app.id)
            })
          ),
          Effect.ignore,
          Effect.forkIn(scope, { startImmediately: false })
        )
        running.set(app.id, fiber as Fiber.Fiber<void, never>)
        yield* publishStatus(app.id)
        return fiber
      })

    const start: Tickets["Service"]["start"] = (input) => {
      const id = input.id ?? `t-${crypto.randomUUID()}`
      return locked(id)(Effect.gen(function*() {
        const existing = yield* load(id)
        if (existing.sequenceId > 0 || running.has(id)) {
          return yield* new TicketExists({ id, message: `A ticket "${id}" exists already` })
        }
        const fresh = makeApp(id, partitionKey, Ticket.open(input))
        // The first step runs here, so the ticket is saved when the request returns.
        const triaged = yield* storeOrDie(Application.step(fresh).pipe(Effect.provideContext(context)))
        yield* background(triaged, undefined)
        return view(triaged, true)
      }))
    }

    const decide: Tickets["Service"]["decide"] = (id, inputs) =>
      locked(id)(Effect.gen(function*() {
        const app = yield* found(id)
        const status = statusOf(app, running.has(id), failures.has(id))
        if (status !== "awaiting-approval") {
          return yield* new WrongStatus({ id, status, message: `Ticket "${id}" is ${status}, not awaiting approval` })
        }
        yield* background(app, inputs)
        return view(app, true)
      }))

    const retry: Tickets["Service"]["retry"] = (id) =>
      locked(id)(Effect.gen(function*() {
        const app = yield* found(id)
        const status = statusOf(app, running.has(id), failures.has(id))
        if (status !== "failed" && status !== "stalled") {
          return yield* new WrongStatus({ id, status, message: `Ticket "${id}" is ${status}: there is nothing to retry` })
        }
        yield* background(app, undefined)
        return view(app, true)
      }))

    const cancel: Tickets["Service"]["cancel"] = (id, by) =>
      locked(id)(Effect.gen(function*() {
        const fiber = running.get(id)
        if (fiber !== undefined) yield* Fiber.interrupt(fiber)
        const app = yield* found(id)
        const status = statusOf(app, false, false)
        if (isEnded(status)) {
          return yield* new WrongStatus({ id, status, message: `Ticket "${id}" has ended (${status})` })
        }
        failures.delete(id)
        // The next step runs with { cancel }: it records the cancellation, then `cancelled` ends the ticket.
        yield* storeOrDie(drive(app, { cancel: by }))
        yield* publishStatus(id)
        return view(yield* load(id), false)
      }))

    const history: Tickets["Service"]["history"] = (id) =>
      Effect.gen(function*() {
        const app = yield* found(id)
        // There is no history call in Persistence: read each saved step by its number.
        const steps: Array<Persistence.Step> = []
        for (let sequenceId = 1; sequenceId <= app.sequenceId; sequenceId++) {
          const step = yield* store.load({ appId: id, partitionKey, sequenceId }).pipe(Effect.mapError(storeError))
          if (step !== undefined) steps.push(step)
        }
        return steps
      })

    const events: Tickets["Service"]["events"] = (id) =>
      Stream.unwrap(Effect.gen(function*() {
        // Subscribe before the snapshot, so nothing that happens in between is missed.
        const subscription = yield* PubSub.subscribe(hub(id))
        const stop = yield* PubSub.subscribe(closed)
        const first = view(yield* found(id))
        const ended = (m: Message) =>
          m.event === "status" && isEnded((m.data as TicketView).status)
        const live = Stream.fromSubscription(subscription).pipe(
          Stream.takeUntil(ended),
          Stream.interruptWhen(PubSub.take(stop))
        )
        const snapshot: Message = { event: "status", data: first }
        return isEnded(first.status) || closing ? Stream.make(snapshot) : Stream.concat(Stream.make(snapshot), live)
      }))

    const resumeAll: Tickets["Service"]["resumeAll"] = Effect.gen(function*() {
      const summaries = yield* store.list(partitionKey).pipe(Effect.mapError(storeError))
      const resumed: Array<string> = []
      for (const summary of summaries) {
        if (summary.parentId !== undefined || summary.next === undefined) continue
        if ((Ticket.haltBefore as ReadonlyArray<string>).includes(summary.next)) continue
        const started = yield* locked(summary.appId)(Effect.gen(function*() {
          if (running.has(summary.appId)) return false
          const app = yield* load(summary.appId)
          if (app.next === undefined || Ticket.haltBefore.includes(app.next)) return false
          yield* background(app, undefined)
          return true
        }))
        if (started) resumed.push(summary.appId)
      }
      return resumed
    })

    const shutdown = Effect.gen(function*() {
      closing = true
      yield* PubSub.publish(closed, undefined)
      yield* Effect.forEach([...running.values()], Fiber.interrupt, { concurrency: "unbounded", discard: true })
    })

    yield* Effect.addFinalizer(() => shutdown)

    return Tickets.of({
      start,
      list: Effect.map(store.list(partitionKey), (all) => all.filter((s) => s.parentId === undefined)).pipe(Effect.mapError(storeError)),
      get: (id) => Effect.map(found(id), (app) => view(app)),
      history,
      decide,
      retry,
      cancel,
      events,
      resumeAll,
      shutdown
    })
  })

/** The service as a layer; it needs a `Persistence` layer and the workflow's services. */
export const layer = (options: Options = {}): Layer.Layer<Tickets, never, Persistence.Persistence | Requirements> =>
  Layer.effect(Tickets, make(options))

