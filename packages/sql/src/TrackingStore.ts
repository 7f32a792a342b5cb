/**
 * Former name of `TrackingReader`, kept for code that imports it: the same values and types.
 *
 * @deprecated Use `TrackingReader` (the reader of what `SqlTracking` wrote).
 * @since 0.1.0
 */
export * from "./TrackingReader.js"

/**
 * Former name of `TrackingReader.TrackingReader`: the same service.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TrackingStore } from "@teasel/sql"
 * Effect.flatMap(Effect.service(TrackingStore.TrackingStore), (reader) => reader.projects())
 * ```
 * @deprecated Use `TrackingReader.TrackingReader`.
 * @category services
 * @since 0.1.0
 */
export { TrackingReader as TrackingStore } from "./TrackingReader.js"
