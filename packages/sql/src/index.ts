/**
 * Teasel SQL persistence: SQLite (over Node's built-in `node:sqlite`) and PostgreSQL.
 *
 * @since 0.1.0
 */

/**
 * A `SqlClient` for SQLite over `node:sqlite`: WAL, busy timeout, prepared statement cache.
 *
 * @since 0.1.0
 */
export * as SqliteClient from "./SqliteClient.js"

/**
 * The `Persistence` service over SQL: `layer`, `layerSqlite`, `layerPg`.
 *
 * @since 0.1.0
 */
export * as SqlPersistence from "./SqlPersistence.js"

/**
 * The `Tracking` service over SQL: `layer`, `layerSqlite`, `layerPg`; what `teasel ui` shows.
 *
 * @since 0.1.0
 */
export * as SqlTracking from "./SqlTracking.js"

/**
 * The reader of tracked runs: what `SqlTracking` wrote (projects, applications, steps, states and
 * children), read back. What `teasel ui` shows.
 *
 * @since 0.2.0
 */
export * as TrackingReader from "./TrackingReader.js"

/**
 * Former name of `TrackingReader` (the same values and types; `TrackingStore.TrackingStore` is
 * `TrackingReader.TrackingReader`).
 *
 * @deprecated Use `TrackingReader`.
 * @since 0.1.0
 */
export * as TrackingStore from "./TrackingStore.js"
