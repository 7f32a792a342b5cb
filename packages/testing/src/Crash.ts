/**
 * Crash simulation: kill a persisted run right after its k-th saved step, resume it with
 * `Application.load` from what was saved, and check that it ends as an uninterrupted run does.
 *
 * The "process" is in-process: a memory store that counts its saves interrupts the run after the
 * k-th one and refuses every later save (what a killed process never wrote). The resumed run then
 * uses the same store, as a restarted process would use the same database. Everything runs on a
 * virtual clock, so sleeps in the workflow (model latency, retries) cost nothing.
 *
 * @since 0.1.0
 */
import { Cause, Exit, type Layer } from "effect"
import { type Application, type Graph, type Persistence, Tracking } from "@teasel/core"
import { LawError } from "./LawError.js"
import { attempt, openStore, type Saved, savedKey, type WorkflowOptions, workflowOf } from "./internal/harness.js"
import { at, describeError, difference, normalize, show } from "./internal/value.js"

/**
 * The laws `checkCrash` checks, by the name `skip` takes:
 *
 * - `twice`: "runs no saved step twice" — after the restart, no step that had been saved runs
 *   again (in the application or any child);
 * - `state`: "resumes to the state of an uninterrupted run";
 * - `history`: "saves the same steps as an uninterrupted run" — the same applications (so child
 *   ids are stable), steps, actions and states, none missing and none extra.
 *
 * @example
 * ```ts
 * import { Testing } from "@teasel/testing"
 * declare const graph: import("@teasel/core").Graph.Graph<{ seed: number }, "roll">
 * // A workflow that draws random numbers cannot resume to the same state; its history still must not repeat steps.
 * Testing.checkCrash({ graph, state: { seed: 0 }, skip: ["state"] satisfies ReadonlyArray<Testing.CrashLaw> })
 * ```
 * @category models
 * @since 0.1.0
 */
export type CrashLaw = "twice" | "state" | "history"

/**
 * Law sentences, as they appear in `LawError.law`.
 *
 * @example
 * ```ts
 * import { expect } from "vitest"
 * import { Testing } from "@teasel/testing"
 * declare const error: Testing.LawError
 * expect(error.law).toBe(Testing.crashLaws.twice) // "runs no saved step twice"
 * ```
 * @category models
 * @since 0.1.0
 */
export const crashLaws: { readonly [L in CrashLaw]: string } = {
  twice: "runs no saved step twice",
  state: "resumes to the state of an uninterrupted run",
  history: "saves the same steps as an uninterrupted run"
}

/**
 * Options of `checkCrash`.
 *
 * @example
 * ```ts
 * import { Persistence } from "@teasel/core"
 * import { Testing } from "@teasel/testing"
 * declare const graph: import("@teasel/core").Graph.Graph<{ n: number }, "inc">
 * const options: Testing.CheckCrashOptions<{ n: number }, "inc", never> = {
 *   graph,
 *   state: { n: 0 },
 *   persistence: () => Persistence.layerMemory,
 *   points: 10,
 *   seed: 1
 * }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface CheckCrashOptions<S, K extends string, R> extends WorkflowOptions<S, K, R> {
  /** Provides what the workflow requires (its `Persistence` and `Tracking` are replaced). */
  readonly layer?: Layer.Layer<Exclude<R, never>, any, never> | undefined
  /**
   * Where to crash: after these numbers of saves; by default every save but the last when there
   * are at most `points` of them, else `points` of them drawn with `seed`.
   */
  readonly crashAfter?: ReadonlyArray<number> | undefined
  /** How many crash points at most (50 by default). */
  readonly points?: number | undefined
  readonly seed?: number | undefined
  /**
   * The store to crash against, built afresh for the reference run and for each crash point
   * (`Persistence.layerMemory` by default). With a real backend, `checkCrash` also tests that the
   * backend gives back, after a crash, exactly what it saved.
   */
  readonly persistence?: (() => Layer.Layer<Persistence.Persistence, unknown, never>) | undefined
  /** Laws not to check (`state` for a workflow that draws random numbers, say). */
  readonly skip?: ReadonlyArray<CrashLaw> | undefined
}

/**
 * What `checkCrash` did: how many steps an uninterrupted run saves and after which saves it
 * crashed the run.
 *
 * @example
 * ```ts
 * import { expect } from "vitest"
 * import { Testing } from "@teasel/testing"
 * declare const graph: import("@teasel/core").Graph.Graph<{ n: number }, "inc">
 * const report = await Testing.checkCrash({ graph, state: { n: 0 } })
 * expect(report.crashedAfter).toHaveLength(report.saves - 1)
 * ```
 * @category models
 * @since 0.1.0
 */
export interface CrashReport<S> {
  readonly saves: number
  readonly crashedAfter: ReadonlyArray<number>
  /** The final state of the uninterrupted run. */
  readonly state: S
}

/**
 * Runs the workflow uninterrupted, then once per crash point k: kills it after its k-th save,
 * restarts it from the store and checks the crash laws (see `CrashLaw`). Rejects with a
 * `LawError` for the smallest k that breaks one; resolves with a `CrashReport` otherwise.
 *
 * @example
 * ```ts
 * import { it } from "vitest"
 * import { Graph } from "@teasel/core"
 * import { Testing } from "@teasel/testing"
 * const inc = (s: { n: number }) => ({ n: s.n + 1 })
 * const graph = Graph.make({
 *   actions: { inc, done: (s: { n: number }) => s },
 *   transitions: [["inc", "done", (s) => s.n >= 5], ["inc", "inc"]],
 *   entrypoint: "inc"
 * })
 * it("survives a crash at any step", () => Testing.checkCrash({ graph, state: { n: 0 } }))
 * ```
 * @category crash
 * @since 0.1.0
 */
export const checkCrash = async <S, K extends string, R>(options: CheckCrashOptions<S, K, R>): Promise<CrashReport<S>> => {
  const skip = new Set(options.skip ?? [])
  const seed = options.seed ?? 0
  const base = { ...workflowOf(options, "crash"), seed }
  const subject = `Workflow "${base.id}"`

  const reference = await openStore(options.persistence)
  const uninterrupted = await attempt({ ...base, store: reference }).finally(reference.close)
  if (Exit.isFailure(uninterrupted.exit)) {
    throw new Error(`${subject}: the uninterrupted run failed, so there is nothing to compare with: ${describeError(Cause.squash(uninterrupted.exit.cause))}`)
  }
  const expected = uninterrupted.exit.value.state
  const n = reference.saves.length
  const points = options.crashAfter ?? choosePoints(n - 1, options.points ?? 50, seed)

  for (const k of points) {
    const store = await openStore(options.persistence)
    const tracker = Tracking.makeMemory()
    const { beforeRestart, resumed } = await (async () => {
      store.killAfter = k
      await attempt({ ...base, store })
      const beforeRestart = store.saves.slice()
      store.dead = false
      store.killAfter = undefined
      return { beforeRestart, resumed: await attempt({ ...base, store, tracking: tracker.layer }) }
    })().finally(store.close)
    const last = beforeRestart[beforeRestart.length - 1]
    const counterexample = {
      crashAfter: k,
      lastSaved: last === undefined ? undefined : { appId: last.appId, sequenceId: last.sequenceId, action: last.action }
    }
    const fail = (law: string, detail: string): never => {
      throw new LawError({
        law,
        subject,
        counterexample,
        detail,
        seed,
        path: String(k),
        runs: points.indexOf(k) + 1,
        shrinks: 0,
        message: [
          `${subject} broke the law "${law}".`,
          `Counterexample: killed right after save ${k} of ${n} (${describeSave(last)}), then restarted from the store.`,
          detail,
          `Replay it with { crashAfter: [${k}] }.`
        ].join("\n")
      })
    }
    if (!skip.has("twice")) {
      const saved = new Set(beforeRestart.map((s) => `${s.appId}\u0000${s.sequenceId}`))
      const again = tracker.records.find((r) => r._tag === "StepCompleted" && saved.has(`${r.appId}\u0000${r.sequenceId}`))
      if (again !== undefined && again._tag === "StepCompleted") {
        fail(crashLaws.twice, `Step ${again.sequenceId} ("${again.action}") of "${again.appId}" had been saved before the crash, and ran again after the restart.`)
      }
    }
    if (Exit.isFailure(resumed.exit)) {
      if (!skip.has("state")) fail(crashLaws.state, `After the restart the run failed: ${describeError(Cause.squash(resumed.exit.cause))}`)
      continue
    }
    if (!skip.has("state")) {
      const got = normalize(resumed.exit.value.state)
      const want = normalize(expected)
      const d = difference(want, got)
      if (d !== undefined) fail(crashLaws.state, `The final state differs at ${d}: ${show(at(got, d), 160)} instead of ${show(at(want, d), 160)}.`)
    }
    if (!skip.has("history")) {
      const problem = compareHistories(reference.saves, store.saves)
      if (problem !== undefined) fail(crashLaws.history, problem)
    }
  }
  return { saves: n, crashedAfter: points, state: expected }
}

/** Up to `max` distinct numbers in 1..`last`: all of them when they fit, else drawn with `seed`. */
const choosePoints = (last: number, max: number, seed: number): ReadonlyArray<number> => {
  const all = Array.from({ length: Math.max(0, last) }, (_, i) => i + 1)
  if (all.length <= max) return all
  let x = (seed >>> 0) || 1
  const random = () => {
    // xorshift32: enough to spread crash points, reproducible from the seed.
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 4_294_967_296
  }
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[all[i], all[j]] = [all[j]!, all[i]!]
  }
  return all.slice(0, max).sort((a, b) => a - b)
}

/** The first difference between the steps an uninterrupted run saved and those a crashed-and-resumed one saved. */
const compareHistories = (expected: ReadonlyArray<Saved>, got: ReadonlyArray<Saved>): string | undefined => {
  const count = (saves: ReadonlyArray<Saved>) => {
    const map = new Map<string, { save: Saved; n: number }>()
    for (const save of saves) {
      const key = savedKey(save)
      const entry = map.get(key)
      if (entry === undefined) map.set(key, { save, n: 1 })
      else entry.n++
    }
    return map
  }
  const want = count(expected)
  const have = count(got)
  for (const [key, { save, n }] of have) {
    const m = want.get(key)?.n ?? 0
    if (n > m) {
      return `It saved ${describeSave(save)} with state ${show(normalize(save.state), 160)}, which the uninterrupted run did not save` +
        (m === 0 ? "" : ` more than ${m} time(s)`) + "."
    }
  }
  for (const [key, { save }] of want) {
    if (!have.has(key)) return `It never saved ${describeSave(save)}, which the uninterrupted run saved.`
  }
  return undefined
}

const describeSave = (save: Saved | undefined): string =>
  save === undefined ? "nothing saved" : `step ${save.sequenceId} ("${save.action}") of "${save.appId}"`
