/**
 * The records of one application's run, made and handed to its tracker.
 *
 * The recorder decides when things happened (see `recorder.ts`); this module turns that into
 * tracking records — the stream's events plus time and partition, a child's carrying its
 * parent's id as its events do — and hands them over: groups of fast steps at once to a tracker
 * that takes them (`recordSteps`), one `StepCompleted` per step to any other. A tracker that throws
 * never fails the run: its first failure is logged, the rest are not.
 */
import * as Tracking from "../Tracking.js"

/** When `performance.now()` was 0, in epoch milliseconds (read once: the getter costs ~15 ns). */
const origin = performance.timeOrigin

/** A `performance.now()` reading as epoch milliseconds. */
const epochOf = (reading: number): number => origin + reading

export class Records {
  private broken = false

  constructor(
    private readonly tracker: Tracking.Tracking["Service"],
    private readonly appId: string,
    private readonly partitionKey: string,
    private readonly parentId: string | undefined
  ) {}

  applicationStarted(fields: Omit<Tracking.ApplicationStarted, "_tag" | "at">, reading: number) {
    this.hand({ _tag: "ApplicationStarted", ...fields, at: epochOf(reading) })
  }

  started(action: string, sequenceId: number, reading: number) {
    this.hand({ _tag: "StepStarted", appId: this.appId, partitionKey: this.partitionKey, action, sequenceId, at: epochOf(reading) })
  }

  completed(
    action: string,
    sequenceId: number,
    state: unknown,
    chunks: number,
    next: string | undefined,
    end: number,
    durationMs: number
  ) {
    this.hand({
      _tag: "StepCompleted",
      appId: this.appId,
      partitionKey: this.partitionKey,
      action,
      sequenceId,
      at: epochOf(end),
      durationMs,
      state,
      chunks,
      next
    })
  }

  /** Steps `sequenceId`, `sequenceId + 1`, … ran `actions` to `states`, ending at `end` after `durationMs`. */
  group(
    sequenceId: number,
    actions: ReadonlyArray<string>,
    states: ReadonlyArray<unknown>,
    next: string | undefined,
    end: number,
    durationMs: number
  ) {
    const group: Tracking.StepGroup = {
      appId: this.appId,
      partitionKey: this.partitionKey,
      sequenceId,
      actions,
      states,
      next,
      at: epochOf(end),
      durationMs
    }
    if (this.parentId !== undefined) (group as { parentId?: string }).parentId = this.parentId
    const recordSteps = this.tracker.recordSteps
    if (recordSteps === undefined) {
      for (const record of Tracking.stepsOf(group)) this.hand(record)
      return
    }
    try {
      recordSteps(group)
    } catch (cause) {
      this.threw("StepGroup", cause)
    }
  }

  failed(action: string, sequenceId: number, end: number, durationMs: number, error: unknown) {
    this.hand({
      _tag: "StepFailed",
      appId: this.appId,
      partitionKey: this.partitionKey,
      action,
      sequenceId,
      at: epochOf(end),
      durationMs,
      error
    })
  }

  interrupted(action: string, sequenceId: number, end: number, durationMs: number) {
    this.hand({ _tag: "StepInterrupted", appId: this.appId, partitionKey: this.partitionKey, action, sequenceId, at: epochOf(end), durationMs })
  }

  stopped(reason: Tracking.ApplicationStopped["reason"], sequenceId: number, next: string | undefined, reading: number) {
    this.hand({ _tag: "ApplicationStopped", appId: this.appId, partitionKey: this.partitionKey, reason, sequenceId, next, at: epochOf(reading) })
  }

  /** Hands a record just made to the tracker (a child's gets its parent's id first). */
  private hand(record: Tracking.TrackingRecord) {
    if (this.parentId !== undefined && record._tag !== "ApplicationStarted") {
      (record as { parentId?: string }).parentId = this.parentId
    }
    try {
      this.tracker.record(record)
    } catch (cause) {
      this.threw(record._tag, cause)
    }
  }

  private threw(what: string, cause: unknown) {
    if (this.broken) return
    this.broken = true
    console.warn(
      `teasel: tracking failed for application "${this.appId}" (${what}); the run goes on, further tracking failures of this run are not reported:`,
      cause
    )
  }
}
