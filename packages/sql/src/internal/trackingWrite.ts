/**
 * What `SqlTracking` writes for a batch of tracking records and step groups: statements of
 * `statements.ts`, worked out without touching the database, so that the same batch is written
 * synchronously on SQLite or through Effect SQL elsewhere.
 *
 * A batch becomes: the graphs not written yet, one upsert per application started, the step rows
 * (a step started and completed within the batch is one row; a group of fast steps is one row per
 * step, its time shared evenly), then one update per application with where it stands after the
 * batch (its status as `status.recorded` says). States are stored in full every `fullStateEvery`
 * steps of an application and when its previous step is not known here; otherwise as the
 * top-level keys whose value changed (by reference: states are immutable and share what they did
 * not change).
 */
import { createHash } from "node:crypto"
import type { Graph, Tracking } from "@teasel/core"
import { keyOf, type Statement } from "./dialect.js"
import { Lru } from "./lru.js"
import * as Statements from "./statements.js"
import { afterStep, recorded } from "./status.js"

/** What the tracker buffers: records, and groups of fast steps (`recordSteps`), in order. */
export type Item = Tracking.TrackingRecord | Tracking.StepGroup

/** The last state written for an application, to store its next one as a delta. */
interface Known {
  readonly seq: number
  readonly state: Record<string, unknown>
  readonly sinceFull: number
  /** About what the state weighs: its last full JSON's length and the deltas' since. */
  readonly bytes: number
}

/** The most the remembered states may weigh together (in characters of their JSON). */
const KNOWN_BYTES = 32 * 1024 * 1024

export interface Writer {
  /** The statements that write `items`, in order. */
  readonly statements: (items: ReadonlyArray<Item>) => Array<Statement>
  /** Forgets the states remembered: after a failed write, the next steps are stored in full. */
  readonly forget: () => void
}

export const make = (options: {
  readonly session: string
  readonly fullStateEvery: number
  readonly cacheSize?: number | undefined
  /**
   * Step rows per upsert. Default `Statements.STEPS_PER_STATEMENT`; more where every statement
   * is a round trip to a server (PostgreSQL), so that a batch is a few of them.
   */
  readonly stepsPerStatement?: number | undefined
}): Writer => {
  const perStatement = Math.max(1, options.stepsPerStatement ?? Statements.STEPS_PER_STATEMENT)
  const known = new Lru<string, Known>(options.cacheSize ?? 4096, KNOWN_BYTES, (k) => k.bytes)
  const graphIds = new WeakMap<Graph.Shape, readonly [id: string, json: string]>()
  const graphsWritten = new Set<string>()

  const graphOf = (shape: Graph.Shape) => {
    let entry = graphIds.get(shape)
    if (entry === undefined) {
      const json = JSON.stringify(shape)
      entry = [createHash("sha1").update(json).digest("hex").slice(0, 20), json]
      graphIds.set(shape, entry)
    }
    return entry
  }

  const encodeState = (key: string, seq: number, next: string | undefined, state: unknown) => {
    const previous = known.get(key)
    let full: 0 | 1
    let json: string
    let sinceFull = 0
    if (
      previous !== undefined && previous.seq === seq - 1 && previous.sinceFull + 1 < options.fullStateEvery &&
      isRecord(state)
    ) {
      const set: Record<string, unknown> = {}
      const unset: Array<string> = []
      // Own keys only: a removed `constructor` or `toString` is not "still there" by inheritance.
      for (const k of Object.keys(state)) {
        if (state[k] !== previous.state[k] || !Object.hasOwn(previous.state, k)) set[k] = state[k]
      }
      for (const k of Object.keys(previous.state)) if (!Object.hasOwn(state, k)) unset.push(k)
      full = 0
      json = toJson({ set, unset })
      sinceFull = previous.sinceFull + 1
    } else {
      full = 1
      json = toJson(state)
    }
    if (isUnrecorded(json)) {
      // Degraded (see `toJson`): stored as a full state of its own, and the next step in full.
      known.delete(key)
      return { full: 1 as const, json: full === 1 ? json : toJson(state) }
    }
    if (next === undefined || !isRecord(state)) known.delete(key)
    else known.set(key, { seq, state, sinceFull, bytes: json.length + (full === 1 ? 0 : previous!.bytes) })
    return { full, json }
  }

  const statements = (items: ReadonlyArray<Item>): Array<Statement> => {
    const graphs: Array<Statement> = []
    const starts: Array<Statement> = []
    const steps = new Map<string, Statements.TrackedStep>()
    const apps = new Map<string, Statements.AppUpdate>()
    const appOf = (partitionKey: string, appId: string, at: number) => {
      const key = keyOf(partitionKey, appId)
      let app = apps.get(key)
      if (app === undefined) {
        app = {
          partitionKey,
          appId,
          updatedAt: at,
          status: "running",
          lastSeq: 0,
          completed: undefined,
          runningSeq: null,
          runningAction: null,
          error: null
        }
        apps.set(key, app)
      }
      app.updatedAt = at
      return app
    }
    /** A completed step's row, and where its application stands after it. */
    const completed = (
      partitionKey: string,
      appId: string,
      seq: number,
      action: string,
      next: string | undefined,
      state: unknown,
      at: number,
      durationMs: number,
      chunks: number
    ) => {
      const { full, json } = encodeState(keyOf(partitionKey, appId), seq, next, state)
      steps.set(stepKey(partitionKey, appId, seq), {
        partitionKey,
        appId,
        seq,
        action,
        status: "completed",
        startedAt: at - durationMs,
        durationMs,
        chunks,
        next: next ?? null,
        full,
        state: json,
        error: null
      })
      const app = appOf(partitionKey, appId, at)
      app.status = afterStep(next)
      app.lastSeq = Math.max(app.lastSeq, seq)
      app.completed = { action, next: next ?? null }
      app.runningSeq = null
      app.runningAction = null
      app.error = null
    }
    for (const r of items) {
      if (!("_tag" in r)) {
        // A group of fast steps: one row per step, the group's time shared evenly.
        const n = r.actions.length
        const share = n === 0 ? 0 : r.durationMs / n
        const start = r.at - r.durationMs
        for (let i = 0; i < n; i++) {
          const last = i === n - 1
          completed(
            r.partitionKey,
            r.appId,
            r.sequenceId + i,
            r.actions[i]!,
            last ? r.next : r.actions[i + 1],
            r.states[i],
            last ? r.at : start + (i + 1) * share,
            share,
            0
          )
        }
        continue
      }
      switch (r._tag) {
        case "ApplicationStarted": {
          const [graphId, shape] = graphOf(r.graph)
          if (!graphsWritten.has(graphId)) {
            graphsWritten.add(graphId)
            graphs.push(Statements.insertGraph(graphId, shape))
          }
          // The state a new application was made with: what its first step is compared with.
          starts.push(Statements.startApp(r, graphId, options.session, r.sequenceId === 0 ? toJson(r.state) : null))
          const app = appOf(r.partitionKey, r.appId, r.at)
          app.status = recorded(r)
          app.lastSeq = Math.max(app.lastSeq, r.sequenceId)
          app.runningSeq = null
          app.runningAction = null
          app.error = null
          break
        }
        case "StepStarted": {
          steps.set(stepKey(r.partitionKey, r.appId, r.sequenceId), {
            partitionKey: r.partitionKey,
            appId: r.appId,
            seq: r.sequenceId,
            action: r.action,
            status: "running",
            startedAt: r.at,
            durationMs: null,
            chunks: 0,
            next: null,
            full: null,
            state: null,
            error: null
          })
          const app = appOf(r.partitionKey, r.appId, r.at)
          app.status = recorded(r)
          app.runningSeq = r.sequenceId
          app.runningAction = r.action
          break
        }
        case "StepCompleted": {
          completed(r.partitionKey, r.appId, r.sequenceId, r.action, r.next, r.state, r.at, r.durationMs, r.chunks)
          break
        }
        case "ApplicationStopped": {
          const app = appOf(r.partitionKey, r.appId, r.at)
          // A failed or interrupted run keeps the error its step left.
          app.status = recorded(r)
          app.lastSeq = Math.max(app.lastSeq, r.sequenceId)
          app.runningSeq = null
          app.runningAction = null
          break
        }
        case "StepFailed":
        case "StepInterrupted": {
          const failed = r._tag === "StepFailed"
          const error = failed ? toJson(describeError(r.error)) : null
          steps.set(stepKey(r.partitionKey, r.appId, r.sequenceId), {
            partitionKey: r.partitionKey,
            appId: r.appId,
            seq: r.sequenceId,
            action: r.action,
            status: failed ? "failed" : "interrupted",
            startedAt: r.at - r.durationMs,
            durationMs: r.durationMs,
            chunks: 0,
            next: null,
            full: null,
            state: null,
            error
          })
          // The next completed step of this application follows a step that was not stored.
          known.delete(keyOf(r.partitionKey, r.appId))
          const app = appOf(r.partitionKey, r.appId, r.at)
          app.status = recorded(r)
          app.runningSeq = null
          app.runningAction = null
          app.error = error
          break
        }
      }
    }
    const out = [...graphs, ...starts]
    const rows = [...steps.values()]
    for (let i = 0; i < rows.length; i += perStatement) {
      out.push(Statements.upsertSteps(rows.slice(i, i + perStatement)))
    }
    for (const app of apps.values()) out.push(Statements.updateApp(app))
    return out
  }

  return { statements, forget: () => known.clear() }
}

const stepKey = (partitionKey: string, appId: string, seq: number) => `${partitionKey}\u0000${appId}\u0000${seq}`

const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** The key of the placeholder recorded instead of a value that cannot be written as JSON. */
export const UNRECORDED = "teasel:unrecorded"

const unrecordedPrefix = `{"${UNRECORDED}":`

/** Whether `json` is the placeholder `toJson` wrote for a value it could not write. */
const isUnrecorded = (json: string): boolean => json.startsWith(unrecordedPrefix)

/**
 * JSON of any value, never failing (one record's value must not cost the others theirs): what
 * `JSON.stringify` cannot write is written as a string saying what it was (a `BigInt` as `"12n"`,
 * a cycle as `"[Circular]"`); a value it cannot write at all (nested too deep for the stack) is
 * replaced by a placeholder naming why, `{ "teasel:unrecorded": "..." }`.
 */
export const toJson = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? "null"
  } catch {
    try {
      const seen = new WeakSet<object>()
      return JSON.stringify(value, (_key, v: unknown) => {
        if (typeof v === "bigint") return `${v}n`
        if (typeof v === "object" && v !== null) {
          if (seen.has(v)) return "[Circular]"
          seen.add(v)
        }
        return v
      }) ?? "null"
    } catch (cause) {
      const why = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
      return JSON.stringify({ [UNRECORDED]: `this value could not be recorded as JSON (${why})` })
    }
  }
}

/** An error as plain data: its tag, name, message, fields, the top of its stack, and its cause. */
export const describeError = (error: unknown, depth = 0): unknown => {
  if (depth > 8) return { message: "(cause chain truncated)" }
  if (typeof error !== "object" || error === null) {
    return { message: typeof error === "string" ? error : String(error) }
  }
  const e = error as Record<string, unknown> & { readonly stack?: unknown; readonly cause?: unknown }
  const out: Record<string, unknown> = {}
  if (typeof e["_tag"] === "string") out["_tag"] = e["_tag"]
  if (error instanceof Error) out["name"] = error.name
  out["message"] = typeof e["message"] === "string" ? e["message"] : toJson(error).slice(0, 2000)
  for (const key of Object.keys(e)) {
    if (key === "_tag" || key === "message" || key === "cause" || key === "stack") continue
    const value = e[key]
    if (typeof value !== "function" && typeof value !== "symbol") out[key] = value
  }
  if (typeof e.stack === "string") out["stack"] = e.stack.split("\n").slice(0, 12).join("\n")
  if (e.cause !== undefined) out["cause"] = describeError(e.cause, depth + 1)
  return out
}
