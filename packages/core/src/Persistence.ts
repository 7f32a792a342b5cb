/**
 * Persistence: every completed step saved before the next begins.
 *
 * `Persistence` is a service of three reads and two writes over plain data: save a completed
 * step, record a failed one, load the latest (or a given) step of an application, and list the
 * applications of a partition. When a `Persistence` layer is provided, the step loop saves each
 * completed step (uninterruptibly, once the action has completed), parallel children persist like
 * any application, and `Application.load` / `Application.fork` read it back.
 *
 * State is stored as JSON: a value that cannot round-trip (a function, a cycle, a BigInt, ...)
 * fails the step with a `PersistenceError` naming the key.
 *
 * @since 0.1.0
 */
import { Context, Data, Effect, Layer } from "effect"

/**
 * A completed step of an application: the state after it and the action that runs next.
 *
 * @category models
 * @since 0.1.0
 */
export interface Step {
  readonly appId: string
  readonly partitionKey: string
  /** The step's number: 1 for the first step of an application. */
  readonly sequenceId: number
  /** The action that completed (for a fork's base step, the source's last action). */
  readonly action: string | undefined
  /** The action that runs next; `undefined` once the application has ended. */
  readonly next: string | undefined
  readonly state: unknown
  /** For a child application, its parent's id. */
  readonly parentId: string | undefined
  /** For the first step of a fork, the step it was forked from. */
  readonly forkedFrom?: { readonly appId: string; readonly sequenceId: number } | undefined
  /** Milliseconds since the epoch. */
  readonly createdAt: number
}

/**
 * A failed attempt at a step; it does not take the step's place, so the step runs again on load.
 *
 * @category models
 * @since 0.1.0
 */
export interface FailedStep {
  readonly appId: string
  readonly partitionKey: string
  readonly sequenceId: number
  readonly action: string
  /** A description of the error. */
  readonly error: string
  readonly createdAt: number
}

/**
 * One application of a partition, as `list` returns it: where it stands.
 *
 * @category models
 * @since 0.1.0
 */
export interface Summary {
  readonly appId: string
  readonly partitionKey: string
  readonly parentId: string | undefined
  /** Its latest saved step. */
  readonly sequenceId: number
  readonly action: string | undefined
  readonly next: string | undefined
  readonly updatedAt: number
}

/**
 * Why a save or a load failed: another run saved this step first. Retrying the same step cannot
 * succeed; loading the application again continues from the step the other run saved.
 *
 * @example
 * ```ts
 * import { Persistence, PersistenceError } from "@teasel/core"
 * const error = new PersistenceError({
 *   reason: new Persistence.Conflict(),
 *   appId: "a",
 *   partitionKey: "",
 *   sequenceId: 3,
 *   message: `Application "a" (partition ""): step 3 was already saved by another run`
 * })
 * error.reason._tag // "Conflict"
 * ```
 * @category errors
 * @since 0.2.0
 */
export class Conflict extends Data.TaggedClass("Conflict")<{}> {}

/**
 * Why a save failed: the value of state key `key` cannot be stored as JSON (a function, a cycle,
 * a `BigInt`, a class instance, ...).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Persistence } from "@teasel/core"
 * const keyOf = Persistence.checkState({ f: () => 1 }, { appId: "a", partitionKey: "", sequenceId: 1 }).pipe(
 *   Effect.flip,
 *   Effect.map((error) => error.reason._tag === "Unserializable" ? error.reason.key : undefined)
 * ) // Effect succeeding with "f"
 * ```
 * @category errors
 * @since 0.2.0
 */
export class Unserializable extends Data.TaggedClass("Unserializable")<{
  /** The top-level state key whose value cannot be stored. */
  readonly key: string
}> {}

/**
 * Why a load failed: what is stored cannot be read back (a value that is not JSON, a next action
 * the graph does not have). `key` names the state key, when one is to blame.
 *
 * @example
 * ```ts
 * import { Persistence } from "@teasel/core"
 * const reason = new Persistence.Unreadable({ key: "count" })
 * reason.key // "count"
 * ```
 * @category errors
 * @since 0.2.0
 */
export class Unreadable extends Data.TaggedClass("Unreadable")<{
  /** The state key whose stored value cannot be read, when one is to blame. */
  readonly key?: string | undefined
}> {}

/**
 * Why a fork failed: the step it was asked to start from is not stored.
 *
 * @example
 * ```ts
 * import { Persistence } from "@teasel/core"
 * new Persistence.NotFound()._tag // "NotFound"
 * ```
 * @category errors
 * @since 0.2.0
 */
export class NotFound extends Data.TaggedClass("NotFound")<{}> {}

/**
 * Why an operation failed: the store itself did (a lost connection, a full disk, a missing
 * table). `operation` says what was being done; the error's `cause` holds the store's error.
 *
 * @example
 * ```ts
 * import { Persistence } from "@teasel/core"
 * new Persistence.Backend({ operation: "save the step" }).operation // "save the step"
 * ```
 * @category errors
 * @since 0.2.0
 */
export class Backend extends Data.TaggedClass("Backend")<{
  /** What the store was asked to do, in a few words ("save the step", "load the step", ...). */
  readonly operation?: string | undefined
}> {}

/**
 * Why a persistence operation failed: one of `Conflict`, `Unserializable`, `Unreadable`,
 * `NotFound` or `Backend`, each with its own fields. Match on `_tag`.
 *
 * @example
 * ```ts
 * import type { Persistence } from "@teasel/core"
 * const retryable = (reason: Persistence.PersistenceErrorReason) => reason._tag === "Backend"
 * ```
 * @category errors
 * @since 0.2.0
 */
export type PersistenceErrorReason = Conflict | Unserializable | Unreadable | NotFound | Backend

/**
 * A persistence operation failed, for the `reason` it carries (`Conflict`, `Unserializable`,
 * `Unreadable`, `NotFound`, `Backend`), at `appId` / `partitionKey` / `sequenceId`; `message`
 * says it in a sentence and `cause` holds the store's own error, when there is one.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Persistence } from "@teasel/core"
 * const saved = Persistence.checkState({ n: 1n }, { appId: "a", partitionKey: "", sequenceId: 1 }).pipe(
 *   Effect.catchTag("PersistenceError", (error) =>
 *     error.reason._tag === "Unserializable" ? Effect.succeed({}) : Effect.fail(error))
 * )
 * ```
 * @category errors
 * @since 0.1.0
 */
export class PersistenceError extends Data.TaggedError("PersistenceError")<{
  readonly reason: PersistenceErrorReason
  readonly appId: string
  readonly partitionKey: string
  readonly sequenceId?: number | undefined
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * The persistence service.
 *
 * @category services
 * @since 0.1.0
 */
export class Persistence extends Context.Service<Persistence, {
  /** Saves a completed step; fails with `conflict` when this step of this application exists. */
  readonly save: (step: Step) => Effect.Effect<void, PersistenceError>
  /** Records a failed attempt at a step. */
  readonly saveFailure: (failure: FailedStep) => Effect.Effect<void, PersistenceError>
  /** The latest step of an application, or the given one; `undefined` when there is none. */
  readonly load: (query: {
    readonly appId: string
    readonly partitionKey: string
    readonly sequenceId?: number | undefined
  }) => Effect.Effect<Step | undefined, PersistenceError>
  /** The applications of a partition, oldest first. */
  readonly list: (partitionKey: string) => Effect.Effect<ReadonlyArray<Summary>, PersistenceError>
}>()("@teasel/core/Persistence") {}

/**
 * Encodes a state as JSON, one entry per top-level key, checking that every value round-trips.
 * Backends use it so that what they store and what they refuse is the same everywhere.
 *
 * @example
 * ```ts
 * import { Persistence } from "@teasel/core"
 * Persistence.encodeState({ a: 1, b: [2] }, { appId: "x", partitionKey: "", sequenceId: 1 }) // { a: "1", b: "[2]" }
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const encodeState = (
  state: unknown,
  where: { readonly appId: string; readonly partitionKey: string; readonly sequenceId: number }
): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(state as Record<string, unknown>)) {
    const problem = unserializable(value, new Set())
    if (problem !== undefined) {
      throw new PersistenceError({
        reason: new Unserializable({ key }),
        ...where,
        message:
          `Application "${where.appId}" (step ${where.sequenceId}): state key "${key}" cannot be stored as JSON: ${problem}`
      })
    }
    if (value !== undefined) out[key] = JSON.stringify(value)
  }
  return out
}

/**
 * Decodes what `encodeState` produced.
 *
 * @category encoding
 * @since 0.1.0
 */
export const decodeState = (encoded: Readonly<Record<string, string>>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(encoded)) out[key] = JSON.parse(encoded[key]!)
  return out
}

/** Why `value` would not survive JSON, or `undefined` when it would. */
const unserializable = (value: unknown, path: Set<unknown>): string | undefined => {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return undefined
    case "number":
      return Number.isFinite(value) ? undefined : `${value} is not a finite number`
    case "bigint":
      return "it holds a BigInt"
    case "function":
      return "it holds a function"
    case "symbol":
      return "it holds a symbol"
  }
  if (value === null) return undefined
  if (path.has(value)) return "it holds a cycle"
  const proto = Object.getPrototypeOf(value)
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
    return `it holds a ${(value as object).constructor?.name ?? "class"} instance, which JSON does not restore`
  }
  path.add(value)
  for (const item of Array.isArray(value) ? value : Object.values(value as object)) {
    if (Array.isArray(value) && (item === undefined || typeof item === "function")) {
      return "an array holds undefined or a function"
    }
    const problem = unserializable(item, path)
    if (problem !== undefined) return problem
  }
  path.delete(value)
  return undefined
}

/**
 * Checks a state can be stored, as `encodeState` does, in an Effect.
 *
 * @category encoding
 * @since 0.1.0
 */
export const checkState = (
  state: unknown,
  where: { readonly appId: string; readonly partitionKey: string; readonly sequenceId: number }
): Effect.Effect<Record<string, string>, PersistenceError> =>
  Effect.try({ try: () => encodeState(state, where), catch: (e) => e as PersistenceError })

const keyOf = (partitionKey: string, appId: string) => `${partitionKey}\u0000${appId}`

/**
 * In-process persistence: steps live in memory for as long as the layer. States are stored
 * encoded, exactly as the SQL backends store them, so what fails there fails here.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Persistence } from "@teasel/core"
 * declare const app: Application.Application<{ n: number }, "a">
 * Application.run(app).pipe(Effect.provide(Persistence.layerMemory))
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerMemory: Layer.Layer<Persistence> = Layer.sync(Persistence, () => {
  interface Stored {
    readonly step: Omit<Step, "state">
    readonly state: Record<string, string>
  }
  const apps = new Map<string, Array<Stored>>()
  const order: Array<string> = []
  const failures: Array<FailedStep> = []
  return Persistence.of({
    save: (step) =>
      Effect.flatMap(checkState(step.state, step), (state) =>
        Effect.suspend(() => {
          const key = keyOf(step.partitionKey, step.appId)
          let steps = apps.get(key)
          if (steps === undefined) {
            steps = []
            apps.set(key, steps)
            order.push(key)
          }
          if (steps.some((s) => s.step.sequenceId === step.sequenceId)) {
            return Effect.fail(
              new PersistenceError({
                reason: new Conflict(),
                appId: step.appId,
                partitionKey: step.partitionKey,
                sequenceId: step.sequenceId,
                message:
                  `Application "${step.appId}" (partition "${step.partitionKey}"): step ${step.sequenceId} was already saved by another run`
              })
            )
          }
          const { state: _, ...rest } = step
          steps.push({ step: rest, state })
          if (steps.length > 1 && steps[steps.length - 2]!.step.sequenceId > step.sequenceId) {
            steps.sort((a, b) => a.step.sequenceId - b.step.sequenceId)
          }
          return Effect.void
        })),
    saveFailure: (failure) => Effect.sync(() => void failures.push(failure)),
    load: ({ appId, partitionKey, sequenceId }) =>
      Effect.sync(() => {
        const steps = apps.get(keyOf(partitionKey, appId))
        if (steps === undefined || steps.length === 0) return undefined
        const found = sequenceId === undefined
          ? steps[steps.length - 1]
          : steps.find((s) => s.step.sequenceId === sequenceId)
        return found === undefined ? undefined : { ...found.step, state: decodeState(found.state) }
      }),
    list: (partitionKey) =>
      Effect.sync(() =>
        order.flatMap((key) => {
          const steps = apps.get(key)!
          const last = steps[steps.length - 1]!.step
          return last.partitionKey !== partitionKey ? [] : [{
            appId: last.appId,
            partitionKey: last.partitionKey,
            parentId: last.parentId,
            sequenceId: last.sequenceId,
            action: last.action,
            next: last.next,
            updatedAt: last.createdAt
          }]
        })
      )
  })
})
