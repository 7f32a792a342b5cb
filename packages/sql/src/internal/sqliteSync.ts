/**
 * The persistence's hot statements on SQLite, run synchronously through `SqliteClient`'s
 * `transactionSync` and `withConnectionSync`: a step's rows written, a step read back. They are
 * the statements of the Effect SQL path (see `SqlPersistence`), as plain positional statements
 * prepared once, so that a step costs SQLite's work and little else.
 */
import type { Persistence } from "@teasel/core"
import type { SqlValue, SyncConnection } from "../SqliteClient.js"
import type { Delta } from "./delta.js"

/** A step ready to be written: its delta on the step before (when known) and where it goes. */
export interface Prepared {
  readonly step: Persistence.Step
  /** The key of the application in the cache of known states. */
  readonly cacheKey: string
  /** The application's row id, when this process knows it. */
  readonly appRef: number | undefined
  readonly delta: Delta
  /** The last full step at or before this one. */
  readonly base: number
  /** Each key's position in the state, when keys are added. */
  readonly position: ReadonlyMap<string, number> | undefined
}

/** Which step of which application to read: its latest when `sequenceId` is absent. */
export interface Query {
  readonly appId: string
  readonly partitionKey: string
  readonly sequenceId?: number | undefined
}

/** A row of `teasel_steps` with its application's row id; integers may come back as `BigInt`. */
export interface StepRow {
  readonly app: unknown
  readonly seq: unknown
  readonly base: unknown
  readonly action: string | null
  readonly next: string | null
  readonly parent_id: string | null
  readonly forked_app: string | null
  readonly forked_seq: unknown
  readonly created_at: unknown
}

/** A state key of a step, with its JSON at that step (`null`: removed, or not yet set). */
export interface KeyRow {
  readonly name: string
  readonly json: string | null
}

/** A stored step as read: its row and its state's keys, in the order they were first written. */
export interface Stored {
  readonly row: StepRow
  readonly keys: ReadonlyArray<KeyRow>
}

const STEP_COLUMNS = `SELECT a.id AS app, s.seq, s.base, s.action, s.next, s.parent_id, s.forked_app, s.forked_seq,
  s.created_at FROM teasel_apps a JOIN teasel_steps s ON s.app = a.id WHERE a.partition_key = ? AND a.app_id = ?`
const SELECT_LATEST = `${STEP_COLUMNS} ORDER BY s.seq DESC LIMIT 1`
const SELECT_AT = `${STEP_COLUMNS} AND s.seq = ?`
const SELECT_KEYS = `SELECT k.name,
  (SELECT v.json FROM teasel_state_values v WHERE v.app = k.app AND v.name = k.name AND v.seq >= ? AND v.seq <= ?
    ORDER BY v.seq DESC LIMIT 1) AS json
  FROM teasel_state_keys k WHERE k.app = ? ORDER BY k.seq, k.pos`

/** Reads a step and its state's keys; `undefined` when there is no such step. */
export const read = (conn: SyncConnection, query: Query): Stored | undefined => {
  const { appId, partitionKey, sequenceId } = query
  const row = (sequenceId === undefined
    ? conn.all<StepRow>(SELECT_LATEST, [partitionKey, appId])
    : conn.all<StepRow>(SELECT_AT, [partitionKey, appId, sequenceId]))[0]
  if (row === undefined) return undefined
  return { row, keys: conn.all<KeyRow>(SELECT_KEYS, [row.base as number, row.seq as number, row.app as number]) }
}

// Rows per INSERT: SQLite binds at most 32,766 parameters, and a few hundred rows amortise the
// statement as well as more would.
const CHUNK = 200

const INSERT_APP = `INSERT INTO teasel_apps (partition_key, app_id, created_at) VALUES (?, ?, ?)
  ON CONFLICT (partition_key, app_id) DO NOTHING RETURNING id`
const SELECT_APP = "SELECT id FROM teasel_apps WHERE partition_key = ? AND app_id = ?"
const INSERT_STEP = `INSERT INTO teasel_steps
  (app, seq, base, action, next, parent_id, forked_app, forked_seq, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

/** `INSERT ... VALUES (?, ?, ?, ?), ...` for `rows` rows, built once per row count. */
const multiRow = (head: string, tail: string) => {
  const texts = new Map<number, string>()
  return (rows: number): string => {
    let text = texts.get(rows)
    if (text === undefined) {
      text = `${head} VALUES ${Array.from({ length: rows }, () => "(?, ?, ?, ?)").join(", ")}${tail}`
      texts.set(rows, text)
    }
    return text
  }
}

const insertKeys = multiRow("INSERT INTO teasel_state_keys (app, name, seq, pos)", " ON CONFLICT (app, name) DO NOTHING")
const insertValues = multiRow("INSERT INTO teasel_state_values (app, name, seq, json)", "")

/**
 * Writes the step's rows (and its application's, the first time); returns the application's row
 * id. Throws the `SqlError` of a failed statement: a duplicate step is a unique violation.
 */
export const write = (conn: SyncConnection, p: Prepared): number => {
  const { delta, step } = p
  let appRef = p.appRef
  if (appRef === undefined) {
    const inserted = conn.all<{ id: number }>(INSERT_APP, [step.partitionKey, step.appId, step.createdAt])
    appRef = inserted.length > 0
      ? inserted[0]!.id
      : conn.all<{ id: number }>(SELECT_APP, [step.partitionKey, step.appId])[0]!.id
  }
  conn.run(INSERT_STEP, [
    appRef,
    step.sequenceId,
    p.base,
    step.action ?? null,
    step.next ?? null,
    step.parentId ?? null,
    step.forkedFrom?.appId ?? null,
    step.forkedFrom?.sequenceId ?? null,
    step.createdAt
  ])
  const seq = step.sequenceId
  for (let from = 0; from < delta.added.length; from += CHUNK) {
    const rows = delta.added.slice(from, from + CHUNK)
    const params: Array<SqlValue> = []
    for (const name of rows) params.push(appRef, name, seq, p.position!.get(name)!)
    conn.run(insertKeys(rows.length), params)
  }
  for (let from = 0; from < delta.writes.length; from += CHUNK) {
    const rows = delta.writes.slice(from, from + CHUNK)
    const params: Array<SqlValue> = []
    for (const [name, json] of rows) params.push(appRef, name, seq, json)
    conn.run(insertValues(rows.length), params)
  }
  return appRef
}
