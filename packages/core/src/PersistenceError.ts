/**
 * Why persistence failed: `PersistenceError`, and its reasons, each a small tagged class with
 * fields of its own (match on `error.reason._tag`). Re-exported by `Persistence`
 * (`Persistence.Conflict`, ...) and, for the error itself, by the package root.
 *
 * @since 0.2.0
 */
import { Data } from "effect"

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
  /** The top-level state key whose value cannot be stored; `undefined` when the state itself cannot be (a `Map`, a `Date`, ...). */
  readonly key: string | undefined
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
 * Why a save or a load was refused before the store was asked: an application id or a partition
 * key that is not well-formed text (a lone surrogate, a NUL character), which not every database
 * keeps apart from its neighbours. `field` says which.
 *
 * @example
 * ```ts
 * import { Persistence } from "@teasel/core"
 * new Persistence.InvalidId({ field: "appId" }).field // "appId"
 * ```
 * @category errors
 * @since 0.2.0
 */
export class InvalidId extends Data.TaggedClass("InvalidId")<{
  readonly field: "appId" | "partitionKey"
}> {}

/**
 * Why a child could not run: its id is already taken by an application that another parent, step
 * or action saved (an explicit `tasks` id used twice, or an unrelated application with that id).
 * Reusing its saved state would give a wrong result, and running it would overwrite another's
 * history, so the step fails. `owner` says who saved it (`undefined` fields: a top-level
 * application, or one saved before owners were stored).
 *
 * @example
 * ```ts
 * import { Persistence } from "@teasel/core"
 * const reason = new Persistence.IdTaken({ owner: { parentId: "crawler", parentSequenceId: 2, parentAction: "fetch" } })
 * reason.owner.parentSequenceId // 2
 * ```
 * @category errors
 * @since 0.2.0
 */
export class IdTaken extends Data.TaggedClass("IdTaken")<{
  readonly owner: {
    readonly parentId: string | undefined
    readonly parentSequenceId: number | undefined
    readonly parentAction: string | undefined
  }
}> {}

/**
 * Why a load failed: what is stored is damaged or foreign (a missing step, a step whose content
 * does not match its digest, a sequence that is not a number, a schema newer than this library).
 * Loading never returns a different state instead. `key` names the state key when one is to blame.
 *
 * @example
 * ```ts
 * import { Persistence } from "@teasel/core"
 * new Persistence.Corrupt({ key: "draft" })._tag // "Corrupt"
 * ```
 * @category errors
 * @since 0.2.0
 */
export class Corrupt extends Data.TaggedClass("Corrupt")<{
  readonly key?: string | undefined
}> {}

/**
 * Why a save failed: the store did not answer within the save timeout (a lock held by another
 * session, a frozen server). Nothing of the step was written; it may be saved again.
 * `timeoutMillis` is the limit that was reached.
 *
 * @example
 * ```ts
 * import { Persistence } from "@teasel/core"
 * new Persistence.Timeout({ timeoutMillis: 30_000 }).timeoutMillis // 30000
 * ```
 * @category errors
 * @since 0.2.0
 */
export class Timeout extends Data.TaggedClass("Timeout")<{
  readonly timeoutMillis: number
}> {}

/**
 * Why a save was refused before the store was asked: the encoded value of state key `key` is
 * `bytes` long, more than the store's `limit` (a larger value could be written but never read
 * back).
 *
 * @example
 * ```ts
 * import { Persistence } from "@teasel/core"
 * new Persistence.TooLarge({ key: "blob", bytes: 300, limit: 256 }).limit // 256
 * ```
 * @category errors
 * @since 0.2.0
 */
export class TooLarge extends Data.TaggedClass("TooLarge")<{
  readonly key: string
  readonly bytes: number
  readonly limit: number
}> {}

/**
 * Why a persistence operation failed: one of `Conflict`, `Unserializable`, `Unreadable`,
 * `Corrupt`, `NotFound`, `InvalidId`, `IdTaken`, `Timeout`, `TooLarge` or `Backend`, each with its own fields. Match on
 * `_tag`.
 *
 * @example
 * ```ts
 * import type { Persistence } from "@teasel/core"
 * const retryable = (reason: Persistence.PersistenceErrorReason) => reason._tag === "Backend"
 * ```
 * @category errors
 * @since 0.2.0
 */
export type PersistenceErrorReason =
  | Conflict
  | Unserializable
  | Unreadable
  | Corrupt
  | NotFound
  | InvalidId
  | IdTaken
  | Timeout
  | TooLarge
  | Backend

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
