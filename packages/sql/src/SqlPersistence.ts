/**
 * Persistence in a SQL database: SQLite (the embedded default) or PostgreSQL, or any Effect
 * `SqlClient`.
 *
 * Storage grows with what changed, not with steps × state size: each step stores a small row
 * (application, step number, action, next action, parent, fork origin, time) and only the
 * top-level state keys whose value changed since the application's previous step; a removed key
 * is recorded as removed. A step's state is read back as the latest version of each key at or
 * before it. States are encoded with `Persistence.encodeState`, so what is stored and what is
 * refused is exactly what the in-memory layer stores and refuses.
 *
 * Each save is one transaction; the step's primary key (application, step number) makes a second
 * write of the same step fail with a `PersistenceError` of reason `Conflict`, whichever process
 * attempts it. On SQLite (through `SqliteClient`), saves requested together, as a fan-out's
 * children request theirs, share one transaction (group commit): each caller still gets its own
 * outcome, and only once its step is committed. There, saves and reads are plain prepared
 * statements run synchronously (`SqliteClient.transactionSync`), not Effect SQL statements.
 *
 * @since 0.1.0
 */
import { Array as Arr, Cause, Context, Effect, Exit, Layer, Option } from "effect"
import { Persistence, PersistenceError } from "@teasel/core"
import type { PgClient } from "@effect/sql-pg"
import type { Migrator } from "effect/sql"
import { SqlClient, SqlError, type Statement } from "effect/sql"
import { diff, digestsOf, type Known } from "./internal/delta.js"
import * as GroupCommit from "./internal/groupCommit.js"
import { Lru } from "./internal/lru.js"
import { migrate } from "./internal/schema.js"
import * as SqliteSync from "./internal/sqliteSync.js"
import type { KeyRow, Prepared, Query, StepRow, Stored } from "./internal/sqliteSync.js"
import * as Clients from "./internal/clients.js"
import * as SqliteClient from "./SqliteClient.js"

/**
 * Settings of the SQL persistence.
 *
 * @example
 * ```ts
 * import { SqlPersistence } from "@teasel/sql"
 * const options: SqlPersistence.Options = { cacheSize: 10_000 }
 * SqlPersistence.layerSqlite({ filename: "data/teasel.db", ...options })
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /**
   * How many applications' latest states are remembered, to store the next step as a delta
   * without reading the previous one back. Default 4096. An application not remembered stores its
   * next step in full.
   */
  readonly cacheSize?: number | undefined
}

/**
 * Everything building the persistence can fail with: the database, or creating its tables.
 *
 * @example
 * ```ts
 * import type { Layer } from "effect"
 * import type { Persistence } from "@teasel/core"
 * import { SqlPersistence } from "@teasel/sql"
 * const store: Layer.Layer<Persistence.Persistence, SqlPersistence.LayerError> =
 *   SqlPersistence.layerSqlite({ filename: "data/teasel.db" })
 * ```
 * @category models
 * @since 0.1.0
 */
export type LayerError = SqlError.SqlError | Migrator.MigrationError

/**
 * The persistence service over the `SqlClient` in context; creates its tables on first use.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Persistence } from "@teasel/core"
 * import { SqliteClient, SqlPersistence } from "@teasel/sql"
 * const program = Effect.gen(function*() {
 *   const store = yield* SqlPersistence.make({ cacheSize: 100 })
 *   return yield* store.list("")
 * }).pipe(Effect.provide(SqliteClient.layer({ filename: "data/teasel.db" })))
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  options: Options = {}
): Effect.Effect<Persistence.Persistence["Service"], LayerError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* migrate
    const known = new Lru<string, Known>(options.cacheSize ?? 4096)
    const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })

    /** A step's row, its new keys and its values as one PostgreSQL statement. */
    const oneStatement = (
      appRef: number,
      stepRow: Statement.Fragment,
      seq: number,
      delta: ReturnType<typeof diff>,
      position: ReadonlyMap<string, number> | undefined
    ) => {
      const parts = [sql`step AS (${stepRow} RETURNING app)`]
      if (delta.added.length > 0) {
        const keys = delta.added.map((name) => sql`(CAST(${name} AS TEXT), CAST(${position!.get(name)!} AS INTEGER))`)
        parts.push(sql`new_keys AS (INSERT INTO teasel_state_keys (app, name, seq, pos)
          SELECT step.app, k.name, CAST(${seq} AS INTEGER), k.pos FROM step, (VALUES ${sql.csv(keys)}) AS k(name, pos)
          ON CONFLICT (app, name) DO NOTHING)`)
      }
      const values = delta.writes.map(([name, json]) => sql`(CAST(${name} AS TEXT), CAST(${json} AS TEXT))`)
      const last = values.length === 0
        ? sql`SELECT ${appRef} AS app FROM step`
        : sql`INSERT INTO teasel_state_values (app, name, seq, json)
          SELECT step.app, v.name, CAST(${seq} AS INTEGER), v.json FROM step, (VALUES ${sql.csv(values)}) AS v(name, json)`
      return sql`WITH ${sql.csv(parts)} ${last}`
    }

    const ensureApp = (step: Persistence.Step) =>
      Effect.gen(function*() {
        yield* sql`INSERT INTO teasel_apps (partition_key, app_id, created_at)
          VALUES (${step.partitionKey}, ${step.appId}, ${step.createdAt})
          ON CONFLICT (partition_key, app_id) DO NOTHING`
        const rows = yield* sql<{ id: unknown }>`SELECT id FROM teasel_apps
          WHERE partition_key = ${step.partitionKey} AND app_id = ${step.appId}`
        return Number(rows[0]!.id)
      })

    /** What a step writes, worked out before any SQL: its delta on the step before, when known. */
    const prepare = (step: Persistence.Step): Prepared => {
      const cacheKey = keyOf(step.partitionKey, step.appId)
      const remembered = known.get(cacheKey)
      const previous = remembered !== undefined && remembered.sequenceId === step.sequenceId - 1 &&
          step.forkedFrom === undefined
        ? remembered
        : undefined
      // Throws the PersistenceError of a value that cannot be stored.
      const delta = diff(previous, step.state, whereOf(step))
      return {
        step,
        cacheKey,
        appRef: remembered?.appRef,
        delta,
        base: delta.full ? step.sequenceId : previous!.base,
        position: delta.added.length === 0
          ? undefined
          : new Map(Object.keys(step.state as object).map((key, i) => [key, i]))
      }
    }

    /** After the step's transaction committed: remember its state, to store the next as a delta. */
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

    const failed = (step: Persistence.Step, error: SqlError.SqlError): PersistenceError =>
      error.reason._tag === "UniqueViolation"
        ? new PersistenceError({
          reason: new Persistence.Conflict(),
          ...whereOf(step),
          message:
            `Application "${step.appId}" (partition "${step.partitionKey}"): step ${step.sequenceId} was already saved by another run`,
          cause: error
        })
        : backend(whereOf(step), "save the step", error)

    /** Any SqlClient: a transaction of Effect SQL statements (or one statement on PostgreSQL). */
    const writeGeneric = (p: Prepared): Effect.Effect<number, SqlError.SqlError> => {
      const { delta, position, step } = p
      const stepRow = (appRef: number) =>
        sql`INSERT INTO teasel_steps
          (app, seq, base, action, next, parent_id, forked_app, forked_seq, created_at)
          VALUES (${appRef}, ${step.sequenceId}, ${p.base}, ${step.action ?? null}, ${step.next ?? null},
            ${step.parentId ?? null}, ${step.forkedFrom?.appId ?? null}, ${step.forkedFrom?.sequenceId ?? null},
            ${step.createdAt})`
      const inTransaction = Effect.gen(function*() {
        const appRef = p.appRef ?? (yield* ensureApp(step))
        yield* stepRow(appRef)
        for (const rows of Arr.chunksOf(delta.added, 200)) {
          yield* sql`INSERT INTO teasel_state_keys ${
            sql.insert(Arr.map(rows, (name) => ({ app: appRef, name, seq: step.sequenceId, pos: position!.get(name)! })))
          } ON CONFLICT (app, name) DO NOTHING`
        }
        for (const rows of Arr.chunksOf(delta.writes, 200)) {
          yield* sql`INSERT INTO teasel_state_values ${
            sql.insert(Arr.map(rows, ([name, json]) => ({ app: appRef, name, seq: step.sequenceId, json })))
          }`
        }
        return appRef
      })
      // On PostgreSQL, a step of a known application is one statement (atomic by itself): a
      // quarter of the round trips of BEGIN, two INSERTs and COMMIT.
      return pg && p.appRef !== undefined && delta.added.length + delta.writes.length <= 100
        ? Effect.as(oneStatement(p.appRef, stepRow(p.appRef), step.sequenceId, delta, position), p.appRef)
        : sql.withTransaction(inTransaction)
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
        return SqlError.isSqlError(error) ? Exit.fail(failed(p.step, error)) : Exit.die(error)
      })

    /**
     * SQLite: a batch of steps in one transaction (group commit). The batch is written whole
     * first. When a step fails (a conflict), that transaction is rolled back, the step gets its
     * error, and the others are written again, each in a savepoint of its own, so that no step's
     * failure undoes another's. (A savepoint copies every page its step touches, which would cost
     * more than the step itself: it is paid only once a step has failed.)
     */
    const writeSqlite = (sqlite: SqliteClient.SqliteClient) =>
    (
      batch: ReadonlyArray<Prepared>
    ): Effect.Effect<ReadonlyArray<Exit.Exit<void, PersistenceError>>> => {
      let failing = -1
      const whole = sqlite.transactionSync((conn) => {
        const appRefs = batch.map((p, i) => {
          failing = i
          return SqliteSync.write(conn, p)
        })
        failing = -1
        return appRefs
      })
      const allFail = (error: SqlError.SqlError) => batch.map((p) => Exit.fail(failed(p.step, error)))
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
                return Exit.succeed(conn.savepoint(() => SqliteSync.write(conn, p)))
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

    const sqlite = Option.getOrUndefined(yield* Effect.serviceOption(SqliteClient.SqliteClient))
    const batched = sqlite !== undefined && (sqlite as SqlClient.SqlClient) === sql
      ? { sqlite, save: GroupCommit.make(writeSqlite(sqlite)) }
      : undefined

    const save = (step: Persistence.Step): Effect.Effect<void, PersistenceError> =>
      Effect.withFiber((fiber) => {
        let p: Prepared
        try {
          p = prepare(step)
        } catch (error) {
          return error instanceof PersistenceError ? Effect.fail(error) : Effect.die(error)
        }
        if (batched === undefined) {
          return Effect.matchEffect(writeGeneric(p), {
            onFailure: (error) => Effect.fail(failed(step, error)),
            onSuccess: (appRef) => Effect.sync(() => saved(p, appRef))
          })
        }
        // Within the caller's own transaction, the step joins it (as a savepoint), unbatched.
        if (Context.getOrUndefined(fiber.context, sql.transactionService) !== undefined) {
          return Effect.flatMap(writeSqlite(batched.sqlite)([p]), (outcomes) => outcomes[0]!)
        }
        return batched.save(p)
      })

    const saveFailure = (failure: Persistence.FailedStep): Effect.Effect<void, PersistenceError> =>
      sql`INSERT INTO teasel_failures (partition_key, app_id, seq, action, error, created_at)
        VALUES (${failure.partitionKey}, ${failure.appId}, ${failure.sequenceId}, ${failure.action},
          ${failure.error}, ${failure.createdAt})`.pipe(
          Effect.asVoid,
          Effect.mapError((error) => backend(failure, "record the failed step", error))
        )

    /** The step row asked for and its state's keys, through Effect SQL. */
    const readGeneric = (query: Query): Effect.Effect<Stored | undefined, SqlError.SqlError> =>
      Effect.gen(function*() {
        const { appId, partitionKey, sequenceId } = query
        const rows = yield* (sequenceId === undefined
          ? sql<StepRow>`SELECT a.id AS app, s.seq, s.base, s.action, s.next, s.parent_id, s.forked_app,
              s.forked_seq, s.created_at
            FROM teasel_apps a JOIN teasel_steps s ON s.app = a.id
            WHERE a.partition_key = ${partitionKey} AND a.app_id = ${appId}
            ORDER BY s.seq DESC LIMIT 1`
          : sql<StepRow>`SELECT a.id AS app, s.seq, s.base, s.action, s.next, s.parent_id, s.forked_app,
              s.forked_seq, s.created_at
            FROM teasel_apps a JOIN teasel_steps s ON s.app = a.id
            WHERE a.partition_key = ${partitionKey} AND a.app_id = ${appId} AND s.seq = ${sequenceId}`)
        const row = rows[0]
        if (row === undefined) return undefined
        const keys = yield* sql<KeyRow>`SELECT k.name,
            (SELECT v.json FROM teasel_state_values v
              WHERE v.app = k.app AND v.name = k.name AND v.seq >= ${Number(row.base)} AND v.seq <= ${Number(row.seq)}
              ORDER BY v.seq DESC LIMIT 1) AS json
          FROM teasel_state_keys k WHERE k.app = ${Number(row.app)}
          ORDER BY k.seq, k.pos`
        return { row, keys }
      })

    /** The step read back, as a `Step`; the latest step of an application is remembered. */
    const loaded = (query: Query, stored: Stored): Effect.Effect<Persistence.Step, PersistenceError> => {
      const { appId, partitionKey } = query
      const { keys, row } = stored
      const seq = Number(row.seq)
      const encoded: Record<string, string> = Object.create(null)
      for (const { json, name } of keys) if (json !== null) encoded[name] = json
      return Effect.map(decode(encoded, { appId, partitionKey, sequenceId: seq }), (state) => {
        const step: Persistence.Step = {
          appId,
          partitionKey,
          sequenceId: seq,
          action: row.action ?? undefined,
          next: row.next ?? undefined,
          state,
          parentId: row.parent_id ?? undefined,
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
            digests: digestsOf(encoded)
          })
        }
        return step
      })
    }

    // On SQLite, a read is two plain statements: a fan-out's children each read theirs first.
    const read = batched === undefined
      ? readGeneric
      : (query: Query) => batched.sqlite.withConnectionSync((conn) => SqliteSync.read(conn, query))

    const load = (query: Query): Effect.Effect<Persistence.Step | undefined, PersistenceError> =>
      Effect.matchEffect(read(query), {
        onFailure: (error) => Effect.fail(backend(query, "load the step", error)),
        onSuccess: (stored) => stored === undefined ? Effect.undefined : loaded(query, stored)
      })

    const list = (partitionKey: string): Effect.Effect<ReadonlyArray<Persistence.Summary>, PersistenceError> =>
      sql<SummaryRow>`SELECT a.app_id, s.seq, s.action, s.next, s.parent_id, s.created_at
        FROM teasel_apps a JOIN teasel_steps s ON s.app = a.id
        WHERE a.partition_key = ${partitionKey}
          AND s.seq = (SELECT MAX(m.seq) FROM teasel_steps m WHERE m.app = a.id)
        ORDER BY a.id`.pipe(
          Effect.map((rows) =>
            rows.map((row): Persistence.Summary => ({
              appId: row.app_id,
              partitionKey,
              parentId: row.parent_id ?? undefined,
              sequenceId: Number(row.seq),
              action: row.action ?? undefined,
              next: row.next ?? undefined,
              updatedAt: Number(row.created_at)
            }))
          ),
          Effect.mapError((error) =>
            new PersistenceError({
              reason: new Persistence.Backend({ operation: "list the applications" }),
              appId: "",
              partitionKey,
              message: `Listing the applications of partition "${partitionKey}" failed: ${error.message}`,
              cause: error
            })
          )
        )

    return Persistence.Persistence.of({ save, saveFailure, load, list })
  })

/**
 * The persistence layer over the `SqlClient` in context: SQLite or PostgreSQL (its SQL needs
 * `INSERT ... ON CONFLICT DO NOTHING`, so MySQL and SQL Server clients are not supported).
 *
 * @example
 * ```ts
 * import { Array as Arr, Effect, Layer, Redacted } from "effect"
 * import type { PgClient } from "@effect/sql-pg"
 * import { Application } from "@teasel/core"
 * import { SqlPersistence } from "@teasel/sql"
 * declare const app: Application.Application<{ n: number }, "a">
 * const store = SqlPersistence.layer.pipe(Layer.provide(PgClient.layer({ url: Redacted.make("postgres://localhost/app") })))
 * Application.run(app).pipe(Effect.provide(store))
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Persistence.Persistence, LayerError, SqlClient.SqlClient> = Layer.effect(
  Persistence.Persistence,
  make()
)

/**
 * SQLite persistence in a file (its parent directories are created), over `node:sqlite` with WAL
 * journaling: nothing a completed step saved is lost if the process crashes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Graph } from "@teasel/core"
 * import { SqlPersistence } from "@teasel/sql"
 * const inc = (s: { count: number }) => ({ count: s.count + 1 })
 * const graph = Graph.make({ actions: { inc }, transitions: [["inc", "inc"]], entrypoint: "inc" })
 * const program = Effect.gen(function*() {
 *   const app = yield* Application.load({ graph, id: "counter", state: { count: 0 } })
 *   return yield* Application.run(app, { haltAfter: ["inc"] })
 * }).pipe(Effect.provide(SqlPersistence.layerSqlite({ filename: "data/teasel.db" })))
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerSqlite = (
  options: SqliteClient.SqliteClientConfig & Options
): Layer.Layer<Persistence.Persistence, LayerError> =>
  Clients.onSqlite(Layer.effect(Persistence.Persistence, make(options)), options)

/**
 * PostgreSQL persistence (through `@effect/sql-pg`), at `url`; other settings of the connection
 * pool may be given beside it (for example `startupParameters: { search_path: "teasel" }`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application } from "@teasel/core"
 * import { SqlPersistence } from "@teasel/sql"
 * declare const app: Application.Application<{ n: number }, "a">
 * Application.run(app).pipe(Effect.provide(SqlPersistence.layerPg({ url: "postgres://postgres@127.0.0.1:5432/app" })))
 * ```
 * @category layers
 * @since 0.1.0
 */
export const layerPg = (
  options: { readonly url: string } & Omit<PgClient.PgPoolConfig, "url"> & Options
): Layer.Layer<Persistence.Persistence, LayerError> => Clients.onPg(Layer.effect(Persistence.Persistence, make(options)), options)

/**
 * The failed attempts recorded for an application, oldest first (the `Persistence` service only
 * writes them; this reads them back).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqliteClient, SqlPersistence } from "@teasel/sql"
 * const failures = SqlPersistence.failures({ appId: "counter", partitionKey: "" }).pipe(
 *   Effect.provide(SqliteClient.layer({ filename: "data/teasel.db" }))
 * )
 * ```
 * @category queries
 * @since 0.1.0
 */
export const failures = (query: {
  readonly appId: string
  readonly partitionKey: string
}): Effect.Effect<ReadonlyArray<Persistence.FailedStep>, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ seq: unknown; action: string; error: string; created_at: unknown }>`
      SELECT seq, action, error, created_at FROM teasel_failures
      WHERE partition_key = ${query.partitionKey} AND app_id = ${query.appId}
      ORDER BY created_at, seq`
    return rows.map((row) => ({
      appId: query.appId,
      partitionKey: query.partitionKey,
      sequenceId: Number(row.seq),
      action: row.action,
      error: row.error,
      createdAt: Number(row.created_at)
    }))
  })

interface SummaryRow {
  readonly app_id: string
  readonly seq: unknown
  readonly action: string | null
  readonly next: string | null
  readonly parent_id: string | null
  readonly created_at: unknown
}

const keyOf = (partitionKey: string, appId: string) => `${partitionKey}\u0000${appId}`

const whereOf = (step: Persistence.Step) => ({
  appId: step.appId,
  partitionKey: step.partitionKey,
  sequenceId: step.sequenceId
})

/** Decodes a stored state; a value that is not JSON fails with `unreadable`, naming the key. */
const decode = (
  encoded: Record<string, string>,
  where: { readonly appId: string; readonly partitionKey: string; readonly sequenceId: number }
): Effect.Effect<Record<string, unknown>, PersistenceError> =>
  Effect.try({
    try: () => Persistence.decodeState(encoded),
    catch: (cause) => {
      const key = Object.keys(encoded).find((k) => !parses(encoded[k]!))
      return new PersistenceError({
        reason: new Persistence.Unreadable({ key }),
        ...where,
        message: `Application "${where.appId}" (partition "${where.partitionKey}"), step ${where.sequenceId}: ` +
          `the stored value of state key ${JSON.stringify(key)} is not valid JSON (${String(cause)})`,
        cause
      })
    }
  })

const parses = (json: string) => {
  try {
    JSON.parse(json)
    return true
  } catch {
    return false
  }
}

const backend = (
  where: { readonly appId: string; readonly partitionKey: string; readonly sequenceId?: number | undefined },
  what: string,
  error: SqlError.SqlError
) =>
  new PersistenceError({
    reason: new Persistence.Backend({ operation: what }),
    appId: where.appId,
    partitionKey: where.partitionKey,
    sequenceId: where.sequenceId,
    message: `Application "${where.appId}" (partition "${where.partitionKey}")` +
      (where.sequenceId === undefined ? "" : `, step ${where.sequenceId}`) +
      `: could not ${what}: ${error.message}`,
    cause: error
  })
