/**
 * How `TrackingReader` reads what `SqlTracking` wrote: the queries behind each of its methods,
 * over the `SqlClient` in context (placeholders adapted by `dialect.runner`), and the rows turned
 * into its models. Statuses are decided by `status.ts`, the rule the writer stores them by.
 */
import { Effect } from "effect"
import type { Graph } from "@teasel/core"
import type { Migrator } from "effect/sql"
import { SqlClient, type SqlError } from "effect/sql"
import type * as TrackingReader from "../TrackingReader.js"
import { runner, type Value } from "./dialect.js"
import { status } from "./status.js"
import { migrate } from "./trackingSchema.js"

type Service = TrackingReader.TrackingReader["Service"]
type AppKey = TrackingReader.AppKey
type Application = TrackingReader.Application
type Step = TrackingReader.Step
type MakeError = SqlError.SqlError | Migrator.MigrationError

interface AppRow {
  readonly partition_key: string
  readonly app_id: string
  readonly project: string
  readonly parent_id: string | null
  readonly parent_seq: unknown
  readonly status: string
  readonly last_seq: unknown
  readonly last_action: string | null
  readonly next: string | null
  readonly running_seq: unknown
  readonly running_action: string | null
  readonly started_at: unknown
  readonly updated_at: unknown
  readonly error: string | null
  readonly graph: string
  readonly session_closed: unknown
  readonly session_seen: unknown
  readonly children: unknown
}

interface StepRow {
  readonly seq: unknown
  readonly action: string
  readonly status: string
  readonly started_at: unknown
  readonly duration_ms: unknown
  readonly chunks: unknown
  readonly next: string | null
  readonly error: string | null
}

/** The columns of `AppRow` (and `extra`), from the applications joined with their trackers. */
const selectApps = (extra = "") =>
  `SELECT a.partition_key, a.app_id, a.project, a.parent_id, a.parent_seq, a.status, a.last_seq,
  a.last_action, a.next, a.running_seq, a.running_action, a.started_at, a.updated_at, a.error, a.graph,
  s.closed_at AS session_closed, s.last_seen AS session_seen,
  (SELECT count(*) FROM teasel_track_apps c WHERE c.partition_key = a.partition_key AND c.parent_id = a.app_id) AS children
  ${extra} FROM teasel_track_apps a LEFT JOIN teasel_track_sessions s ON s.id = a.session`

/**
 * The reader over the `SqlClient` in context; creates the tracking tables if they are missing
 * (so that a viewer started before any run shows an empty store).
 */
export const make: Effect.Effect<Service, MakeError, SqlClient.SqlClient> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* migrate
  const run = runner(sql)
  const query = <A extends object>(text: string, params: ReadonlyArray<Value>) => run<A>({ sql: text, params })

  const toApplication = (row: AppRow, now: number): Application => {
    const startedAt = Number(row.started_at)
    const updatedAt = Number(row.updated_at)
    return {
      project: row.project,
      partitionKey: row.partition_key,
      appId: row.app_id,
      parentId: row.parent_id ?? undefined,
      parentSequenceId: row.parent_seq === null ? undefined : Number(row.parent_seq),
      status: status({
        stored: row.status,
        stepRunning: row.running_seq !== null,
        trackerClosed: row.session_closed,
        trackerSeen: row.session_seen
      }, now),
      steps: Number(row.last_seq),
      lastAction: row.last_action ?? undefined,
      next: row.next ?? undefined,
      runningSequenceId: row.running_seq === null ? undefined : Number(row.running_seq),
      runningAction: row.running_action ?? undefined,
      startedAt,
      updatedAt,
      durationMs: Math.max(0, updatedAt - startedAt),
      children: Number(row.children),
      error: parse(row.error)
    }
  }

  const toStep = (row: StepRow, children: number): Step => ({
    sequenceId: Number(row.seq),
    action: row.action,
    status: row.status as TrackingReader.StepStatus,
    startedAt: Number(row.started_at),
    durationMs: row.duration_ms === null ? undefined : Number(row.duration_ms),
    chunks: Number(row.chunks),
    next: row.next ?? undefined,
    children
  })

  const projects = () =>
    Effect.map(
      query<{ project: string; applications: unknown; failed: unknown; updated_at: unknown }>(
        `SELECT project, count(*) AS applications, sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed,
          max(updated_at) AS updated_at
        FROM teasel_track_apps WHERE parent_id IS NULL GROUP BY project ORDER BY max(updated_at) DESC`,
        []
      ),
      (rows) =>
        rows.map((r): TrackingReader.Project => ({
          project: r.project,
          applications: Number(r.applications),
          failed: Number(r.failed),
          updatedAt: Number(r.updated_at)
        }))
    )

  const applications: Service["applications"] = ({ limit = 100, offset = 0, project }) =>
    Effect.gen(function*() {
      const [count] = yield* query<{ n: unknown }>(
        `SELECT count(*) AS n FROM teasel_track_apps WHERE project = ? AND parent_id IS NULL`,
        [project]
      )
      const rows = yield* query<AppRow>(
        `${selectApps()} WHERE a.project = ? AND a.parent_id IS NULL
        ORDER BY a.started_at DESC, a.app_id LIMIT ? OFFSET ?`,
        [project, limit, offset]
      )
      const now = Date.now()
      return { total: Number(count?.n ?? 0), offset, items: rows.map((r) => toApplication(r, now)) }
    })

  const application = (key: AppKey) =>
    Effect.gen(function*() {
      const [row] = yield* query<AppRow & { shape: string }>(
        `${selectApps(", g.shape")}
        LEFT JOIN teasel_track_graphs g ON g.id = a.graph
        WHERE a.partition_key = ? AND a.app_id = ?`,
        [key.partitionKey, key.appId]
      )
      if (row === undefined) return undefined
      let parentAction: string | undefined
      if (row.parent_id !== null && row.parent_seq !== null) {
        const [parentStep] = yield* query<{ action: string }>(
          `SELECT action FROM teasel_track_steps WHERE partition_key = ? AND app_id = ? AND seq = ?`,
          [key.partitionKey, row.parent_id, Number(row.parent_seq)]
        )
        parentAction = parentStep?.action
      }
      const graph = (parse(row.shape) ?? { actions: [], transitions: [], entrypoint: "", mermaid: "" }) as Graph.Shape
      return { ...toApplication(row, Date.now()), graph, parentAction } satisfies TrackingReader.ApplicationDetail
    })

  const childCounts = (key: AppKey, from: number, to: number) =>
    Effect.map(
      query<{ parent_seq: unknown; n: unknown }>(
        `SELECT parent_seq, count(*) AS n FROM teasel_track_apps
        WHERE partition_key = ? AND parent_id = ? AND parent_seq >= ? AND parent_seq <= ? GROUP BY parent_seq`,
        [key.partitionKey, key.appId, from, to]
      ),
      (rows) => new Map(rows.map((r) => [Number(r.parent_seq), Number(r.n)]))
    )

  const STEP_COLUMNS = `seq, action, status, started_at, duration_ms, chunks, next, error`

  const steps: Service["steps"] = (q) =>
    Effect.gen(function*() {
      const limit = q.limit ?? 100
      const [count] = yield* query<{ n: unknown }>(
        `SELECT count(*) AS n FROM teasel_track_steps WHERE partition_key = ? AND app_id = ?`,
        [q.partitionKey, q.appId]
      )
      const total = Number(count?.n ?? 0)
      let offset = q.offset ?? 0
      if (q.around !== undefined) {
        const [before] = yield* query<{ n: unknown }>(
          `SELECT count(*) AS n FROM teasel_track_steps WHERE partition_key = ? AND app_id = ? AND seq < ?`,
          [q.partitionKey, q.appId, q.around]
        )
        offset = Math.floor(Math.min(Number(before?.n ?? 0), Math.max(0, total - 1)) / limit) * limit
      }
      const rows = yield* query<StepRow>(
        `SELECT ${STEP_COLUMNS} FROM teasel_track_steps WHERE partition_key = ? AND app_id = ?
        ORDER BY seq LIMIT ? OFFSET ?`,
        [q.partitionKey, q.appId, limit, offset]
      )
      const counts = rows.length === 0
        ? new Map<number, number>()
        : yield* childCounts(q, Number(rows[0]!.seq), Number(rows[rows.length - 1]!.seq))
      return { total, offset, items: rows.map((r) => toStep(r, counts.get(Number(r.seq)) ?? 0)) }
    })

  const stateAt: Service["stateAt"] = (q) =>
    Effect.gen(function*() {
      if (q.sequenceId <= 0) {
        const [row] = yield* query<{ initial_state: string | null }>(
          `SELECT initial_state FROM teasel_track_apps WHERE partition_key = ? AND app_id = ?`,
          [q.partitionKey, q.appId]
        )
        return parse(row?.initial_state ?? null)
      }
      const rows = yield* query<{ seq: unknown; full_state: unknown; state: string }>(
        `SELECT seq, full_state, state FROM teasel_track_steps
        WHERE partition_key = ? AND app_id = ? AND seq <= ? AND full_state IS NOT NULL
          AND seq >= COALESCE((SELECT max(seq) FROM teasel_track_steps
            WHERE partition_key = ? AND app_id = ? AND seq <= ? AND full_state = 1), 0)
        ORDER BY seq`,
        [q.partitionKey, q.appId, q.sequenceId, q.partitionKey, q.appId, q.sequenceId]
      )
      let state: Record<string, unknown> | undefined
      for (const row of rows) {
        const value = parse(row.state)
        if (Number(row.full_state) === 1) state = value as Record<string, unknown>
        else if (state !== undefined && typeof value === "object" && value !== null) {
          const { set, unset } = value as { set: Record<string, unknown>; unset: ReadonlyArray<string> }
          state = { ...state, ...set }
          for (const k of unset) delete state[k]
        }
      }
      return state
    })

  const step: Service["step"] = (q) =>
    Effect.gen(function*() {
      const [row] = yield* query<StepRow>(
        `SELECT ${STEP_COLUMNS} FROM teasel_track_steps WHERE partition_key = ? AND app_id = ? AND seq = ?`,
        [q.partitionKey, q.appId, q.sequenceId]
      )
      if (row === undefined) return undefined
      const counts = yield* childCounts(q, q.sequenceId, q.sequenceId)
      const state = row.status === "completed" ? yield* stateAt(q) : undefined
      const previous = yield* stateAt({ ...q, sequenceId: q.sequenceId - 1 })
      return { ...toStep(row, counts.get(q.sequenceId) ?? 0), state, previous, error: parse(row.error) }
    })

  const children: Service["children"] = (q) =>
    Effect.gen(function*() {
      const limit = q.limit ?? 50
      const offset = q.offset ?? 0
      const where = `a.partition_key = ? AND a.parent_id = ? AND a.parent_seq = ?`
      const params = [q.partitionKey, q.appId, q.sequenceId]
      const now = Date.now()
      const groups = yield* query<{ status: string; open: unknown; closed: unknown; seen: unknown; n: unknown }>(
        `SELECT a.status, CASE WHEN a.running_seq IS NULL THEN 0 ELSE 1 END AS open, s.closed_at AS closed,
          s.last_seen AS seen, count(*) AS n
        FROM teasel_track_apps a LEFT JOIN teasel_track_sessions s ON s.id = a.session
        WHERE ${where} GROUP BY a.status, CASE WHEN a.running_seq IS NULL THEN 0 ELSE 1 END, s.closed_at, s.last_seen`,
        params
      )
      const figures = { total: 0, succeeded: 0, failed: 0, interrupted: 0, running: 0 }
      for (const g of groups) {
        const n = Number(g.n)
        figures.total += n
        const shown = status({ stored: g.status, stepRunning: Number(g.open) === 1, trackerClosed: g.closed, trackerSeen: g.seen }, now)
        if (shown === "completed") figures.succeeded += n
        else if (shown === "failed") figures.failed += n
        else if (shown === "interrupted") figures.interrupted += n
        else if (shown === "running") figures.running += n
        // A halted child stopped where its sub-graph was told to: it succeeded.
        else figures.succeeded += n
      }
      const [slow] = yield* query<{ app_id: string; d: unknown }>(
        `SELECT a.app_id, a.updated_at - a.started_at AS d FROM teasel_track_apps a WHERE ${where}
        ORDER BY a.updated_at - a.started_at DESC LIMIT 1`,
        params
      )
      const rows = yield* query<AppRow>(
        `${selectApps()} WHERE ${where} ORDER BY length(a.app_id), a.app_id LIMIT ? OFFSET ?`,
        [...params, limit, offset]
      )
      const items = yield* Effect.forEach(rows, (row) => {
        const app = toApplication(row, now)
        return Effect.map(
          stateAt({ partitionKey: app.partitionKey, appId: app.appId, sequenceId: app.steps }),
          (result): TrackingReader.Child => ({ ...app, result })
        )
      })
      return {
        ...figures,
        offset,
        slowest: slow === undefined ? undefined : { appId: slow.app_id, durationMs: Number(slow.d) },
        items
      }
    })

  const version = () =>
    Effect.map(
      query<{ u: unknown; s: unknown; c: unknown }>(
        `SELECT (SELECT max(updated_at) FROM teasel_track_apps) AS u,
          (SELECT max(last_seen) FROM teasel_track_sessions) AS s,
          (SELECT count(*) FROM teasel_track_sessions WHERE closed_at IS NOT NULL) AS c`,
        []
      ),
      ([row]) => `${row?.u ?? ""}/${row?.s ?? ""}/${row?.c ?? ""}`
    )

  return { projects, applications, application, steps, step, stateAt, children, version }
})

const parse = (json: string | null): unknown => {
  if (json === null) return undefined
  try {
    return JSON.parse(json)
  } catch {
    return json
  }
}

