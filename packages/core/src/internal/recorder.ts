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
 * soon as they do not. A group also closes whenever the synchronous stretch ends (a save, a
 * yield, a failure, a halt), so no record waits on a step that has not run yet.
 *
 * A step whose action returns an Effect or a Promise may still finish within the same synchronous
 * stretch (an `Effect.sync`, a stream of values at hand): it waited on nothing, and is timed like
 * a synchronous step. Which it was shows at the end of the stretch: the recorder queues one
 * microtask per stretch (a "turn"), and a step that completes before its turn ended joins the open
 * group. A step still in flight when the turn ends really waits: its `StepStarted` is recorded then
 * (before anything could have been written), and it is timed on its own, from its start to the
 * moment it completes. The end of a turn also closes the open group: the time until the run goes
 * on (a timer, other fibers, the scheduler's yield) belongs to no step.
 *
 * A group reaches a tracker with `recordSteps` as one `StepGroup`; any other tracker gets one
 * `StepCompleted` per step of it. The recorder is the run's observer when only a tracker listens
 * (see `observer.ts`): its methods are named for what the loop tells it.
 */
import type * as Tracking from "../Tracking.js"
import type { Observer, StopReason } from "./observer.js"
import { Records } from "./records.js"
import * as Turn from "./turn.js"

/**
 * A group of steps grows while its steps average less than this (1 µs): then a clock read and a
 * record of their own (about 70 ns together) would cost 7% or more of each step.
 */
export const FAST_MS = 0.001

/** At most this many steps share one clock reading. */
export const MAX_WINDOW = 64

const defaultClock = () => performance.now()

export class Recorder implements Observer, Turn.TurnListener {
  /** Its run's end by interruption or outside failure is recorded (`exited`). */
  readonly watchesExit = true
  /**
   * Whether every step gets a `StepStarted` record (then `started` records each), or
   * only those that wait.
   */
  readonly startEvery: boolean
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
  /** The start of the step in flight once it is timed on its own (see `settle`); -1: not yet. */
  private startedAt = -1
  /** The step in flight and its action, for the interruption that may end it. */
  private inFlight = -1
  private inFlightAction = ""
  /** Whether the step in flight's `StepStarted` waits for the end of its turn. */
  private startPending = false
  private isWaiting = false
  /** Chunks the current step streamed. */
  private chunks = 0
  private hasStopped = false

  /** Where the records go. */
  private readonly records: Records

  constructor(
    tracker: Tracking.Tracking["Service"],
    appId: string,
    partitionKey: string,
    parentId: string | undefined,
    /** The monotonic clock, in milliseconds (tests give their own). */
    private readonly now: () => number = defaultClock
  ) {
    this.startEvery = tracker.stepStarted !== "suspended"
    this.records = new Records(tracker, appId, partitionKey, parentId)
  }

  /** The application starts: its record, and the first group opens at the same reading. */
  applicationStarted(fields: Omit<Tracking.ApplicationStarted, "_tag" | "at">) {
    const at = this.now()
    this.groupStart = at
    this.inGroup = 0
    this.records.applicationStarted(fields, at)
  }

  /**
   * The run goes on after it stopped for a while (it yielded, saved, or an action waited): a group
   * opens now unless one is open (the step that waited ended at a reading the next one starts at).
   */
  resumed() {
    if (this.groupStart < 0) {
      this.groupStart = this.now()
      this.inGroup = 0
    }
  }

  /**
   * A step starts: a group opens unless one is open. Only when every step gets a `StepStarted`
   * (`startEvery`) is there more to do. When the step will be timed on its own (the window is
   * 1), its `StepStarted` is recorded now; else its group tells it, or the end of its turn if it
   * waits.
   */
  started(action: string, sequenceId: number) {
    this.resumed()
    if (!this.startEvery) return
    this.startRecorded = this.startEvery && this.window === 1
    if (this.startRecorded) this.records.started(action, sequenceId, this.groupStart)
  }

  /**
   * The current step's action returned an Effect or a Promise. Whether it waits shows when the
   * turn ends: until then it stays in the open group, its start unsettled.
   */
  suspended(action: string, sequenceId: number) {
    // Chunks come while it runs, from now on.
    this.chunks = 0
    this.inFlight = sequenceId
    this.inFlightAction = action
    this.startPending = !this.startRecorded
    if (!this.isWaiting) this.waitForTurn()
  }

  /** A chunk of the current step. */
  chunk(_action: string, _sequenceId: number, _chunk: unknown) {
    this.chunks++
  }

  /** Asks to be told when this turn ends. */
  private waitForTurn() {
    this.isWaiting = true
    Turn.onEnd(this)
  }

  /**
   * The turn ended: a step still in flight waits on something, and is timed on its own; an open
   * group closes, so that what happens before this run goes on (other fibers, a timer, the
   * scheduler's yield) is no step's time.
   */
  turnEnded() {
    this.isWaiting = false
    if (this.inFlight >= 0) this.settle()
    else this.paused()
  }

  /**
   * The step in flight is timed on its own from now on: where it started is settled (the group
   * before it closes, sharing its time with this step's synchronous part), and its `StepStarted`
   * is recorded if it has none yet. Returns its start.
   */
  private settle(): number {
    if (this.startedAt >= 0) return this.startedAt
    // Straight after a boundary the step started at the group's opening reading.
    const start = this.inGroup === 0 && this.groupStart >= 0 ? this.groupStart : this.close(this.now(), true)
    this.groupStart = -1
    this.startedAt = start
    if (this.startPending) {
      this.startPending = false
      this.records.started(this.inFlightAction, this.inFlight, start)
    }
    return start
  }

  /** The current step completed with `state`; `next` runs after it. */
  completed(action: string, sequenceId: number, state: unknown, next: string | undefined) {
    if (this.inFlight >= 0 && this.completedOnItsOwn(action, sequenceId, state, next)) return
    const i = this.inGroup
    if (i === 0) {
      this.firstSeq = sequenceId
      // The group closes when the turn ends, at the latest.
      if (!this.isWaiting) this.waitForTurn()
    }
    this.actions[i] = action
    this.states[i] = state
    this.groupNext = next
    if (++this.inGroup >= this.window) {
      const reading = this.now()
      this.close(reading, false)
      this.groupStart = reading
    }
  }

  /**
   * The step in flight completed. Timed on its own when it waited (or streamed): recorded now, and
   * the steps after it open a group at its end (returns true). When it completed in the turn it
   * suspended in, it waited on nothing: it joins the open group as a synchronous step would, and
   * its StepStarted is the group's to tell (returns false).
   */
  private completedOnItsOwn(action: string, sequenceId: number, state: unknown, next: string | undefined): boolean {
    if (this.startedAt < 0 && this.chunks === 0) {
      this.inFlight = -1
      this.startPending = false
      return false
    }
    const start = this.settle()
    const end = this.now()
    this.startedAt = -1
    this.inFlight = -1
    this.groupStart = end
    this.inGroup = 0
    this.records.completed(action, sequenceId, state, this.chunks, next, end, end - start)
    if (!this.isWaiting) this.waitForTurn()
    return true
  }

  /**
   * The current step failed with `error` (`started`: whether it had started at all), and the run
   * stops with it, after its last completed step `last` with `next` to run.
   */
  failed(action: string, sequenceId: number, error: unknown, started: boolean, last: number, next: string | undefined) {
    this.stepFailed(action, sequenceId, error, started)
    this.stopped("failed", last, next)
  }

  private stepFailed(action: string, sequenceId: number, error: unknown, started: boolean) {
    let start: number
    let end: number
    if (this.inFlight >= 0) {
      start = this.settle()
      end = this.now()
    } else {
      end = this.now()
      start = end
      if (this.groupStart >= 0) {
        start = this.close(end, started)
        if (started && !this.startRecorded && this.startEvery) this.records.started(action, sequenceId, start)
      }
    }
    this.startedAt = -1
    this.inFlight = -1
    this.groupStart = -1
    this.records.failed(action, sequenceId, end, end - start, error)
  }

  /** The step in flight was interrupted. */
  interrupted(action: string, sequenceId: number) {
    const start = this.inFlight >= 0 ? this.settle() : -1
    const end = this.now()
    this.startedAt = -1
    this.inFlight = -1
    this.groupStart = -1
    this.records.interrupted(action, sequenceId, end, start < 0 ? 0 : end - start)
  }

  /**
   * The run stopped by itself (`"failed"` outside a step, or `"interrupted"`, with the step in
   * flight if any), after its last completed step `last` with `next` to run.
   */
  exited(reason: "failed" | "interrupted", interrupts: boolean, last: number, next: string | undefined) {
    if (interrupts && this.inFlight >= 0) this.interrupted(this.inFlightAction, this.inFlight)
    this.stopped(reason, last, next)
  }

  /**
   * The run stops, after its last completed step `sequenceId` with `next` to run (recorded once
   * per run: the first reason given wins).
   */
  private stopped(
    reason: StopReason,
    sequenceId: number,
    next: string | undefined,
    reading = this.now()
  ) {
    if (this.hasStopped) return
    this.hasStopped = true
    this.records.stopped(reason, sequenceId, next, reading)
  }

  /**
   * The synchronous stretch ends (a save, a yield, a halt): the open group closes, and the next
   * step reads the clock when it starts.
   */
  paused() {
    if (this.groupStart < 0) return
    if (this.inGroup > 0) this.close(this.now(), false)
    this.groupStart = -1
  }

  /** Closes the open group, if any, and the run: it stopped (see `stopped`). */
  ended(reason: "ended" | "halted", sequenceId: number, next: string | undefined) {
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
      if (this.startEvery && !(this.startRecorded && !current)) this.records.started(action, this.firstSeq, start)
      this.records.completed(action, this.firstSeq, this.states[0], 0, this.groupNext, start + share, share)
    } else if (n > 1) {
      // Handed over as they are: the next group gets new arrays, sized for its window.
      if (this.actions.length !== n) {
        this.actions.length = n
        this.states.length = n
      }
      this.records.group(this.firstSeq, this.actions, this.states, this.groupNext, start + n * share, n * share)
    }
    this.window = share < FAST_MS ? Math.min(this.window * 2, MAX_WINDOW) : 1
    if (n > 1) {
      this.actions = new Array(this.window)
      this.states = new Array(this.window)
    }
    this.inGroup = 0
    return current ? start + n * share : reading
  }
}
