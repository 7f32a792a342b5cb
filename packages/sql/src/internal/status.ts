/**
 * An application's status, decided in one place for the tracker that writes it and the reader
 * that shows it.
 *
 * The tracker stores the status the records say (`recorded`): running while steps run, then the
 * way its run stopped. A run whose process died never says how it stopped, so the reader corrects
 * a stored "running" with the tracker's liveness (`status`): an application whose tracker is gone
 * was interrupted if a step was running, and halted if it stopped between steps.
 */
import type { Tracking } from "@teasel/core"

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
export type Status = "running" | "completed" | "failed" | "interrupted" | "halted"

/** The status a completed step leaves its application in: completed when no action is next. */
export const afterStep = (next: string | undefined): Status => next === undefined ? "completed" : "running"

/** The status a tracking record leaves its application in, as stored. */
export const recorded = (record: Tracking.TrackingRecord): Status => {
  switch (record._tag) {
    case "ApplicationStarted":
    case "StepStarted":
      return "running"
    case "StepCompleted":
      return afterStep(record.next)
    case "StepFailed":
      return "failed"
    case "StepInterrupted":
      return "interrupted"
    case "ApplicationStopped":
      return record.reason === "ended" ? "completed" : record.reason
  }
}

/** A tracker not heard from for this long is taken for dead. */
export const ALIVE_MS = 10_000

/**
 * The status to show: the stored one, unless it says "running" while the tracker that wrote it is
 * gone (it closed, or has not been heard from for `ALIVE_MS`).
 */
export const status = (app: {
  /** The status as stored. */
  readonly stored: string
  /** Whether a step was running when last written. */
  readonly stepRunning: boolean
  /** The tracker's `closed_at` and `last_seen` (`null` when unknown). */
  readonly trackerClosed: unknown
  readonly trackerSeen: unknown
}, now: number): Status => {
  if (app.stored !== "running") return app.stored as Status
  const alive = app.trackerClosed === null && app.trackerSeen !== null && now - Number(app.trackerSeen) < ALIVE_MS
  if (alive) return "running"
  return app.stepRunning ? "interrupted" : "halted"
}
