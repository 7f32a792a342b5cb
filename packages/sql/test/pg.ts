/**
 * The PostgreSQL the tests run against: `TEASEL_PG_URL`, by default the local server. Every test
 * run works in a schema of its own, dropped at the end, so runs never see each other's rows. An
 * unreachable server fails the tests (it is never a reason to skip them).
 */
import { Effect, Layer, Redacted } from "effect"
import { PgClient } from "@effect/sql-pg"
import { SqlClient } from "effect/sql"
import type { Persistence } from "@teasel/core"
import { SqlPersistence } from "../src/index.js"

export const pgUrl = process.env.TEASEL_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"

/** A fresh schema name for this run. */
export const schemaName = (label: string) =>
  `teasel_${label}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`

const admin = PgClient.layer({ url: Redacted.make(pgUrl), connectTimeout: "5 seconds", maxConnections: 1 })

/** Runs `f` with a plain client on the test database (no search path). */
export const withAdmin = <A>(f: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>): Promise<A> =>
  Effect.runPromise(
    Effect.flatMap(Effect.service(SqlClient.SqlClient), f).pipe(
      Effect.provide(admin),
      Effect.mapError((error) =>
        new Error(`PostgreSQL at ${pgUrl} failed (is it running? see .ci/run): ${String(error)}`, { cause: error })
      )
    ) as Effect.Effect<A, Error>
  )

export const createSchema = (schema: string) => withAdmin((sql) => sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${schema}`))
export const dropSchema = (schema: string) => withAdmin((sql) => sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))

/** PostgreSQL persistence in `schema` (created by `createSchema` beforehand). */
export const pgLayer = (schema: string): Layer.Layer<Persistence.Persistence, SqlPersistence.LayerError> =>
  SqlPersistence.layerPg({ url: pgUrl, connectTimeout: "5 seconds", startupParameters: { search_path: schema } })

/** A SqlClient on `schema`, to look at the tables directly. */
export const pgClient = (schema: string): Layer.Layer<SqlClient.SqlClient, unknown> =>
  PgClient.layer({ url: Redacted.make(pgUrl), connectTimeout: "5 seconds", startupParameters: { search_path: schema } })
