/**
 * What one run of the step loop tells its tracker, and when: records and their times.
 *
 * Timing is the expensive part. A clock read (`performance.now()`) costs 40–60 ns in Node, about
 * as much as a whole synchronous step of the loop, and so does a record object per step. The
 * recorder therefore times steps that run synchronously back to back in groups: it reads the
 * clock when a group opens and again after `window` completed steps, shares the time in between
 * evenly among them, and hands the whole group to the tracker as one `StepsCompleted` record (one
 * step alone is a `StepCompleted`). The window adapts: it doubles, up to {@link MAX_WINDOW}, while
 * the steps average under {@link FAST_MS}, and falls back to 1 (every step timed on its own) as
 * soon as they do not. Steps that suspend (an Effect or a Promise) are always timed on their own,
 * from the moment they suspend to the moment they end; a group also closes whenever the
 * synchronous stretch ends (a suspension, a save, a yield, a failure, a halt), so no record waits
 * on a step that has not run yet.
 */
import * as Tracking from "../Tracking.js"

/** A group of synchronous steps grows while its steps average less than this (0.5 µs). */
export const FAST_MS = 0.0005

/** At most this many steps share one clock reading. */
export const MAX_WINDOW = 64

const defaultClock = () => performance.now()

/** When `performance.now()` was 0, in epoch milliseconds (read once: the getter costs ~15 ns). */
const origin = performance.timeOrigin

/** A `performance.now()` reading as epoch milliseconds. */
const epochOf = (reading: number): number => origin + reading

export class Recorder {
  /** Whether every step gets a `StepStarted` record, or only those that suspend. */
  private readonly startEvery: boolean
  /** The clock reading where the open group of steps began; -1: no group is open. */
  private groupStart = -1
  /**
   * Steps the open group has completed: the first one's sequence id, each action and state. The
   * arrays go to the tracker with the group's `StepsCompleted`, and new ones, sized for the next
   * window, take their place (a group of one step keeps them).
   */
  private inGroup = 0
  private firstSeq = 0
  private actions: Array<string> = []
  private states: Array<unknown> = []
  /** The action chosen after the group's last step. */
  private groupNext: string | undefined = undefined
  /** How many completed steps the open group may hold before the clock is read again. */
  private window = 1
  /** Whether the current step's `StepStarted` has been recorded. */
  private startRecorded = false
  /** The start of the step in flight (one that suspended), timed on its own; -1: none. */
  private startedAt = -1
  /** The step in flight and its action, for the interruption that may end it. */
  private inFlight = -1
  private inFlightAction = ""
  /** Chunks the current step streamed. */
  chunks = 0
  private failed = false
  private hasStopped = false

  constructor(
    private readonly tracker: Tracking.Tracking["Service"],
    private readonly appId: string,
    private readonly partitionKey: string,
    /** The monotonic clock, in milliseconds (tests give their own). */
    private readonly now: () => number = defaultClock
  ) {
    this.startEvery = tracker.stepStarted !== "suspended"
  }

  /** The application starts: its record, and the first group opens at the same reading. */
  applicationStarted(fields: Omit<Extract<Tracking.Record, { _tag: "ApplicationStarted" }>, "_tag" | "at">) {
    const at = this.now()
    this.groupStart = at
    this.inGroup = 0
    this.record({ _tag: "ApplicationStarted", ...fields, at: epochOf(at) })
  }

  /**
   * A step starts. When it will be timed on its own (the window is 1), its `StepStarted` is
   * recorded now (if every step gets one); else it is known when the step's group closes.
   */
  stepStarted(action: string, sequenceId: number) {
    if (this.groupStart < 0) {
      this.groupStart = this.now()
      this.inGroup = 0
    }
    this.chunks = 0
    this.startRecorded = this.startEvery && this.window === 1
    if (this.startRecorded) this.started(action, sequenceId, this.groupStart)
  }

  /** The current step's action returned an Effect or a Promise: from now on it is timed on its own. */
  suspended(action: string, sequenceId: number) {
    // Straight after a boundary the step started at the group's opening reading; else the steps
    // before it close their group, sharing its time with this step's synchronous part.
    const start = this.inGroup === 0 && this.groupStart >= 0 ? this.groupStart : this.close(this.now(), true)
    this.groupStart = -1
    this.startedAt = start
    this.inFlight = sequenceId
    this.inFlightAction = action
    if (!this.startRecorded) this.started(action, sequenceId, start)
  }

  /** The current step completed with `state`; `next` runs after it. */
  stepCompleted(action: string, sequenceId: number, state: unknown, next: string | undefined) {
    if (this.startedAt >= 0) {
      // It suspended: timed on its own; the steps after it open a group at its end.
      const end = this.now()
      const start = this.startedAt
      this.startedAt = -1
      this.inFlight = -1
      this.groupStart = end
      this.inGroup = 0
      this.completed(action, sequenceId, state, this.chunks, next, end, end - start)
      return
    }
    const i = this.inGroup
    if (i === 0) this.firstSeq = sequenceId
    this.actions[i] = action
    this.states[i] = state
    this.groupNext = next
    if (++this.inGroup >= this.window) {
      const reading = this.now()
      this.close(reading, false)
      this.groupStart = reading
    }
  }

  /** The current step failed with `error` (`started`: whether it had started at all). */
  stepFailed(action: string, sequenceId: number, error: unknown, started: boolean) {
    const end = this.now()
    let start = end
    if (this.startedAt >= 0) {
      start = this.startedAt
    } else if (this.groupStart >= 0) {
      start = this.close(end, started)
      if (started && !this.startRecorded && this.startEvery) this.started(action, sequenceId, start)
    }
    this.startedAt = -1
    this.inFlight = -1
    this.groupStart = -1
    this.record({
      _tag: "StepFailed",
      appId: this.appId,
      partitionKey: this.partitionKey,
      action,
      sequenceId,
      at: epochOf(end),
      durationMs: end - start,
      error
    })
  }

  /** The step in flight was interrupted. */
  stepInterrupted(action: string, sequenceId: number) {
    const end = this.now()
    const start = this.startedAt >= 0 ? this.startedAt : end
    this.startedAt = -1
    this.inFlight = -1
    this.record({
      _tag: "StepInterrupted",
      appId: this.appId,
      partitionKey: this.partitionKey,
      action,
      sequenceId,
      at: epochOf(end),
      durationMs: end - start
    })
  }

  /** When the run is interrupted: the step in flight, if any, was interrupted with it. */
  interruptedInFlight() {
    if (this.inFlight >= 0) this.stepInterrupted(this.inFlightAction, this.inFlight)
  }

  /**
   * The run stops, after its last completed step `sequenceId` with `next` to run (recorded once
   * per run: the first reason given wins).
   */
  stopped(
    reason: "ended" | "halted" | "failed" | "interrupted",
    sequenceId: number,
    next: string | undefined,
    reading = this.now()
  ) {
    if (this.hasStopped) return
    this.hasStopped = true
    this.record({
      _tag: "ApplicationStopped",
      appId: this.appId,
      partitionKey: this.partitionKey,
      reason,
      sequenceId,
      next,
      at: epochOf(reading)
    })
  }

  /**
   * The synchronous stretch ends (a save, a yield, a halt): the open group closes, and the next
   * step reads the clock when it starts.
   */
  pause() {
    if (this.groupStart < 0) return
    this.close(this.now(), false)
    this.groupStart = -1
  }

  /** Closes the open group, if any, and the run: it stopped (see `stopped`). */
  finish(reason: "ended" | "halted", sequenceId: number, next: string | undefined) {
    const reading = this.now()
    if (this.groupStart >= 0) {
      this.close(reading, false)
      this.groupStart = -1
    }
    this.stopped(reason, sequenceId, next, reading)
  }

  /**
   * Closes the open group at `reading`: its completed steps, and with `current` the step now
   * running, share the time since the group opened. Records the completed steps, adapts the
   * window, and returns where the current step started (without one: `reading`).
   */
  private close(reading: number, current: boolean): number {
    const start = this.groupStart < 0 ? reading : this.groupStart
    const n = this.inGroup
    const steps = n + (current ? 1 : 0)
    if (steps === 0) return reading
    const share = (reading - start) / steps
    if (n === 1) {
      // One step alone: a plain StepCompleted, with its StepStarted when every step gets one.
      const action = this.actions[0]!
      if (this.startEvery && !(this.startRecorded && !current)) this.started(action, this.firstSeq, start)
      this.completed(action, this.firstSeq, this.states[0], 0, this.groupNext, start + share, share)
    } else if (n > 1) {
      // Handed over as they are: the next group gets new arrays, sized for its window.
      if (this.actions.length !== n) {
        this.actions.length = n
        this.states.length = n
      }
      this.record({
        _tag: "StepsCompleted",
        appId: this.appId,
        partitionKey: this.partitionKey,
        sequenceId: this.firstSeq,
        actions: this.actions,
        states: this.states,
        next: this.groupNext,
        at: epochOf(start + n * share),
        durationMs: n * share
      })
    }
    this.window = share < FAST_MS ? Math.min(this.window * 2, MAX_WINDOW) : 1
    if (n > 1) {
      this.actions = new Array(this.window)
      this.states = new Array(this.window)
    }
    this.inGroup = 0
    return current ? start + n * share : reading
  }

  private started(action: string, sequenceId: number, at: number) {
    this.record({
      _tag: "StepStarted",
      appId: this.appId,
      partitionKey: this.partitionKey,
      action,
      sequenceId,
      at: epochOf(at)
    })
  }

  private completed(
    action: string,
    sequenceId: number,
    state: unknown,
    chunks: number,
    next: string | undefined,
    end: number,
    durationMs: number
  ) {
    this.record({
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

  /** Hands a record to the tracker; a tracker that throws is reported once per run, never rethrown. */
  private record(record: Tracking.Record) {
    try {
      this.tracker.record(record)
    } catch (cause) {
      if (!this.failed) {
        this.failed = true
        console.warn(
          `teasel: tracking failed for application "${this.appId}" (${record._tag}); the run goes on, further tracking failures of this run are not reported:`,
          cause
        )
      }
    }
  }
}
