/**
 * What `SqlTracking` writes for a batch of tracking records: plain statements, worked out without
 * touching the database, so that the same batch is written synchronously on SQLite or through
 * Effect SQL elsewhere.
 *
 * A batch becomes: the graphs not written yet, one upsert per application started, the step rows
 * (a step started and completed within the batch is one row), then one update per application
 * with where it stands after the batch. States are stored in full every `fullStateEvery` steps of
 * an application and when its previous step is not known here; otherwise as the top-level keys
 * whose value changed (by reference: states are immutable and share what they did not change).
 */
import { createHash } from "node:crypto"
import { Tracking } from "@teasel/core"
import { Lru } from "./lru.js"

/** A value a statement is bound to. */
export type Value = string | number | null

/** One statement, with `?` placeholders. */
export interface Statement {
  readonly sql: string
  readonly params: ReadonlyArray<Value>
}

/** The last state written for an application, to store its next one as a delta. */
interface Known {
  readonly seq: number
  readonly state: Record<string, unknown>
  readonly sinceFull: number
}

interface StepRow {
  partitionKey: string
  appId: string
  seq: number
  action: string
  status: "running" | "completed" | "failed" | "interrupted"
  startedAt: number
  durationMs: number | null
  chunks: number
  next: string | null
  full: 0 | 1 | null
  state: string | null
  error: string | null
}

interface AppUpdate {
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

/** Rows per multi-row `INSERT`: few statements, well under SQLite's limit of bound values. */
const ROWS_PER_INSERT = 50

export interface Writer {
  /** The statements that write `records`, in order. */
  readonly statements: (records: ReadonlyArray<Tracking.Record>) => Array<Statement>
  /** Forgets the states remembered: after a failed write, the next steps are stored in full. */
  readonly forget: () => void
}

export const make = (options: {
  readonly session: string
  readonly fullStateEvery: number
  readonly cacheSize?: number | undefined
}): Writer => {
  const known = new Lru<string, Known>(options.cacheSize ?? 4096)
  const graphIds = new WeakMap<Tracking.GraphShape, readonly [id: string, json: string]>()
  const graphsWritten = new Set<string>()

  const graphOf = (shape: Tracking.GraphShape) => {
    let entry = graphIds.get(shape)
    if (entry === undefined) {
      const json = JSON.stringify(shape)
      entry = [createHash("sha1").update(json).digest("hex").slice(0, 20), json]
      graphIds.set(shape, entry)
    }
    return entry
  }

  const encodeState = (key: string, seq: number, next: string | undefined, state: unknown) => {
    const previous = known.get(key)
    let full: 0 | 1
    let json: string
    let sinceFull = 0
    if (
      previous !== undefined && previous.seq === seq - 1 && previous.sinceFull + 1 < options.fullStateEvery &&
      isRecord(state)
    ) {
      const set: Record<string, unknown> = {}
      const unset: Array<string> = []
      for (const k of Object.keys(state)) {
        if (state[k] !== previous.state[k] || !(k in previous.state)) set[k] = state[k]
      }
      for (const k of Object.keys(previous.state)) if (!(k in state)) unset.push(k)
      full = 0
      json = toJson({ set, unset })
      sinceFull = previous.sinceFull + 1
    } else {
      full = 1
      json = toJson(state)
    }
    if (next === undefined || !isRecord(state)) known.delete(key)
    else known.set(key, { seq, state, sinceFull })
    return { full, json }
  }

  const statements = (records: ReadonlyArray<Tracking.Record>): Array<Statement> => {
    const graphs: Array<Statement> = []
    const starts: Array<Statement> = []
    const steps = new Map<string, StepRow>()
    const apps = new Map<string, AppUpdate>()
    const appOf = (partitionKey: string, appId: string, at: number) => {
      const key = keyOf(partitionKey, appId)
      let app = apps.get(key)
      if (app === undefined) {
        app = {
          partitionKey,
          appId,
          updatedAt: at,
          status: "running",
          lastSeq: 0,
          completed: undefined,
          runningSeq: null,
          runningAction: null,
          error: null
        }
        apps.set(key, app)
      }
      app.updatedAt = at
      return app
    }
    for (const r of records.flatMap(Tracking.expand)) {
      switch (r._tag) {
        case "ApplicationStarted": {
          const [graphId, shape] = graphOf(r.graph)
          if (!graphsWritten.has(graphId)) {
            graphsWritten.add(graphId)
            graphs.push({
              sql: `INSERT INTO teasel_track_graphs (id, shape) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`,
              params: [graphId, shape]
            })
          }
          starts.push({
            sql: `INSERT INTO teasel_track_apps (partition_key, app_id, project, parent_id, parent_seq, graph, session,
                started_at, updated_at, status, last_seq, running_seq, running_action, error, initial_state)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, NULL, NULL, NULL, ?)
              ON CONFLICT (partition_key, app_id) DO UPDATE SET project = excluded.project, graph = excluded.graph,
                session = excluded.session, updated_at = excluded.updated_at, status = 'running', running_seq = NULL,
                running_action = NULL, error = NULL`,
            params: [
              r.partitionKey,
              r.appId,
              r.project,
              r.parentId ?? null,
              r.parentSequenceId ?? null,
              graphId,
              options.session,
              r.at,
              r.at,
              r.sequenceId,
              // The state a new application was made with: what its first step is compared with.
              r.sequenceId === 0 ? toJson(r.state) : null
            ]
          })
          const app = appOf(r.partitionKey, r.appId, r.at)
          app.status = "running"
          app.lastSeq = Math.max(app.lastSeq, r.sequenceId)
          app.runningSeq = null
          app.runningAction = null
          app.error = null
          break
        }
        case "StepStarted": {
          steps.set(stepKey(r.partitionKey, r.appId, r.sequenceId), {
            partitionKey: r.partitionKey,
            appId: r.appId,
            seq: r.sequenceId,
            action: r.action,
            status: "running",
            startedAt: r.at,
            durationMs: null,
            chunks: 0,
            next: null,
            full: null,
            state: null,
            error: null
          })
          const app = appOf(r.partitionKey, r.appId, r.at)
          app.status = "running"
          app.runningSeq = r.sequenceId
          app.runningAction = r.action
          break
        }
        case "StepCompleted": {
          const { full, json } = encodeState(keyOf(r.partitionKey, r.appId), r.sequenceId, r.next, r.state)
          steps.set(stepKey(r.partitionKey, r.appId, r.sequenceId), {
            partitionKey: r.partitionKey,
            appId: r.appId,
            seq: r.sequenceId,
            action: r.action,
            status: "completed",
            startedAt: r.at - r.durationMs,
            durationMs: r.durationMs,
            chunks: r.chunks,
            next: r.next ?? null,
            full,
            state: json,
            error: null
          })
          const app = appOf(r.partitionKey, r.appId, r.at)
          app.status = r.next === undefined ? "completed" : "running"
          app.lastSeq = Math.max(app.lastSeq, r.sequenceId)
          app.completed = { action: r.action, next: r.next ?? null }
          app.runningSeq = null
          app.runningAction = null
          app.error = null
          break
        }
        case "ApplicationStopped": {
          const app = appOf(r.partitionKey, r.appId, r.at)
          // A failed or interrupted run keeps the error its step left.
          app.status = r.reason === "ended" ? "completed" : r.reason
          app.lastSeq = Math.max(app.lastSeq, r.sequenceId)
          app.runningSeq = null
          app.runningAction = null
          break
        }
        case "StepFailed":
        case "StepInterrupted": {
          const failed = r._tag === "StepFailed"
          const error = failed ? toJson(describeError(r.error)) : null
          steps.set(stepKey(r.partitionKey, r.appId, r.sequenceId), {
            partitionKey: r.partitionKey,
            appId: r.appId,
            seq: r.sequenceId,
            action: r.action,
            status: failed ? "failed" : "interrupted",
            startedAt: r.at - r.durationMs,
            durationMs: r.durationMs,
            chunks: 0,
            next: null,
            full: null,
            state: null,
            error
          })
          // The next completed step of this application follows a step that was not stored.
          known.delete(keyOf(r.partitionKey, r.appId))
          const app = appOf(r.partitionKey, r.appId, r.at)
          app.status = failed ? "failed" : "interrupted"
          app.runningSeq = null
          app.runningAction = null
          app.error = error
          break
        }
      }
    }
    const out = [...graphs, ...starts]
    const rows = [...steps.values()]
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) out.push(insertSteps(rows.slice(i, i + ROWS_PER_INSERT)))
    for (const app of apps.values()) out.push(updateApp(app))
    return out
  }

  return { statements, forget: () => known.clear() }
}

const STEP_COLUMNS = 12

const insertSteps = (rows: ReadonlyArray<StepRow>): Statement => {
  const params: Array<Value> = []
  for (const r of rows) {
    params.push(
      r.partitionKey,
      r.appId,
      r.seq,
      r.action,
      r.status,
      r.startedAt,
      r.durationMs,
      r.chunks,
      r.next,
      r.full,
      r.state,
      r.error
    )
  }
  const tuple = `(${Array.from({ length: STEP_COLUMNS }, () => "?").join(", ")})`
  return {
    sql: `INSERT INTO teasel_track_steps (partition_key, app_id, seq, action, status, started_at, duration_ms, chunks,
        next, full_state, state, error)
      VALUES ${rows.map(() => tuple).join(", ")}
      ON CONFLICT (partition_key, app_id, seq) DO UPDATE SET action = excluded.action, status = excluded.status,
        started_at = excluded.started_at, duration_ms = excluded.duration_ms, chunks = excluded.chunks,
        next = excluded.next, full_state = excluded.full_state, state = excluded.state, error = excluded.error`,
    params
  }
}

const updateApp = (app: AppUpdate): Statement => {
  const completed = app.completed === undefined ? "" : ", last_action = ?, next = ?"
  return {
    sql: `UPDATE teasel_track_apps SET updated_at = ?, status = ?, running_seq = ?, running_action = ?, error = ?,
        last_seq = CASE WHEN last_seq > ? THEN last_seq ELSE ? END${completed}
      WHERE partition_key = ? AND app_id = ?`,
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
  }
}

const keyOf = (partitionKey: string, appId: string) => `${partitionKey}\u0000${appId}`
const stepKey = (partitionKey: string, appId: string, seq: number) => `${partitionKey}\u0000${appId}\u0000${seq}`

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * JSON of any value: what `JSON.stringify` cannot write (a `BigInt`, a cycle) is written as a
 * string saying what it was, rather than failing the batch.
 */
export const toJson = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? "null"
  } catch {
    const seen = new WeakSet<object>()
    return JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === "bigint") return `${v}n`
      if (typeof v === "object" && v !== null) {
        if (seen.has(v)) return "[Circular]"
        seen.add(v)
      }
      return v
    }) ?? "null"
  }
}

/** An error as plain data: its tag, name, message, fields, the top of its stack, and its cause. */
export const describeError = (error: unknown, depth = 0): unknown => {
  if (depth > 8) return { message: "(cause chain truncated)" }
  if (typeof error !== "object" || error === null) {
    return { message: typeof error === "string" ? error : String(error) }
  }
  const e = error as Record<string, unknown> & { readonly stack?: unknown; readonly cause?: unknown }
  const out: Record<string, unknown> = {}
  if (typeof e["_tag"] === "string") out["_tag"] = e["_tag"]
  if (error instanceof Error) out["name"] = error.name
  out["message"] = typeof e["message"] === "string" ? e["message"] : toJson(error).slice(0, 2000)
  for (const key of Object.keys(e)) {
    if (key === "_tag" || key === "message" || key === "cause" || key === "stack") continue
    const value = e[key]
    if (typeof value !== "function" && typeof value !== "symbol") out[key] = value
  }
  if (typeof e.stack === "string") out["stack"] = e.stack.split("\n").slice(0, 12).join("\n")
  if (e.cause !== undefined) out["cause"] = describeError(e.cause, depth + 1)
  return out
}
