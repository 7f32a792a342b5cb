/**
 * Who watches a run, as one object the step loop talks to.
 *
 * A run may be watched by a stream consumer (`Application.stream`: events through `emit`), by a
 * tracker (records through the run's `Recorder`), by both, or by nobody. The observer is built once
 * per run from those two (`make`); the loop holds `undefined` when nobody watches, so an
 * unobserved step pays one comparison, and an observed one a single call per thing that happens.
 */
import type { Event } from "../Event.js"
import type { Identity } from "./application.js"
import type { Emit } from "./context.js"
import { Recorder } from "./recorder.js"
import type { Services } from "./services.js"
import * as Graph from "../Graph.js"

/** Why a run stopped. */
export type StopReason = "ended" | "halted" | "failed" | "interrupted"

/** What the step loop tells whoever watches the run. */
export interface Observer {
  /** Whether the run's end by interruption or outside failure must be reported (`exited`). */
  readonly watchesExit: boolean
  /** The run goes on after it stopped for a while (a yield, a save, an action that waited). */
  resumed(): void
  /** The synchronous stretch ends: a save or a yield follows. */
  paused(): void
  /** Step `sequenceId` runs `action`. */
  started(action: string, sequenceId: number): void
  /** The step's action returned an Effect or a Promise. */
  suspended(action: string, sequenceId: number): void
  /** The step's action streamed `chunk`. */
  chunk(action: string, sequenceId: number, chunk: unknown): void
  /** The step completed with `state`; `next` runs after it. */
  completed(action: string, sequenceId: number, state: unknown, next: string | undefined): void
  /**
   * The step failed with `error` (`started`: whether it had started) and the run stops, after its
   * last completed step `last` with `next` to run.
   */
  failed(action: string, sequenceId: number, error: unknown, started: boolean, last: number, next: string | undefined): void
  /** The step in flight was interrupted. */
  interrupted(action: string, sequenceId: number): void
  /** The run stopped by itself, after its last completed step `last`. */
  ended(reason: "ended" | "halted", last: number, next: string | undefined): void
  /** The run was interrupted, or failed outside a step (`interrupts`: its cause holds an interruption). */
  exited(reason: "failed" | "interrupted", interrupts: boolean, last: number, next: string | undefined): void
}

/** Turns what the loop tells into the stream's events. */
class Emitter implements Observer {
  readonly watchesExit = false
  constructor(private readonly emit: Emit, private readonly appId: string, private readonly parentId: string | undefined) {}

  private event<T extends object>(fields: T): Event {
    const parentId = this.parentId
    return (parentId === undefined ? { ...fields, appId: this.appId } : { ...fields, appId: this.appId, parentId }) as
      unknown as Event
  }

  resumed() {}
  paused() {}
  suspended() {}
  started(action: string, sequenceId: number) {
    this.emit(this.event({ _tag: "StepStarted", action, sequenceId }))
  }
  chunk(action: string, _sequenceId: number, chunk: unknown) {
    this.emit(this.event({ _tag: "Chunk", action, chunk }))
  }
  completed(action: string, sequenceId: number, state: unknown) {
    this.emit(this.event({ _tag: "StepCompleted", action, sequenceId, state }))
  }
  failed(action: string, sequenceId: number, error: unknown) {
    this.emit(this.event({ _tag: "StepFailed", action, sequenceId, error }))
  }
  interrupted() {}
  ended() {}
  exited() {}
}

/** Both a stream consumer and a tracker watch: each is told, the stream first. */
class Both implements Observer {
  readonly watchesExit = true
  constructor(private readonly emitter: Emitter, private readonly recorder: Recorder) {}
  resumed() {
    this.recorder.resumed()
  }
  paused() {
    this.recorder.paused()
  }
  started(action: string, sequenceId: number) {
    this.emitter.started(action, sequenceId)
    this.recorder.started(action, sequenceId)
  }
  suspended(action: string, sequenceId: number) {
    this.recorder.suspended(action, sequenceId)
  }
  chunk(action: string, sequenceId: number, chunk: unknown) {
    this.emitter.chunk(action, sequenceId, chunk)
    this.recorder.chunk(action, sequenceId, chunk)
  }
  completed(action: string, sequenceId: number, state: unknown, next: string | undefined) {
    this.emitter.completed(action, sequenceId, state)
    this.recorder.completed(action, sequenceId, state, next)
  }
  failed(action: string, sequenceId: number, error: unknown, started: boolean, last: number, next: string | undefined) {
    this.emitter.failed(action, sequenceId, error)
    this.recorder.failed(action, sequenceId, error, started, last, next)
  }
  interrupted(action: string, sequenceId: number) {
    this.recorder.interrupted(action, sequenceId)
  }
  ended(reason: "ended" | "halted", last: number, next: string | undefined) {
    this.recorder.ended(reason, last, next)
  }
  exited(reason: "failed" | "interrupted", interrupts: boolean, last: number, next: string | undefined) {
    this.recorder.exited(reason, interrupts, last, next)
  }
}

/**
 * The observer of a run of `app` (from its position `sequenceId` and `state`), or `undefined` when
 * nobody watches. With a tracker, the run's `ApplicationStarted` is recorded now.
 */
export const make = (
  app: Identity & { readonly sequenceId: number; readonly state: unknown },
  parentSequenceId: number | undefined,
  emit: Emit | undefined,
  services: Services
): Observer | undefined => {
  const tracker = services.tracker
  const emitter = emit === undefined ? undefined : new Emitter(emit, app.id, app.parentId)
  if (tracker === undefined) return emitter
  const recorder = new Recorder(tracker, app.id, app.partitionKey, app.parentId)
  recorder.applicationStarted({
    project: services.project,
    appId: app.id,
    partitionKey: app.partitionKey,
    parentId: app.parentId,
    parentSequenceId,
    sequenceId: app.sequenceId,
    state: app.state,
    graph: Graph.shapeOf(app.graph)
  })
  return emitter === undefined ? recorder : new Both(emitter, recorder)
}
