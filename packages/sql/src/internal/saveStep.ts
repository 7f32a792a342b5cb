/**
 * How the SQL persistence saves a step: its delta on the step before (when this process knows
 * it) is worked out first, then its rows (`statements.stepRows`) are written in one transaction,
 * by one of two paths over the same statements:
 *
 * - On SQLite through `SqliteClient`, synchronously (`transactionSync`), with group commit: the
 *   saves requested together, as a fan-out's children request theirs, share one transaction
 *   (`groupCommit.ts`). Each caller still gets its own outcome, and only once its step is
 *   committed.
 * - On any other `SqlClient`, as Effect SQL statements in a transaction; on PostgreSQL, a step of
 *   an application whose row exists is one statement (`statements.stepRowsAtOnce`).
 *
 * Either way the step's primary key makes a second write of the same step fail, whichever process
 * attempts it: a `Conflict`.
 */
import { Cause, Context, Effect, Exit } from "effect"
import { Persistence, PersistenceError } from "@teasel/core"
import { type SqlClient, SqlError } from "effect/sql"
import type { SqliteClient, SyncConnection } from "../SqliteClient.js"
import { diff, type Known } from "./delta.js"
import { isPg, keyOf, runner } from "./dialect.js"
import * as GroupCommit from "./groupCommit.js"
import { checkSave, stepDigest } from "./integrity.js"
import type { Lru } from "./lru.js"
import { saveFailed, whereOf } from "./persistenceError.js"
import * as Statements from "./statements.js"

/** A step ready to be written. */
interface Prepared extends Statements.StepWrite {
  /** The key of the application in the cache of known states. */
  readonly cacheKey: string
  /** The application's row id, when this process knows it. */
  readonly appRef: number | undefined
}

/**
 * `save` for the `SqlClient` `sql` (which is `sqlite` when it is a `SqliteClient`). `known` holds
 * the latest state of the applications this process saved or loaded, shared with loading.
 */
export const make = (options: {
  readonly sql: SqlClient.SqlClient
  readonly sqlite: SqliteClient | undefined
  readonly known: Lru<string, Known>
  /** The longest encoded value of a state key that is stored, in UTF-8 bytes (`TooLarge` beyond). */
  readonly maxValueBytes?: number | undefined
}): (step: Persistence.Step) => Effect.Effect<void, PersistenceError> => {
  const { known, sql, sqlite } = options
  const maxValueBytes = options.maxValueBytes ?? Number.POSITIVE_INFINITY
  const run = runner(sql)
  // PostgreSQL takes a step of a known application as one statement.
  const atOnce = isPg(sql)

  /** What a step writes; throws the PersistenceError of a value that cannot be stored. */
  const prepare = (step: Persistence.Step): Prepared => {
    const cacheKey = keyOf(step.partitionKey, step.appId)
    const remembered = known.get(cacheKey)
    const previous = remembered !== undefined && remembered.sequenceId === step.sequenceId - 1 &&
        step.forkedFrom === undefined
      ? remembered
      : undefined
    checkSave(step)
    const delta = diff(previous, step.state, whereOf(step))
    checkSizes(step, delta.writes, maxValueBytes)
    return {
      step,
      cacheKey,
      appRef: remembered?.appRef,
      delta,
      base: delta.full ? step.sequenceId : previous!.base,
      digest: stepDigest(delta.digests),
      position: delta.added.length === 0
        ? undefined
        : new Map(Object.keys(step.state as object).map((key, i) => [key, i]))
    }
  }

  /** Once the step's transaction committed: remember its state, to store the next as a delta. */
  const saved = (p: Prepared, appRef: number): void => {
    if (p.step.next === undefined) known.delete(p.cacheKey)
    else {
      known.set(p.cacheKey, {
        appRef,
        sequenceId: p.step.sequenceId,
        base: p.base,
        state: p.step.state as Record<string, unknown>,
        digests: p.delta.digests
      })
    }
  }

  /** Writes the step's rows on `conn`; returns its application's row id. Throws a `SqlError`. */
  const writeSync = (conn: SyncConnection, p: Prepared): number => {
    let appRef = p.appRef
    if (appRef === undefined) {
      const insert = Statements.insertApp(p.step)
      let made = conn.all<{ id: unknown }>(insert.sql, insert.params)[0]
      if (made === undefined) {
        const select = Statements.selectApp(p.step)
        made = conn.all<{ id: unknown }>(select.sql, select.params)[0]!
      }
      appRef = Number(made.id)
    }
    for (const s of Statements.stepRows(p, appRef)) conn.run(s.sql, s.params)
    return appRef
  }

  /** Writes the step's rows through Effect SQL; returns its application's row id. */
  const writeEffect = (p: Prepared): Effect.Effect<number, SqlError.SqlError> => {
    const { added, writes } = p.delta
    if (atOnce && p.appRef !== undefined && added.length + writes.length <= Statements.AT_ONCE_MAX_ROWS) {
      return Effect.as(run(Statements.stepRowsAtOnce(p, p.appRef)), p.appRef)
    }
    return sql.withTransaction(Effect.gen(function*() {
      let appRef = p.appRef
      if (appRef === undefined) {
        const [made] = yield* run<{ id: unknown }>(Statements.insertApp(p.step))
        appRef = Number((made ?? (yield* run<{ id: unknown }>(Statements.selectApp(p.step)))[0]!).id)
      }
      for (const s of Statements.stepRows(p, appRef)) yield* run(s)
      return appRef
    }))
  }

  /** Each step's outcome, once its transaction has committed (or failed as a whole). */
  const settled = (
    batch: ReadonlyArray<Prepared>,
    outcomes: ReadonlyArray<Exit.Exit<number, unknown>>
  ): ReadonlyArray<Exit.Exit<void, PersistenceError>> =>
    outcomes.map((outcome, i) => {
      const p = batch[i]!
      if (Exit.isSuccess(outcome)) {
        saved(p, outcome.value)
        return Exit.void
      }
      const error = Cause.squash(outcome.cause)
      return SqlError.isSqlError(error) ? Exit.fail(saveFailed(p.step, error)) : Exit.die(error)
    })

  /**
   * SQLite: a batch of steps in one transaction (group commit). The batch is written whole
   * first. When a step fails (a conflict), that transaction is rolled back, the step gets its
   * error, and the others are written again, each in a savepoint of its own, so that no step's
   * failure undoes another's. (A savepoint copies every page its step touches, which would cost
   * more than the step itself: it is paid only once a step has failed.)
   */
  const writeBatch = (sqlite: SqliteClient) =>
  (
    batch: ReadonlyArray<Prepared>
  ): Effect.Effect<ReadonlyArray<Exit.Exit<void, PersistenceError>>> => {
    let failing = -1
    const whole = sqlite.transactionSync((conn) => {
      const appRefs = batch.map((p, i) => {
        failing = i
        return writeSync(conn, p)
      })
      failing = -1
      return appRefs
    })
    const allFail = (error: SqlError.SqlError) => batch.map((p) => Exit.fail(saveFailed(p.step, error)))
    return Effect.matchEffect(whole, {
      onSuccess: (appRefs) => Effect.sync(() => settled(batch, appRefs.map(Exit.succeed))),
      onFailure: (error) => {
        // BEGIN or COMMIT failed, or the only step did: nothing of the batch was saved.
        if (failing < 0 || batch.length === 1) return Effect.succeed(allFail(error))
        const failedAt = failing
        const others = batch.filter((_, i) => i !== failedAt)
        const isolated = sqlite.transactionSync((conn) =>
          others.map((p) => {
            try {
              return Exit.succeed(conn.savepoint(() => writeSync(conn, p)))
            } catch (error) {
              return Exit.fail(error)
            }
          })
        )
        const withFailed = (outcomes: ReadonlyArray<Exit.Exit<number, unknown>>) => {
          const all = [...outcomes]
          all.splice(failedAt, 0, Exit.fail(error))
          return settled(batch, all)
        }
        return Effect.matchEffect(isolated, {
          // The second transaction failed as a whole: only the step that failed has its own error.
          onFailure: (whole) => Effect.sync(() => withFailed(others.map(() => Exit.fail(whole)))),
          onSuccess: (outcomes) => Effect.sync(() => withFailed(outcomes))
        })
      }
    })
  }

  const batched = sqlite === undefined ? undefined : {
    sqlite,
    save: GroupCommit.make(writeBatch(sqlite), (p: Prepared) => Exit.fail(abandoned(p.step)))
  }

  return (step) =>
    Effect.withFiber((fiber) => {
      let p: Prepared
      try {
        p = prepare(step)
      } catch (error) {
        return error instanceof PersistenceError ? Effect.fail(error) : Effect.die(error)
      }
      if (batched === undefined) {
        return Effect.matchEffect(writeEffect(p), {
          onFailure: (error) => Effect.fail(saveFailed(step, error)),
          onSuccess: (appRef) => Effect.sync(() => saved(p, appRef))
        })
      }
      // Within the caller's own transaction, the step joins it (as a savepoint), unbatched.
      if (Context.getOrUndefined(fiber.context, sql.transactionService) !== undefined) {
        return Effect.flatMap(writeBatch(batched.sqlite)([p]), (outcomes) => outcomes[0]!)
      }
      return batched.save(p)
    })
}

/**
 * Throws `TooLarge` for the first value longer than `limit` UTF-8 bytes: such a value could be
 * written but not read back (PostgreSQL's client refuses a message over its size limit).
 */
const checkSizes = (
  step: Persistence.Step,
  writes: ReadonlyArray<readonly [key: string, json: string | null]>,
  limit: number
): void => {
  for (const [key, json] of writes) {
    // A UTF-16 code unit is at most 3 UTF-8 bytes: count bytes only when it could matter.
    if (json === null || json.length * 3 <= limit) continue
    const bytes = Buffer.byteLength(json, "utf8")
    if (bytes > limit) {
      throw new PersistenceError({
        reason: new Persistence.TooLarge({ key, bytes, limit }),
        appId: step.appId,
        partitionKey: step.partitionKey,
        sequenceId: step.sequenceId,
        message: `Application "${step.appId}" (step ${step.sequenceId}): the value of state key ${
          JSON.stringify(key)
        } is ${bytes} bytes as JSON, over the limit of ${limit} bytes (maxValueBytes); it was not saved`
      })
    }
  }
}

/**
 * The failure of a step that joined a batch whose leader was interrupted while it waited for
 * another process's lock: nothing of the batch was written, and the step may be saved again.
 */
const abandoned = (step: Persistence.Step): PersistenceError =>
  new PersistenceError({
    reason: new Persistence.Backend({ operation: "save the step" }),
    appId: step.appId,
    partitionKey: step.partitionKey,
    sequenceId: step.sequenceId,
    message: `Application "${step.appId}" (step ${step.sequenceId}) was not saved: the save it was grouped with ` +
      `was interrupted while waiting for another connection's lock on the database`
  })
