/**
 * The three layers every service of this package offers, made once for any of them: `layer` over
 * the `SqlClient` in context, `layerSqlite` over a SQLite file, `layerPg` over a PostgreSQL pool.
 * Also the one place that says how a file name or a URL becomes a `SqlClient`.
 *
 * `@effect/sql-pg` is an optional peer dependency: SQLite-only users need not install it. It is
 * loaded (a dynamic import) only when a `layerPg` layer is built, and its absence is then a defect
 * naming the package to install. Its types are not referenced either: `PgOptions` restates the
 * settings of its pool, and the call below checks that they still fit.
 */
import type { Context, Duration, Effect as EffectType, Redacted as RedactedType, Scope } from "effect"
import { Effect, Layer, Redacted } from "effect"
import type { SqlClient, SqlError } from "effect/sql"
import type { ConnectionOptions } from "node:tls"
import * as SqliteClient from "../SqliteClient.js"

/**
 * A PostgreSQL connection: its URL, and the other settings of `@effect/sql-pg`'s pool (the same
 * names and meanings as its `PgClient.PgPoolConfig`).
 */
export interface PgOptions {
  readonly url: string
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly path?: string | undefined
  readonly ssl?: boolean | ConnectionOptions | undefined
  readonly database?: string | undefined
  readonly username?: string | undefined
  readonly password?: RedactedType.Redacted | EffectType.Effect<RedactedType.Redacted> | undefined
  readonly connectTimeout?: Duration.Input | undefined
  readonly keepAlive?: Duration.Input | undefined
  readonly applicationName?: string | undefined
  /** Session defaults sent in every connection's startup packet, such as `{ search_path: "teasel" }`. */
  readonly startupParameters?: Readonly<Record<string, string>> | undefined
  readonly startupOptions?: string | undefined
  readonly spanAttributes?: Record<string, unknown> | undefined
  readonly transformResultNames?: ((str: string) => string) | undefined
  readonly transformQueryNames?: ((str: string) => string) | undefined
  readonly transformJson?: boolean | undefined
  readonly multiplex?: boolean | undefined
  readonly multiplexConcurrency?: number | undefined
  readonly prepare?: boolean | undefined
  readonly preparedStatementCacheSize?: number | undefined
  readonly maxMessageSize?: number | undefined
  readonly idleTimeout?: Duration.Input | undefined
  readonly maxConnections?: number | undefined
  readonly minConnections?: number | undefined
  readonly connectionTTL?: Duration.Input | undefined
}

/** The layers of a service built by `make(options)` over the `SqlClient` in context. */
export interface Layers<I, O, E> {
  readonly layer: Layer.Layer<I, E, SqlClient.SqlClient>
  /** Opening the database fails with a `SqlError`, which `E` includes. */
  readonly layerSqlite: (options: SqliteClient.SqliteClientConfig & O) => Layer.Layer<I, E | SqlError.SqlError>
  readonly layerPg: (options: PgOptions & O) => Layer.Layer<I, E | SqlError.SqlError>
}

/** The package `layerPg` needs, and the version this package is tested with. */
const pgPackage = "@effect/sql-pg"
const pgVersion = "4.0.5"

/**
 * `@effect/sql-pg`, imported when first needed. Its absence is a defect (a set-up mistake, not a
 * database failure) whose message says what to install.
 */
const importPg = Effect.tryPromise({
  // A variable specifier, so that bundlers leave the optional package alone.
  try: (): Promise<typeof import("@effect/sql-pg")> => import(/* @vite-ignore */ pgPackage),
  catch: (cause) =>
    new Error(
      `@teasel/sql: layerPg needs the PostgreSQL driver ${pgPackage}, which could not be loaded. ` +
        `Install it beside @teasel/sql (npm install ${pgPackage}@${pgVersion}); ` +
        `SQLite needs no driver (layerSqlite).`,
      { cause }
    )
}).pipe(Effect.orDie)

/** A PostgreSQL `SqlClient` over `@effect/sql-pg`'s pool, loading the driver as it is built. */
const pgClient = (options: PgOptions): Layer.Layer<SqlClient.SqlClient, SqlError.SqlError> =>
  Layer.unwrap(
    Effect.map(importPg, ({ PgClient }) =>
      PgClient.layer({
        ...options,
        url: Redacted.make(options.url),
        // The driver's default (16 MiB) would refuse to read back a value saved under
        // `maxValueBytes`: allow a value of that size and its row around it.
        maxMessageSize: options.maxMessageSize ?? maxValueOf(options) + 1024 * 1024
      }))
  )

/** The `maxValueBytes` a layer was given (SqlPersistence's option), or its default, 256 MiB. */
const maxValueOf = (options: object): number => {
  const given = (options as { readonly maxValueBytes?: unknown }).maxValueBytes
  return typeof given === "number" && given > 0 ? given : 256 * 1024 * 1024
}

/**
 * `layer` (with `make`'s default options), `layerSqlite` and `layerPg` for `service`. The options
 * of the connection and of the service travel together; each takes what it knows.
 */
export const make = <I, S, O extends object, E>(
  service: Context.Service<I, S>,
  make: (options: O) => EffectType.Effect<S, E, SqlClient.SqlClient | Scope.Scope>
): Layers<I, O, E> => ({
  layer: Layer.effect(service, make({} as O)),
  layerSqlite: (options) => Layer.provide(Layer.effect(service, make(options)), SqliteClient.layer(options)),
  layerPg: (options) => Layer.provide(Layer.effect(service, make(options)), pgClient(options))
})
