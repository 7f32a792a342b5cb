/**
 * The database connections the `layerSqlite` / `layerPg` constructors of `SqlPersistence`,
 * `SqlTracking` and `TrackingStore` build: one place that says how a file name or a URL becomes a
 * `SqlClient`.
 */
import { Layer, Redacted } from "effect"
import { PgClient } from "@effect/sql-pg"
import * as SqliteClient from "../SqliteClient.js"

/** A PostgreSQL connection: its URL, and any other setting of `@effect/sql-pg`'s pool. */
export type PgOptions = { readonly url: string } & Omit<PgClient.PgPoolConfig, "url">

/** `layer` over a SQLite file (its parent directories are created). */
export const onSqlite = <I, E, R>(
  layer: Layer.Layer<I, E, R>,
  options: SqliteClient.SqliteClientConfig
) => Layer.provide(layer, SqliteClient.layer(options))

/** `layer` over a PostgreSQL pool at `options.url`. */
export const onPg = <I, E, R>(layer: Layer.Layer<I, E, R>, options: PgOptions) =>
  Layer.provide(layer, PgClient.layer({ ...options, url: Redacted.make(options.url) }))
