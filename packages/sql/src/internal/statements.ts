/**
 * Every statement this package writes with, and the persistence's reads: one table, used by the
 * synchronous path on SQLite (`SyncConnection.run` / `all`) and by the Effect SQL path on any
 * client (`dialect.runner`). Statements are plain text with `?` placeholders and their values:
 * building one touches no database, so the two paths cannot drift apart.
 *
 * The tables are described in `schema.ts` (persistence) and `trackingSchema.ts` (tracking).
 */
import type { Persistence, Tracking } from "@teasel/core"
import type { Delta } from "./delta.js"
import type { Statement, Value } from "./dialect.js"
import { Lru } from "./lru.js"

// ---------------------------------------------------------------------------------------------
// Persistence: writing a step
// ---------------------------------------------------------------------------------------------

/** What a step writes, worked out before any SQL (see `delta.ts`). */
export interface StepWrite {
  readonly step: Persistence.Step
  readonly delta: Delta
  /** The last step at or before this one whose state is stored in full. */
  readonly base: number
  /** Each key's position in the state, when keys are added. */
  readonly position: ReadonlyMap<string, number> | undefined
  /** The digest of the step's whole state (`integrity.stepDigest`), checked when it is loaded. */
  readonly digest: string
}

/** The application's row, made the first time; `RETURNING id` gives its id then, else no row. */
export const insertApp = (step: Persistence.Step): Statement => ({
  sql: `INSERT INTO teasel_apps (partition_key, app_id, created_at) VALUES (?, ?, ?)
    ON CONFLICT (partition_key, app_id) DO NOTHING RETURNING id`,
  params: [step.partitionKey, step.appId, step.createdAt]
})

/** The id of an application's row. */
export const selectApp = (step: Persistence.Step): Statement => ({
  sql: "SELECT id FROM teasel_apps WHERE partition_key = ? AND app_id = ?",
  params: [step.partitionKey, step.appId]
})

const INSERT_STEP = `INSERT INTO teasel_steps
  (app, seq, base, action, next, parent_id, forked_app, forked_seq, created_at, parent_seq, parent_action, digest)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const stepParams = (w: StepWrite, appRef: number): Array<Value> => {
  const { step } = w
  return [
    appRef,
    step.sequenceId,
    w.base,
    step.action ?? null,
    step.next ?? null,
    step.parentId ?? null,
    step.forkedFrom?.appId ?? null,
    step.forkedFrom?.sequenceId ?? null,
    step.createdAt,
    step.parentSequenceId ?? null,
    step.parentAction ?? null,
    w.digest
  ]
}

// Rows per INSERT: SQLite binds at most 32,766 values, and a few hundred rows amortise the
// statement as well as more would.
const CHUNK = 200

/** A statement's text for `n` rows, built once per `n`. */
const perRowCount = (text: (n: number) => string) => {
  const texts = new Map<number, string>()
  return (n: number): string => {
    let out = texts.get(n)
    if (out === undefined) {
      out = text(n)
      texts.set(n, out)
    }
    return out
  }
}

const tuples = (n: number, tuple: string) => Array.from({ length: n }, () => tuple).join(", ")
const insertKeysText = perRowCount((n) =>
  `INSERT INTO teasel_state_keys (app, name, seq, pos) VALUES ${tuples(n, "(?, ?, ?, ?)")}
    ON CONFLICT (app, name) DO NOTHING`
)
const insertValuesText = perRowCount((n) =>
  `INSERT INTO teasel_state_values (app, name, seq, json) VALUES ${tuples(n, "(?, ?, ?, ?)")}`
)

/**
 * A step's rows: the step, the keys it adds to its application, and the values that changed, in
 * that order, in as few statements as SQLite's limit on bound values allows. A second write of
 * the same step fails on the step's primary key (a unique violation).
 */
export const stepRows = (w: StepWrite, appRef: number): Array<Statement> => {
  const { delta, position } = w
  const seq = w.step.sequenceId
  const out: Array<Statement> = [{ sql: INSERT_STEP, params: stepParams(w, appRef) }]
  for (let from = 0; from < delta.added.length; from += CHUNK) {
    const rows = delta.added.slice(from, from + CHUNK)
    const params: Array<Value> = []
    for (const name of rows) params.push(appRef, name, seq, position!.get(name)!)
    out.push({ sql: insertKeysText(rows.length), params })
  }
  for (let from = 0; from < delta.writes.length; from += CHUNK) {
    const rows = delta.writes.slice(from, from + CHUNK)
    const params: Array<Value> = []
    for (const [name, json] of rows) params.push(appRef, name, seq, json)
    out.push({ sql: insertValuesText(rows.length), params })
  }
  return out
}

/** At most this many keys and values go into `stepRowsAtOnce`; more take `stepRows`. */
export const AT_ONCE_MAX_ROWS = 100

const atOnceTexts = new Lru<string, string>(256)

/**
 * PostgreSQL: the rows of `stepRows` as one statement, atomic by itself, for an application whose
 * row exists: a quarter of the round trips of BEGIN, the INSERTs and COMMIT. (The `CAST`s type the
 * `VALUES` lists, whose parameters PostgreSQL cannot infer.)
 */
export const stepRowsAtOnce = (w: StepWrite, appRef: number): Statement => {
  const { added, writes } = w.delta
  const params = stepParams(w, appRef)
  const seq = w.step.sequenceId
  if (added.length > 0) {
    params.push(seq)
    for (const name of added) params.push(name, w.position!.get(name)!)
  }
  if (writes.length > 0) {
    params.push(seq)
    for (const [name, json] of writes) params.push(name, json)
  }
  const shape = `${added.length}/${writes.length}`
  let sql = atOnceTexts.get(shape)
  if (sql === undefined) {
    const parts = [`step AS (${INSERT_STEP} RETURNING app)`]
    if (added.length > 0) {
      parts.push(`new_keys AS (INSERT INTO teasel_state_keys (app, name, seq, pos)
        SELECT step.app, k.name, CAST(? AS INTEGER), k.pos
        FROM step, (VALUES ${tuples(added.length, "(CAST(? AS TEXT), CAST(? AS INTEGER))")}) AS k(name, pos)
        ON CONFLICT (app, name) DO NOTHING)`)
    }
    const last = writes.length === 0
      ? "SELECT app FROM step"
      : `INSERT INTO teasel_state_values (app, name, seq, json)
        SELECT step.app, v.name, CAST(? AS INTEGER), v.json
        FROM step, (VALUES ${tuples(writes.length, "(CAST(? AS TEXT), CAST(? AS TEXT))")}) AS v(name, json)`
    sql = `WITH ${parts.join(", ")} ${last}`
    atOnceTexts.set(shape, sql)
  }
  return { sql, params }
}

/** A failed attempt at a step. */
export const insertFailure = (failure: Persistence.FailedStep): Statement => ({
  sql: `INSERT INTO teasel_failures (partition_key, app_id, seq, action, error, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
  params: [failure.partitionKey, failure.appId, failure.sequenceId, failure.action, failure.error, failure.createdAt]
})

// ---------------------------------------------------------------------------------------------
// Persistence: reading
// ---------------------------------------------------------------------------------------------

/** Which step of which application: its latest when `sequenceId` is absent. */
export interface StepQuery {
  readonly appId: string
  readonly partitionKey: string
  readonly sequenceId?: number | undefined
}

/** A row of `teasel_steps` with its application's row id; integers may come back as text or `BigInt`. */
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
  /** The owner of a child: its parent's step and action (`NULL` before schema version 2). */
  readonly parent_seq: unknown
  readonly parent_action: string | null
  /** The digest of the step's state (`NULL` before schema version 2). */
  readonly digest: string | null
  /** How many steps from `base` to `seq` are stored on that same base (`seq - base + 1` when whole). */
  readonly span: unknown
}

/** A state key of a step, with its JSON at that step (`null`: removed, or not yet set). */
export interface KeyRow {
  readonly name: string
  readonly json: string | null
}

const SELECT_STEP = `SELECT a.id AS app, s.seq, s.base, s.action, s.next, s.parent_id, s.forked_app, s.forked_seq,
  s.created_at, s.parent_seq, s.parent_action, s.digest,
  (SELECT COUNT(*) FROM teasel_steps c WHERE c.app = s.app AND c.seq >= s.base AND c.seq <= s.seq AND c.base = s.base)
    AS span
  FROM teasel_apps a JOIN teasel_steps s ON s.app = a.id WHERE a.partition_key = ? AND a.app_id = ?`

const SELECT_LATEST = `${SELECT_STEP} ORDER BY s.seq DESC LIMIT 1`
const SELECT_AT = `${SELECT_STEP} AND s.seq = ?`

/** The step asked for (`StepRow`): the latest, or the given one. */
export const selectStep = (query: StepQuery): Statement =>
  query.sequenceId === undefined
    ? { sql: SELECT_LATEST, params: [query.partitionKey, query.appId] }
    : { sql: SELECT_AT, params: [query.partitionKey, query.appId, query.sequenceId] }

/**
 * The state of a step as `KeyRow`s, in the order keys first appeared: for every key the
 * application ever held, its latest value in `[base, seq]` (one index lookup per key).
 */
export const selectKeys = (row: StepRow): Statement => ({
  sql: `SELECT k.name,
    (SELECT v.json FROM teasel_state_values v WHERE v.app = k.app AND v.name = k.name AND v.seq >= ? AND v.seq <= ?
      ORDER BY v.seq DESC LIMIT 1) AS json
    FROM teasel_state_keys k WHERE k.app = ? ORDER BY k.seq, k.pos`,
  params: [Number(row.base), Number(row.seq), Number(row.app)]
})

/** The applications of a partition with their latest step, oldest application first. */
export const selectLatestSteps = (partitionKey: string): Statement => ({
  sql: `SELECT a.app_id, s.seq, s.action, s.next, s.parent_id, s.created_at
    FROM teasel_apps a JOIN teasel_steps s ON s.app = a.id
    WHERE a.partition_key = ? AND s.seq = (SELECT MAX(m.seq) FROM teasel_steps m WHERE m.app = a.id)
    ORDER BY a.id`,
  params: [partitionKey]
})

/** An application's failed attempts, oldest first. */
export const selectFailures = (query: { readonly appId: string; readonly partitionKey: string }): Statement => ({
  sql: `SELECT seq, action, error, created_at FROM teasel_failures WHERE partition_key = ? AND app_id = ?
    ORDER BY created_at, seq`,
  params: [query.partitionKey, query.appId]
})

// ---------------------------------------------------------------------------------------------
// Tracking: writing
// ---------------------------------------------------------------------------------------------

/** A tracker (one process) starts. */
export const openSession = (session: string, pid: number, at: number): Statement => ({
  sql: `INSERT INTO teasel_track_sessions (id, pid, started_at, last_seen, closed_at) VALUES (?, ?, ?, ?, NULL)`,
  params: [session, pid, at, at]
})

/** A tracker is alive at `at`. */
export const heartbeat = (session: string, at: number): Statement => ({
  sql: `UPDATE teasel_track_sessions SET last_seen = ? WHERE id = ?`,
  params: [at, session]
})

/** A tracker closes. */
export const closeSession = (session: string, at: number): Statement => ({
  sql: `UPDATE teasel_track_sessions SET last_seen = ?, closed_at = ? WHERE id = ?`,
  params: [at, at, session]
})

/** A graph's shape, once per digest. */
export const insertGraph = (id: string, shape: string): Statement => ({
  sql: `INSERT INTO teasel_track_graphs (id, shape) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`,
  params: [id, shape]
})

/** A run of an application starts: its row is made, or reset to running. */
export const startApp = (
  r: Tracking.ApplicationStarted,
  graphId: string,
  session: string,
  initialState: string | null
): Statement => ({
  sql: `INSERT INTO teasel_track_apps (partition_key, app_id, project, parent_id, parent_seq, graph, session,
      started_at, updated_at, status, last_seq, running_seq, running_action, error, initial_state)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, NULL, NULL, NULL, ?)
    ON CONFLICT (partition_key, app_id) DO UPDATE SET project = excluded.project, graph = excluded.graph,
      session = excluded.session, updated_at = excluded.updated_at, status = 'running', running_seq = NULL,
      running_action = NULL, error = NULL`,
  params: [r.partitionKey, r.appId, r.project, r.parentId ?? null, r.parentSequenceId ?? null, graphId, session, r.at,
    r.at, r.sequenceId, initialState]
})

/** A row of `teasel_track_steps`: a step's last attempt. */
export interface TrackedStep {
  partitionKey: string
  appId: string
  seq: number
  action: string
  status: "running" | "completed" | "failed" | "interrupted"
  startedAt: number
  durationMs: number | null
  chunks: number
  next: string | null
  /** 1: `state` is the whole state; 0: the keys that changed (`{"set":{...},"unset":[...]}`). */
  full: 0 | 1 | null
  state: string | null
  error: string | null
}

/** Rows per multi-row upsert of steps: few statements, well under SQLite's limit of bound values. */
export const STEPS_PER_STATEMENT = 50

const upsertStepsText = perRowCount((n) =>
  `INSERT INTO teasel_track_steps (partition_key, app_id, seq, action, status, started_at, duration_ms, chunks,
      next, full_state, state, error)
    VALUES ${tuples(n, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")}
    ON CONFLICT (partition_key, app_id, seq) DO UPDATE SET action = excluded.action, status = excluded.status,
      started_at = excluded.started_at, duration_ms = excluded.duration_ms, chunks = excluded.chunks,
      next = excluded.next, full_state = excluded.full_state, state = excluded.state, error = excluded.error`
)

/** Steps' rows (at most `STEPS_PER_STATEMENT`), made or replaced. */
export const upsertSteps = (rows: ReadonlyArray<TrackedStep>): Statement => {
  const params: Array<Value> = []
  for (const r of rows) {
    params.push(r.partitionKey, r.appId, r.seq, r.action, r.status, r.startedAt, r.durationMs, r.chunks, r.next, r.full,
      r.state, r.error)
  }
  return { sql: upsertStepsText(rows.length), params }
}

/** Where an application stands after a batch of records. */
export interface AppUpdate {
  partitionKey: string
  appId: string
  updatedAt: number
  status: string
  lastSeq: number
  /** Set when a step completed in the batch: the last one's action and next action. */
  completed: { readonly action: string; readonly next: string | null } | undefined
  runningSeq: number | null
  runningAction: string | null
  error: string | null
}

const updateAppText = (completed: boolean) =>
  `UPDATE teasel_track_apps SET updated_at = ?, status = ?, running_seq = ?, running_action = ?, error = ?,
      last_seq = CASE WHEN last_seq > ? THEN last_seq ELSE ? END${completed ? ", last_action = ?, next = ?" : ""}
    WHERE partition_key = ? AND app_id = ?`
const UPDATE_APP = updateAppText(false)
const UPDATE_APP_COMPLETED = updateAppText(true)

/** An application's row brought up to date (its last step never goes back). */
export const updateApp = (app: AppUpdate): Statement => ({
  sql: app.completed === undefined ? UPDATE_APP : UPDATE_APP_COMPLETED,
  params: [
    app.updatedAt,
    app.status,
    app.runningSeq,
    app.runningAction,
    app.error,
    app.lastSeq,
    app.lastSeq,
    ...(app.completed === undefined ? [] : [app.completed.action, app.completed.next]),
    app.partitionKey,
    app.appId
  ]
})
