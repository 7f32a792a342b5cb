/**
 * How the SQL persistence loads a step: its row, then its state as the latest version of each
 * key at or before it (`statements.selectStep`, `statements.selectKeys`). On SQLite through
 * `SqliteClient` the two statements run synchronously (a fan-out's children each read theirs
 * first, so this is on the resume path); elsewhere through Effect SQL. The latest step of an
 * application is remembered, so that its next step is stored as a delta.
 */
import { Effect } from "effect"
import { Persistence, type PersistenceError } from "@teasel/core"
import type { SqlClient, SqlError } from "effect/sql"
import type { SqliteClient } from "../SqliteClient.js"
import { digestsOf, type Known } from "./delta.js"
import { keyOf, runner } from "./dialect.js"
import type { Lru } from "./lru.js"
import { corrupt, rowProblem, stepDigest } from "./integrity.js"
import { backend, unreadable } from "./persistenceError.js"
import * as Statements from "./statements.js"

/** A stored step as read: its row and its state's keys, in the order they were first written. */
interface Stored {
  readonly row: Statements.StepRow
  readonly keys: ReadonlyArray<Statements.KeyRow>
}

/** `load` for the `SqlClient` `sql` (which is `sqlite` when it is a `SqliteClient`). */
export const make = (options: {
  readonly sql: SqlClient.SqlClient
  readonly sqlite: SqliteClient | undefined
  readonly known: Lru<string, Known>
}): (query: Statements.StepQuery) => Effect.Effect<Persistence.Step | undefined, PersistenceError> => {
  const { known, sqlite } = options
  const run = runner(options.sql)

  const read = (query: Statements.StepQuery): Effect.Effect<Stored | undefined, SqlError.SqlError> =>
    sqlite !== undefined
      ? sqlite.withConnectionSync((conn) => {
        const step = Statements.selectStep(query)
        const row = conn.all<Statements.StepRow>(step.sql, step.params)[0]
        if (row === undefined) return undefined
        if (rowProblem(row) !== undefined) return { row, keys: [] }
        const keys = Statements.selectKeys(row)
        return { row, keys: conn.all<Statements.KeyRow>(keys.sql, keys.params) }
      })
      : Effect.gen(function*() {
        const [row] = yield* run<Statements.StepRow>(Statements.selectStep(query))
        if (row === undefined) return undefined
        if (rowProblem(row) !== undefined) return { row, keys: [] }
        return { row, keys: yield* run<Statements.KeyRow>(Statements.selectKeys(row)) }
      })

  /** The step read back, as a `Step`; the latest step of an application is remembered. */
  const loaded = (query: Statements.StepQuery, stored: Stored): Effect.Effect<Persistence.Step, PersistenceError> => {
    const { appId, partitionKey } = query
    const { keys, row } = stored
    const seq = Number(row.seq)
    const badRow = rowProblem(row)
    if (badRow !== undefined) {
      const at = query.sequenceId ?? (Number.isSafeInteger(seq) ? seq : undefined)
      return Effect.fail(corrupt({ appId, partitionKey, sequenceId: at }, badRow))
    }
    const encoded: Record<string, string> = Object.create(null)
    for (const { json, name } of keys) if (json !== null) encoded[name] = json
    return Effect.flatMap(
      Effect.try({
        try: () => Persistence.decodeState(encoded),
        catch: (cause) => unreadable({ appId, partitionKey, sequenceId: seq }, encoded, cause)
      }),
      (state) => {
        // The state read back must be the one saved: a missing, altered or foreign row fails here.
        const digests = digestsOf(encoded)
        if (row.digest !== null && stepDigest(digests) !== row.digest) {
          return Effect.fail(corrupt({ appId, partitionKey, sequenceId: seq }, "its state does not match the digest saved with it"))
        }
        const step: Persistence.Step = {
          appId,
          partitionKey,
          sequenceId: seq,
          action: row.action ?? undefined,
          next: row.next ?? undefined,
          state,
          parentId: row.parent_id ?? undefined,
          ...(row.parent_seq === null ? {} : { parentSequenceId: Number(row.parent_seq) }),
          ...(row.parent_action === null ? {} : { parentAction: row.parent_action }),
          ...(row.forked_app === null ? {} : {
            forkedFrom: { appId: row.forked_app, sequenceId: Number(row.forked_seq) }
          }),
          createdAt: Number(row.created_at)
        }
        // The application will likely continue from its latest step: remember it, so that its
        // next step is stored as a delta (its unchanged keys are these very objects).
        if (query.sequenceId === undefined && step.next !== undefined) {
          known.set(keyOf(partitionKey, appId), {
            appRef: Number(row.app),
            sequenceId: seq,
            base: Number(row.base),
            state,
            digests
          })
        }
        return Effect.succeed(step)
      }
    )
  }

  return (query) => {
    const invalid = Persistence.checkIds(query)
    if (invalid !== undefined) return Effect.fail(invalid)
    return Effect.matchEffect(read(query), {
      onFailure: (error) => Effect.fail(backend(query, "load the step", error)),
      onSuccess: (stored) => stored === undefined ? Effect.undefined : loaded(query, stored)
    })
  }
}
