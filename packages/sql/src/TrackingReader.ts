/**
 * The reader of tracked runs: what `SqlTracking` wrote, read back. Projects, their applications,
 * one application's steps (a page at a time), the state at a step and at the step before it, and
 * a parallel step's children with how many succeeded, failed or were interrupted. `teasel ui` is
 * built on it. (Formerly `TrackingReader`, a name that read like the place tracking writes to.)
 *
 * An application's status is the one its last run stopped with (completed, halted, failed,
 * interrupted). A run that never said how it stopped (its process was killed) is read with its
 * tracker's liveness: an application whose tracker closed (or has not been heard from for ten
 * seconds) while a step was running was interrupted, and one that stopped between steps, with a
 * next action, was halted (`internal/status.ts` holds that rule, beside the writer's).
 *
 * @since 0.2.0
 */
import { Context, type Effect, type Layer } from "effect"
import type { Graph } from "@teasel/core"
import type { Migrator, SqlClient, SqlError } from "effect/sql"
import * as Layers from "./internal/layers.js"
import type * as StatusRule from "./internal/status.js"
import { make as makeReader } from "./internal/trackingRead.js"
import type * as SqliteClient from "./SqliteClient.js"

/**
 * Where an application stands.
 *
 * @example
 * ```ts
 * import type { TrackingReader } from "@teasel/sql"
 * const done: TrackingReader.Status = "completed"
 * ```
 * @category models
 * @since 0.1.0
 */
export type Status = StatusRule.Status

/**
 * Where a step stands.
 *
 * @example
 * ```ts
 * import type { TrackingReader } from "@teasel/sql"
 * const step: TrackingReader.StepStatus = "failed"
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
 * import type { TrackingReader } from "@teasel/sql"
 * const p: TrackingReader.Project = { project: "poems", applications: 3, failed: 0, updatedAt: Date.now() }
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
 * import type { TrackingReader } from "@teasel/sql"
 * const label = (a: TrackingReader.Application) => `${a.appId}: ${a.status} after ${a.steps} steps`
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
 * import type { TrackingReader } from "@teasel/sql"
 * const chart = (a: TrackingReader.ApplicationDetail) => a.graph.mermaid
 * ```
 * @category models
 * @since 0.1.0
 */
export interface ApplicationDetail extends Application {
  readonly graph: Graph.Shape
  readonly parentAction: string | undefined
}

/**
 * One step as listed in a timeline.
 *
 * @example
 * ```ts
 * import type { TrackingReader } from "@teasel/sql"
 * const slow = (s: TrackingReader.Step) => (s.durationMs ?? 0) > 1000
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
 * import type { TrackingReader } from "@teasel/sql"
 * const changed = (s: TrackingReader.StepDetail) => JSON.stringify(s.state) !== JSON.stringify(s.previous)
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
 * import type { TrackingReader } from "@teasel/sql"
 * const ok = (c: TrackingReader.Child) => c.status === "completed"
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
 * import type { TrackingReader } from "@teasel/sql"
 * const summary = (c: TrackingReader.Children) => `${c.succeeded}/${c.total} succeeded`
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
 * import type { TrackingReader } from "@teasel/sql"
 * const more = <A>(p: TrackingReader.Page<A>) => p.offset + p.items.length < p.total
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
 * import type { TrackingReader } from "@teasel/sql"
 * const key: TrackingReader.AppKey = { partitionKey: "", appId: "poems-1a2b3c4d" }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface AppKey {
  readonly partitionKey: string
  readonly appId: string
}

/**
 * The reading service: what `SqlTracking` wrote, read back.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqliteClient, TrackingReader } from "@teasel/sql"
 * const projects = Effect.flatMap(Effect.service(TrackingReader.TrackingReader), (reader) => reader.projects()).pipe(
 *   Effect.provide(TrackingReader.layer),
 *   Effect.provide(SqliteClient.layer({ filename: ".teasel/teasel.db" }))
 * )
 * ```
 * @category services
 * @since 0.1.0
 */
export class TrackingReader extends Context.Service<TrackingReader, {
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
}>()("@teasel/sql/TrackingReader") {}

/**
 * The reading service over the `SqlClient` in context; creates the tracking tables if they are
 * missing (so that a viewer started before any run shows an empty store).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqliteClient, TrackingReader } from "@teasel/sql"
 * const apps = Effect.gen(function*() {
 *   const reader = yield* TrackingReader.make
 *   return yield* reader.applications({ project: "poems" })
 * }).pipe(Effect.provide(SqliteClient.layer({ filename: ".teasel/teasel.db" })))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make: Effect.Effect<
  TrackingReader["Service"],
  SqlError.SqlError | Migrator.MigrationError,
  SqlClient.SqlClient
> = makeReader

const layers = Layers.make(TrackingReader, () => make)

/**
 * The reading service over the `SqlClient` in context.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqliteClient, TrackingReader } from "@teasel/sql"
 * const program = Effect.flatMap(Effect.service(TrackingReader.TrackingReader), (reader) => reader.projects()).pipe(
 *   Effect.provide(TrackingReader.layer),
 *   Effect.provide(SqliteClient.layer({ filename: ".teasel/teasel.db" }))
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<TrackingReader, SqlError.SqlError | Migrator.MigrationError, SqlClient.SqlClient> =
  layers.layer

/**
 * The reading service over a SQLite file that `SqlTracking.layerSqlite` writes (its tables are
 * created when the file is new). A `busyTimeout` lets it wait while a tracker writes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TrackingReader } from "@teasel/sql"
 * Effect.flatMap(Effect.service(TrackingReader.TrackingReader), (reader) => reader.projects()).pipe(
 *   Effect.provide(TrackingReader.layerSqlite({ filename: ".teasel/teasel.db", busyTimeout: 2_000 }))
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerSqlite: (
  options: SqliteClient.SqliteClientConfig
) => Layer.Layer<TrackingReader, SqlError.SqlError | Migrator.MigrationError> = layers.layerSqlite

/**
 * The reading service over the PostgreSQL database that `SqlTracking.layerPg` writes, at `url`
 * (other settings of the pool beside it, such as `startupParameters: { search_path }`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TrackingReader } from "@teasel/sql"
 * Effect.flatMap(Effect.service(TrackingReader.TrackingReader), (reader) => reader.projects()).pipe(
 *   Effect.provide(TrackingReader.layerPg({ url: "postgres://postgres@127.0.0.1:5432/app" }))
 * )
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerPg: (
  options: Layers.PgOptions
) => Layer.Layer<TrackingReader, SqlError.SqlError | Migrator.MigrationError> = layers.layerPg
