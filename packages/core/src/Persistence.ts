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
import { Context, Effect, Layer } from "effect"
import * as Encoding from "./internal/encoding.js"
import * as Memory from "./internal/memory.js"
import type { PersistenceError } from "./PersistenceError.js"
import * as Storable from "./internal/storable.js"

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
  /**
   * For a child application, the parent's step that made it and that step's action: with
   * `parentId`, who owns it. A resumed parent reuses a saved child only when they match.
   */
  readonly parentSequenceId?: number | undefined
  readonly parentAction?: string | undefined
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

export {
  Backend,
  Conflict,
  Corrupt,
  IdTaken,
  InvalidId,
  NotFound,
  PersistenceError,
  type PersistenceErrorReason,
  Timeout,
  TooLarge,
  Unreadable,
  Unserializable
} from "./PersistenceError.js"

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

type Where = Storable.Where

/**
 * Encodes a state as JSON, one entry per top-level key, checking that every value round-trips
 * (see `internal/encoding.ts` for the rules). Backends use it so that what they store and what
 * they refuse is the same everywhere. Throws the `PersistenceError` (`InvalidId`,
 * `Unserializable`) naming the id or the key.
 *
 * @example
 * ```ts
 * import { Persistence } from "@teasel/core"
 * Persistence.encodeState({ a: 1, b: [2] }, { appId: "x", partitionKey: "", sequenceId: 1 }) // { a: "1", b: "[2]" }
 * ```
 * @category encoding
 * @since 0.1.0
 */
export const encodeState = (state: unknown, where: Where): Record<string, string> => {
  const problem = Storable.problemOf(state, where)
  if (problem !== undefined) throw problem
  return Encoding.encode(state as object)
}

/**
 * The `PersistenceError` (`InvalidId`) refusing an application id or partition key that is not
 * well-formed text without NUL, or `undefined` when both are. Backends check every id they are
 * given with it (`encodeState` does it for saves).
 *
 * @example
 * ```ts
 * import { Persistence } from "@teasel/core"
 * Persistence.checkIds({ appId: "a\uD83D", partitionKey: "" })?.reason // InvalidId { field: "appId" }
 * Persistence.checkIds({ appId: "a", partitionKey: "" }) // undefined
 * ```
 * @category encoding
 * @since 0.2.0
 */
export const checkIds: (where: {
  readonly appId: string
  readonly partitionKey: string
  readonly sequenceId?: number | undefined
}) => PersistenceError | undefined = Storable.checkIds

/**
 * Decodes what `encodeState` produced: own properties only (a stored `__proto__` key comes back as
 * a key, never as the state's prototype).
 *
 * @category encoding
 * @since 0.1.0
 */
export const decodeState = (encoded: Readonly<Record<string, string>>): Record<string, unknown> => Encoding.decode(encoded)

/**
 * Checks a state can be stored, as `encodeState` does, in an Effect.
 *
 * @category encoding
 * @since 0.1.0
 */
export const checkState: (state: unknown, where: Where) => Effect.Effect<Record<string, string>, PersistenceError> =
  Storable.checkState

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
export const layerMemory: Layer.Layer<Persistence> = Layer.sync(Persistence, () => Persistence.of(Memory.make()))
