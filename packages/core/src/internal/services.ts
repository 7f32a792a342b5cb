/**
 * The optional services a run uses, read once per run from the Effect context: persistence and
 * tracking when provided, and the tracking project.
 */
import { Context, Effect, Option } from "effect"
import { Persistence } from "../Persistence.js"
import * as Tracking from "../Tracking.js"

export interface Services {
  readonly store: Persistence["Service"] | undefined
  readonly tracker: Tracking.Tracking["Service"] | undefined
  readonly project: string
}

/** Reads the optional services from a context. */
export const servicesOf = (context: Context.Context<never>): Services => ({
  store: Option.getOrUndefined(Context.getOption(context, Persistence)),
  tracker: Option.getOrUndefined(Context.getOption(context, Tracking.Tracking)),
  project: Context.get(context, Tracking.CurrentProject)
})

/** `f` with the services of the running program. */
export const withServices = <A, E, R>(f: (services: Services) => Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.context<never>(), (context) => f(servicesOf(context)))
