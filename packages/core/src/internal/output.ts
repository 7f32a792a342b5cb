/**
 * Checking what an action returned, and naming what went wrong: pure functions, no Effect.
 *
 * The step loop calls `check` on every completed step; a problem becomes an `ActionError` whose
 * message names the action, the application and the step (`actionError`).
 */
import { Effect, Predicate } from "effect"
import {
  ActionError,
  type ActionErrorReason,
  MissingWrite,
  NotAnObject,
  UndeclaredWrite
} from "../Action.js"

/**
 * What is wrong with `out`, the state an action returned from `before`, or `undefined` when it is a
 * valid next state: it must be an object (not an array), and with declared `writes` it may change
 * (add, remove, replace) only those keys.
 */
export const check = (
  before: unknown,
  out: unknown,
  writes: ReadonlyArray<string> | undefined,
  optional?: ReadonlyArray<string> | undefined
): NotAnObject | UndeclaredWrite | MissingWrite | undefined => {
  if (typeof out !== "object" || out === null || Array.isArray(out)) return new NotAnObject({ found: describe(out) })
  if (writes === undefined) return undefined
  const keys = undeclaredWrites(before as object, out, writes)
  if (keys.length > 0) return new UndeclaredWrite({ keys, writes })
  const missing = missingWrites(out, writes, optional)
  return missing.length === 0 ? undefined : new MissingWrite({ keys: missing })
}

/** Declared writes that are not keys of `after` (unless declared optional). */
const missingWrites = (after: object, writes: ReadonlyArray<string>, optional: ReadonlyArray<string> | undefined): Array<string> => {
  const out: Array<string> = []
  for (const key of writes) if (!(key in after) && (optional === undefined || !optional.includes(key))) out.push(key)
  return out
}

/**
 * What is wrong with `out`, what an action's Effect or Promise completed with, when it is itself an
 * Effect or a Promise (`Effect.succeed(promise)`, `Promise.resolve(effect)`): the step loop awaits
 * an action's result once, and such a value would otherwise become the state.
 */
export const checkAwaited = (out: unknown): NotAnObject | undefined => {
  if (Effect.isEffect(out)) return new NotAnObject({ found: "an Effect (an action's Effect or Promise must complete with the state, not with another Effect)" })
  if (Predicate.isPromiseLike(out)) return new NotAnObject({ found: "a Promise (an action's Effect or Promise must complete with the state, not with another Promise)" })
  return undefined
}

/** Keys whose value changed (added, removed or replaced) that are not in `writes`. */
const undeclaredWrites = (before: object, after: object, writes: ReadonlyArray<string>): Array<string> => {
  const prev = before as Record<string, unknown>
  const next = after as Record<string, unknown>
  const out: Array<string> = []
  for (const key of Object.keys(next)) {
    if (!writes.includes(key) && (!(key in prev) || prev[key] !== next[key])) out.push(key)
  }
  for (const key of Object.keys(prev)) {
    if (!writes.includes(key) && !(key in next)) out.push(key)
  }
  return out
}

/** The `ActionError` of step `sequenceId` (action `action`) of application `appId`, for `reason`. */
export const actionError = (appId: string, action: string, sequenceId: number, reason: ActionErrorReason): ActionError => {
  const cause = "cause" in reason ? reason.cause : undefined
  return new ActionError({
    action,
    appId,
    sequenceId,
    reason,
    message: `Action "${action}" of application "${appId}" (step ${sequenceId}) ${explain(reason)}`,
    ...(cause === undefined ? {} : { cause })
  })
}

const explain = (reason: ActionErrorReason): string => {
  switch (reason._tag) {
    case "Threw":
      return `threw ${describe(reason.cause)}`
    case "Rejected":
      return `rejected with ${describe(reason.cause)}`
    case "NotAnObject":
      return `returned ${reason.found}; an action must return the next state as an object (or a Promise or Effect of one)`
    case "UndeclaredWrite":
      return `wrote ${reason.keys.map((k) => JSON.stringify(k)).join(", ")} outside its declared writes [${reason.writes.join(", ")}]`
    case "MissingWrite":
      return `did not write ${reason.keys.map((k) => JSON.stringify(k)).join(", ")}, which it declares in its writes (declare a key optional with \`optionalWrites\`)`
    case "MissingInput":
      return `needs input${reason.keys.length === 1 ? "" : "s"} ${reason.keys.map((k) => JSON.stringify(k)).join(", ")}, which the call did not give (pass them in \`inputs\`, or declare them in \`optionalInputs\`)`
    case "StepLimit":
      return `would exceed the limit of ${reason.limit} steps of this call (maxSteps); the graph may loop`
    case "UnknownAction":
      return "is not an action of this graph"
    case "ConditionThrew":
      return `completed, but a transition condition out of it threw ${describe(reason.cause)}`
  }
}

/** A short description of any value, for messages. */
export const describe = (u: unknown): string => {
  if (u instanceof Error) return `${u.name}: ${u.message}`
  if (u === undefined || u === null) return String(u)
  if (Array.isArray(u)) return "an array"
  if (typeof u === "string") return JSON.stringify(u)
  if (typeof u === "object") return "an object"
  return `${typeof u} ${String(u)}`
}
