/**
 * Whether a state, its keys and its ids can be stored, as a `PersistenceError` naming what cannot
 * (the rules are `encoding.ts`'s). Every backend refuses the same things through these.
 */
import { Effect } from "effect"
import type { Persistence, Step } from "../Persistence.js"
import { Corrupt, InvalidId, PersistenceError, Unserializable } from "../PersistenceError.js"
import * as Encoding from "./encoding.js"

/** Where a state is saved, for the errors that name it. */
export type Where = { readonly appId: string; readonly partitionKey: string; readonly sequenceId: number }

/** The error that refuses to store `state` at `where`, or `undefined` when it can be stored. */
export const problemOf = (state: unknown, where: Where): PersistenceError | undefined => {
  const id = checkIds(where)
  if (id !== undefined) return id
  const shape = Encoding.notAState(state)
  if (shape !== undefined) {
    return new PersistenceError({
      reason: new Unserializable({ key: undefined }),
      ...where,
      message: `Application "${where.appId}" (step ${where.sequenceId}): ${shape}; only a plain object can be stored`
    })
  }
  for (const [key, value] of Object.entries(state as object)) {
    const why = Encoding.unstorable(key, value)
    if (why !== undefined) {
      return new PersistenceError({
        reason: new Unserializable({ key }),
        ...where,
        message: `Application "${where.appId}" (step ${where.sequenceId}): state key ${JSON.stringify(key)} cannot be stored as JSON: ${why}`
      })
    }
  }
  return undefined
}

/** The `InvalidId` error for an application id or partition key that cannot be stored. */
export const checkIds = (where: {
  readonly appId: string
  readonly partitionKey: string
  readonly sequenceId?: number | undefined
}): PersistenceError | undefined => {
  for (const field of ["appId", "partitionKey"] as const) {
    const why = Encoding.illFormed(where[field])
    if (why !== undefined) {
      return new PersistenceError({
        reason: new InvalidId({ field }),
        appId: typeof where.appId === "string" ? where.appId : String(where.appId),
        partitionKey: typeof where.partitionKey === "string" ? where.partitionKey : String(where.partitionKey),
        sequenceId: where.sequenceId,
        message: `${field === "appId" ? "Application id" : "Partition key"} ${JSON.stringify(where[field])} cannot be stored: ${why}`
      })
    }
  }
  return undefined
}

/**
 * `store.load(query)`, its ids checked before and its answer after (see `checkLoaded`): how the
 * runtime loads, whatever the backend.
 */
export const load = (
  store: Persistence["Service"],
  query: { readonly appId: string; readonly partitionKey: string; readonly sequenceId?: number | undefined }
): Effect.Effect<Step | undefined, PersistenceError> => {
  const invalid = checkIds(query)
  if (invalid !== undefined) return Effect.fail(invalid)
  return Effect.flatMap(store.load(query), (saved) => {
    if (saved === undefined) return Effect.succeed(undefined)
    const corrupt = checkLoaded(saved, query)
    return corrupt === undefined ? Effect.succeed(saved) : Effect.fail(corrupt)
  })
}

/** `state` encoded, or the error refusing it. */
export const checkState = (state: unknown, where: Where): Effect.Effect<Record<string, string>, PersistenceError> =>
  Effect.suspend(() => {
    const problem = problemOf(state, where)
    return problem === undefined ? Effect.succeed(Encoding.encode(state as object)) : Effect.fail(problem)
  })

/**
 * The step a backend returned for `query`, checked before anything runs from it: a step of that
 * application and partition (and of that step, when one was asked for), with a whole-number
 * sequence, action names that are text, and a plain-object state. A backend that returns anything
 * else is damaged or foreign: the load fails with `Corrupt` rather than run from a wrong state.
 */
export const checkLoaded = (
  saved: unknown,
  query: { readonly appId: string; readonly partitionKey: string; readonly sequenceId?: number | undefined }
): PersistenceError | undefined => {
  const problem = loadedProblem(saved, query)
  if (problem === undefined) return undefined
  return new PersistenceError({
    reason: new Corrupt({}),
    appId: query.appId,
    partitionKey: query.partitionKey,
    sequenceId: query.sequenceId,
    message: `Application "${query.appId}" (partition ${JSON.stringify(query.partitionKey)}): the store returned a step that cannot be this application's: ${problem}`
  })
}

const loadedProblem = (
  saved: unknown,
  query: { readonly appId: string; readonly partitionKey: string; readonly sequenceId?: number | undefined }
): string | undefined => {
  if (typeof saved !== "object" || saved === null) return `it is ${saved === null ? "null" : typeof saved}, not a step`
  const step = saved as Partial<Step>
  if (step.appId !== query.appId) return `it belongs to application ${JSON.stringify(step.appId)}`
  if (step.partitionKey !== query.partitionKey) return `it belongs to partition ${JSON.stringify(step.partitionKey)}`
  if (typeof step.sequenceId !== "number" || !Number.isSafeInteger(step.sequenceId) || step.sequenceId < 0) {
    return `its sequence id ${JSON.stringify(step.sequenceId)} is not a whole number`
  }
  if (query.sequenceId !== undefined && step.sequenceId !== query.sequenceId) return `it is step ${step.sequenceId}, not step ${query.sequenceId}`
  for (const field of ["action", "next", "parentId"] as const) {
    const value = step[field]
    if (value !== undefined && typeof value !== "string") return `its ${field} is ${typeof value}, not a name`
  }
  const shape = Encoding.notAState(step.state)
  if (shape !== undefined) return shape
  return undefined
}
