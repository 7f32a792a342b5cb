/**
 * The three layers every service of this package offers, made once for any of them: `layer` over
 * the `SqlClient` in context, `layerSqlite` over a SQLite file, `layerPg` over a PostgreSQL pool.
 * Also the one place that says how a file name or a URL becomes a `SqlClient`.
 */
import { type Context, type Effect, Layer, Redacted, type Scope } from "effect"
import { PgClient } from "@effect/sql-pg"
import type { SqlClient, SqlError } from "effect/sql"
import * as SqliteClient from "../SqliteClient.js"

/** A PostgreSQL connection: its URL, and any other setting of `@effect/sql-pg`'s pool. */
export type PgOptions = { readonly url: string } & Omit<PgClient.PgPoolConfig, "url">

/** The layers of a service built by `make(options)` over the `SqlClient` in context. */
export interface Layers<I, O, E> {
  readonly layer: Layer.Layer<I, E, SqlClient.SqlClient>
  /** Opening the database fails with a `SqlError`, which `E` includes. */
  readonly layerSqlite: (options: SqliteClient.SqliteClientConfig & O) => Layer.Layer<I, E | SqlError.SqlError>
  readonly layerPg: (options: PgOptions & O) => Layer.Layer<I, E | SqlError.SqlError>
}

/**
 * `layer` (with `make`'s default options), `layerSqlite` and `layerPg` for `service`. The options
 * of the connection and of the service travel together; each takes what it knows.
 */
export const make = <I, S, O extends object, E>(
  service: Context.Service<I, S>,
  make: (options: O) => Effect.Effect<S, E, SqlClient.SqlClient | Scope.Scope>
): Layers<I, O, E> => ({
  layer: Layer.effect(service, make({} as O)),
  layerSqlite: (options) => Layer.provide(Layer.effect(service, make(options)), SqliteClient.layer(options)),
  layerPg: (options) =>
    Layer.provide(Layer.effect(service, make(options)), PgClient.layer({ ...options, url: Redacted.make(options.url) }))
})
