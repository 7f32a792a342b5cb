/**
 * A run as a `Stream` of its events: what `Application.stream` and `Children.stream` share. The run
 * is given the emitter that feeds the stream; when it stops by itself, a `Done` event carrying the
 * application where it stopped ends the stream; a failure fails it.
 */
import { Effect, Queue, Stream } from "effect"
import type { Application } from "../Application.js"
import type { Event } from "../Event.js"
import type { Emit } from "./context.js"

export const eventsOf = (
  run: (emit: Emit) => Effect.Effect<Application<any, any, any, any>, unknown, unknown>
): Stream.Stream<Event<any, any, any, any>, unknown, unknown> =>
  Stream.callback<Event<any, any, any, any>, unknown, unknown>((queue) =>
    Effect.flatMap(
      run((event) => {
        Queue.offerUnsafe(queue, event)
      }),
      (final) =>
        Effect.sync(() => {
          Queue.offerUnsafe(queue, { _tag: "Done", appId: final.id, app: final })
          Queue.endUnsafe(queue)
        })
    ))
