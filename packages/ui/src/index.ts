/**
 * Teasel's tracking UI: `teasel ui` serves every tracked run, step, state and child application
 * from the SQL tracking store (`SqlTracking` of `@teasel/sql`).
 *
 * @since 0.1.0
 */

/**
 * The server: `Server.start({ filename, port?, host? })`.
 *
 * @since 0.1.0
 */
export * as Server from "./Server.js"
