/**
 * Reading what `SqlTracking` wrote: projects, their applications, one application's steps (a
 * page at a time), the state at a step and at the step before it, and a parallel step's children
 * with how many succeeded, failed or were interrupted. `teasel ui` is built on it.
 *
 * An application's status is the one its last run stopped with (completed, halted, failed,
 * interrupted). A run that never said how it stopped (its process was killed) is read with its
 * tracker's liveness: an application whose tracker closed (or has not been heard from for ten
 * seconds) while a step was running was interrupted, and one that stopped between steps, with a
 * next action, was halted.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"
import type { Tracking } from "@teasel/core"
import type { PgClient } from "@effect/sql-pg"
import type { Migrator } from "effect/sql"
import { SqlClient, type SqlError } from "effect/sql"
import * as Clients from "./internal/clients.js"
import { migrate } from "./internal/trackingSchema.js"
import type { Value } from "./internal/trackingWrite.js"
import type * as SqliteClient from "./SqliteClient.js"

/**
 * Where an application stands.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "@teasel/sql"
 * const done: TrackingStore.Status = "completed"
 * ```
 * @category models
 * @since 0.1.0
 */
export type Status = "running" | "completed" | "failed" | "interrupted" | "halted"

/**
 * Where a step stands.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "@teasel/sql"
 * const step: TrackingStore.StepStatus = "failed"
 * ```
 * @category models
 * @since 0.1.0
 */
export type StepStatus = "running" | "completed" | "failed" | "interrupted"

/**
 * A project: the applications tracked under one `Tracking.CurrentProject`.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "@teasel/sql"
 * const p: TrackingStore.Project = { project: "poems", applications: 3, failed: 0, updatedAt: Date.now() }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Project {
  readonly project: string
  /** Top-level applications (children are counted with their parent). */
  readonly applications: number
  readonly failed: number
  readonly updatedAt: number
}

/**
 * One application as listed.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "@teasel/sql"
 * const label = (a: TrackingStore.Application) => `${a.appId}: ${a.status} after ${a.steps} steps`
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Application {
  readonly project: string
  readonly partitionKey: string
  readonly appId: string
  readonly parentId: string | undefined
  /** For a child: the parent's step that spawned it. */
  readonly parentSequenceId: number | undefined
  readonly status: Status
  /** The sequence id of its last completed step: the number of steps it has run. */
  readonly steps: number
  readonly lastAction: string | undefined
  readonly next: string | undefined
  readonly runningSequenceId: number | undefined
  readonly runningAction: string | undefined
  readonly startedAt: number
  readonly updatedAt: number
  /** From its first tracked start to its last record. */
  readonly durationMs: number
  readonly children: number
  /** The error of its last failed step (`{ _tag?, name?, message, cause?, ... }`). */
  readonly error: unknown
}

/**
 * One application with its graph, and for a child the action of the step that spawned it.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "@teasel/sql"
 * const chart = (a: TrackingStore.ApplicationDetail) => a.graph.mermaid
 * ```
 * @category models
 * @since 0.1.0
 */
export interface ApplicationDetail extends Application {
  readonly graph: Tracking.GraphShape
  readonly parentAction: string | undefined
}

/**
 * One step as listed in a timeline.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "@teasel/sql"
 * const slow = (s: TrackingStore.Step) => (s.durationMs ?? 0) > 1000
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Step {
  readonly sequenceId: number
  readonly action: string
  readonly status: StepStatus
  readonly startedAt: number
  /** `undefined` while it runs. */
  readonly durationMs: number | undefined
  readonly chunks: number
  readonly next: string | undefined
  /** Child applications it spawned (a parallel step, or a sub-graph). */
  readonly children: number
}

/**
 * One step with its state, the state before it, and its error.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "@teasel/sql"
 * const changed = (s: TrackingStore.StepDetail) => JSON.stringify(s.state) !== JSON.stringify(s.previous)
 * ```
 * @category models
 * @since 0.1.0
 */
export interface StepDetail extends Step {
  /** The state after the step (`undefined` unless it completed). */
  readonly state: unknown
  /** The state before it: after the previous step, or the state the application was made with. */
  readonly previous: unknown
  readonly error: unknown
}

/**
 * A child application of a step, with its result (its last state).
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "@teasel/sql"
 * const ok = (c: TrackingStore.Child) => c.status === "completed"
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Child extends Application {
  readonly result: unknown
}

/**
 * The children of a step: a page of them, and figures over all of them.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "@teasel/sql"
 * const summary = (c: TrackingStore.Children) => `${c.succeeded}/${c.total} succeeded`
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Children {
  readonly total: number
  readonly offset: number
  readonly succeeded: number
  readonly failed: number
  readonly interrupted: number
  readonly running: number
  /** The child that ran longest. */
  readonly slowest: { readonly appId: string; readonly durationMs: number } | undefined
  readonly items: ReadonlyArray<Child>
}

/**
 * A page of a longer list.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "@teasel/sql"
 * const more = <A>(p: TrackingStore.Page<A>) => p.offset + p.items.length < p.total
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Page<A> {
  readonly total: number
  readonly offset: number
  readonly items: ReadonlyArray<A>
}

/**
 * An application by its key.
 *
 * @example
 * ```ts
 * import type { TrackingStore } from "@teasel/sql"
 * const key: TrackingStore.AppKey = { partitionKey: "", appId: "poems-1a2b3c4d" }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface AppKey {
  readonly partitionKey: string
  readonly appId: string
}

/**
 * The reading service.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqliteClient, TrackingStore } from "@teasel/sql"
 * const projects = Effect.flatMap(Effect.service(TrackingStore.TrackingStore), (store) => store.projects()).pipe(
 *   Effect.provide(TrackingStore.layer),
 *   Effect.provide(SqliteClient.layer({ filename: ".teasel/teasel.db" }))
 * )
 * ```
 * @category services
 * @since 0.1.0
 */
export class TrackingStore extends Context.Service<TrackingStore, {
  readonly projects: () => Effect.Effect<ReadonlyArray<Project>, SqlError.SqlError>
  /** Top-level applications of a project, the latest started first. */
  readonly applications: (query: {
    readonly project: string
    readonly offset?: number | undefined
    readonly limit?: number | undefined
  }) => Effect.Effect<Page<Application>, SqlError.SqlError>
  readonly application: (key: AppKey) => Effect.Effect<ApplicationDetail | undefined, SqlError.SqlError>
  /**
   * A page of an application's steps, in order. With `around`, the page that holds that step
   * (`offset` is then ignored).
   */
  readonly steps: (query: AppKey & {
    readonly offset?: number | undefined
    readonly limit?: number | undefined
    readonly around?: number | undefined
  }) => Effect.Effect<Page<Step>, SqlError.SqlError>
  readonly step: (query: AppKey & { readonly sequenceId: number }) => Effect.Effect<StepDetail | undefined, SqlError.SqlError>
  /** The state after step `sequenceId` (0: the state the application was made with). */
  readonly stateAt: (query: AppKey & { readonly sequenceId: number }) => Effect.Effect<unknown, SqlError.SqlError>
  /** The children a step spawned, in task order. */
  readonly children: (query: AppKey & {
    readonly sequenceId: number
    readonly offset?: number | undefined
    readonly limit?: number | undefined
  }) => Effect.Effect<Children, SqlError.SqlError>
  /** A value that changes whenever something was tracked (or a tracker was heard from). */
  readonly version: () => Effect.Effect<string, SqlError.SqlError>
}>()("@teasel/sql/TrackingStore") {}

/** A tracker not heard from for this long is taken for dead. */
const ALIVE_MS = 10_000

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
 * The reading service over the `SqlClient` in context; creates the tracking tables if they are
 * missing (so that a viewer started before any run shows an empty store).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqliteClient, TrackingStore } from "@teasel/sql"
 * const apps = Effect.gen(function*() {
 *   const store = yield* TrackingStore.make
 *   return yield* store.applications({ project: "poems" })
 * }).pipe(Effect.provide(SqliteClient.layer({ filename: ".teasel/teasel.db" })))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make: Effect.Effect<
  TrackingStore["Service"],
  SqlError.SqlError | Migrator.MigrationError,
  SqlClient.SqlClient
> = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* migrate
  const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
  const query = <A extends object>(text: string, params: ReadonlyArray<Value>) =>
    sql.unsafe<A>(pg ? dollarParams(text) : text, params as Array<Value>)

  const alive = (closed: unknown, seen: unknown, now: number) =>
    closed === null && seen !== null && now - Number(seen) < ALIVE_MS

  const statusOf = (row: AppRow, now: number): Status => {
    if (row.status !== "running") return row.status as Status
    if (alive(row.session_closed, row.session_seen, now)) return "running"
    return row.running_seq === null ? "halted" : "interrupted"
  }

  const toApplication = (row: AppRow, now: number): Application => {
    const startedAt = Number(row.started_at)
    const updatedAt = Number(row.updated_at)
    return {
      project: row.project,
      partitionKey: row.partition_key,
      appId: row.app_id,
      parentId: row.parent_id ?? undefined,
      parentSequenceId: row.parent_seq === null ? undefined : Number(row.parent_seq),
      status: statusOf(row, now),
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
    status: row.status as StepStatus,
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
        rows.map((r): Project => ({
          project: r.project,
          applications: Number(r.applications),
          failed: Number(r.failed),
          updatedAt: Number(r.updated_at)
        }))
    )

  const applications: TrackingStore["Service"]["applications"] = ({ limit = 100, offset = 0, project }) =>
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
      const graph = (parse(row.shape) ?? { actions: [], transitions: [], entrypoint: "", mermaid: "" }) as Tracking.GraphShape
      return { ...toApplication(row, Date.now()), graph, parentAction } satisfies ApplicationDetail
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

  const steps: TrackingStore["Service"]["steps"] = (q) =>
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

  const stateAt: TrackingStore["Service"]["stateAt"] = (q) =>
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

  const step: TrackingStore["Service"]["step"] = (q) =>
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

  const children: TrackingStore["Service"]["children"] = (q) =>
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
        const status = g.status !== "running"
          ? g.status
          : alive(g.closed, g.seen, now)
          ? "running"
          : Number(g.open) === 1
          ? "interrupted"
          : "halted"
        if (status === "completed") figures.succeeded += n
        else if (status === "failed") figures.failed += n
        else if (status === "interrupted") figures.interrupted += n
        else if (status === "running") figures.running += n
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
          (result): Child => ({ ...app, result })
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

  return TrackingStore.of({ projects, applications, application, steps, step, stateAt, children, version })
})

/**
 * The reading service over the `SqlClient` in context.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqliteClient, TrackingStore } from "@teasel/sql"
 * const program = Effect.flatMap(Effect.service(TrackingStore.TrackingStore), (store) => store.projects()).pipe(
 *   Effect.provide(TrackingStore.layer),
 *   Effect.provide(SqliteClient.layer({ filename: ".teasel/teasel.db" }))
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<TrackingStore, SqlError.SqlError | Migrator.MigrationError, SqlClient.SqlClient> = Layer
  .effect(TrackingStore, make)

/**
 * The reading service over a SQLite file that `SqlTracking.layerSqlite` writes (its tables are
 * created when the file is new). A `busyTimeout` lets it wait while a tracker writes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TrackingStore } from "@teasel/sql"
 * Effect.flatMap(Effect.service(TrackingStore.TrackingStore), (store) => store.projects()).pipe(
 *   Effect.provide(TrackingStore.layerSqlite({ filename: ".teasel/teasel.db", busyTimeout: 2_000 }))
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerSqlite = (
  options: SqliteClient.SqliteClientConfig
): Layer.Layer<TrackingStore, SqlError.SqlError | Migrator.MigrationError> => Clients.onSqlite(layer, options)

/**
 * The reading service over the PostgreSQL database that `SqlTracking.layerPg` writes, at `url`
 * (other settings of the pool beside it, such as `startupParameters: { search_path }`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TrackingStore } from "@teasel/sql"
 * Effect.flatMap(Effect.service(TrackingStore.TrackingStore), (store) => store.projects()).pipe(
 *   Effect.provide(TrackingStore.layerPg({ url: "postgres://postgres@127.0.0.1:5432/app" }))
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerPg = (
  options: { readonly url: string } & Omit<PgClient.PgPoolConfig, "url">
): Layer.Layer<TrackingStore, SqlError.SqlError | Migrator.MigrationError> => Clients.onPg(layer, options)

const parse = (json: string | null): unknown => {
  if (json === null) return undefined
  try {
    return JSON.parse(json)
  } catch {
    return json
  }
}

const dollarParams = (text: string): string => {
  let n = 0
  return text.replace(/\?/g, () => `$${++n}`)
}
