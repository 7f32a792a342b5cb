/**
 * Schedule exploration: run a workflow under many generated schedules and check an invariant
 * after each.
 *
 * A schedule delays the children of parallel steps (which reorders when they start and
 * complete), makes some of them fail with an injected error, and may kill the run after its k-th
 * saved step. A run that was killed, or failed because of an injected failure, is resumed from
 * its memory store with `Application.load` — once, without injections — and the invariant sees
 * how it ended. Everything runs on Effect's `TestClock` with Effect's `Random` seeded, so a
 * schedule replays exactly from the seed and path the failure prints; schedules shrink towards no
 * delays, no failures and no kill.
 *
 * @since 0.1.0
 */
import { Cause, Exit, type Layer } from "effect"
import type { Application, Graph } from "@teasel/core"
import fc from "fast-check"
import { attempt, isInjected, makeStore, type Started, type WorkflowOptions, workflowOf } from "./internal/harness.js"
import { check, type RunOptions, Violation } from "./internal/property.js"
import { describeError, show } from "./internal/value.js"

/**
 * How one explored run went.
 *
 * @example
 * ```ts
 * import { Exit } from "effect"
 * import type { Testing } from "@teasel/testing"
 * // An invariant: a run that succeeded ends where a plain run ends, however it was interrupted.
 * const sameAsPlain = (outcome: Testing.ExploreOutcome<{ total: number }>) =>
 *   Exit.isFailure(outcome.exit) || outcome.state?.total === outcome.reference?.total
 * ```
 * @category models
 * @since 0.1.0
 */
export interface ExploreOutcome<S, K extends string = string> {
  /** How the last attempt ended: the final application, or the error. */
  readonly exit: Exit.Exit<Application.Application<S, K, any, any>, unknown>
  /** The final state when the last attempt succeeded. */
  readonly state: S | undefined
  /** The final state of a plain run of the same workflow (no delays, failures or kill). */
  readonly reference: S | undefined
  /** 1, or 2 when the first attempt was killed or failed by an injected failure and was resumed. */
  readonly attempts: number
  /** Children that failed on purpose, as `"index of id"` (index in the step, child id). */
  readonly failed: ReadonlyArray<string>
  /** After how many saves the first attempt was killed, if it was. */
  readonly killedAfter: number | undefined
  /** Whether the first attempt ended in an injected failure (then it was resumed). */
  readonly injectedFailure: boolean
}

/**
 * Options of `explore`.
 *
 * @example
 * ```ts
 * import { Testing } from "@teasel/testing"
 * declare const graph: import("@teasel/core").Graph.Graph<{ n: number }, "inc">
 * const options: Testing.ExploreOptions<{ n: number }, "inc", never> = {
 *   graph,
 *   state: { n: 0 },
 *   failures: 0.2,
 *   kills: 0.5,
 *   maxDelay: 50,
 *   numRuns: 100,
 *   invariant: ({ state }) => state === undefined || state.n >= 0
 * }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface ExploreOptions<S, K extends string, R> extends RunOptions, WorkflowOptions<S, K, R> {
  /** Provides what the workflow requires (its `Persistence` is replaced by a memory store per run). */
  readonly layer?: Layer.Layer<Exclude<R, never>, any, never> | undefined
  /** Largest delay of a child, in virtual milliseconds (20 by default). */
  readonly maxDelay?: number | undefined
  /** Chance that a child fails on the first attempt, 0 to 1 (0.1 by default). */
  readonly failures?: number | undefined
  /** Chance that the first attempt is killed after a random save, 0 to 1 (0.25 by default). */
  readonly kills?: number | undefined
  /**
   * Checked after every run: return `false` or throw to report the schedule. A failure of the
   * workflow is not a violation by itself; the invariant decides (look at `outcome.exit`).
   */
  readonly invariant: (outcome: ExploreOutcome<NoInfer<S>, NoInfer<K>>) => boolean | void
}

/**
 * Explores `runs` schedules (50 by default) of the workflow and checks `invariant` after each;
 * rejects with a `LawError` ("keeps its invariant") showing the shrunk schedule, how the run
 * ended, and the seed and path that replay it.
 *
 * @example
 * ```ts
 * import { Exit } from "effect"
 * import { it } from "vitest"
 * import { Graph, mapStates } from "@teasel/core"
 * import { Testing } from "@teasel/testing"
 * const double = mapStates(
 *   (c: { x: number }) => ({ x: c.x * 2 }),
 *   (s: { xs: ReadonlyArray<number>; out: ReadonlyArray<number> }) => s.xs.map((x) => ({ x })),
 *   (s, results) => ({ ...s, out: results.map((r) => r.x) })
 * )
 * const graph = Graph.make({ actions: { double }, transitions: [], entrypoint: "double" })
 * it("always doubles every element, in order", () =>
 *   Testing.explore({
 *     graph,
 *     state: { xs: [1, 2, 3], out: [] },
 *     seed: 7,
 *     invariant: ({ exit, state }) => Exit.isFailure(exit) || state?.out.join() === "2,4,6"
 *   }))
 * ```
 * @category exploration
 * @since 0.1.0
 */
export const explore = async <S, K extends string, R>(options: ExploreOptions<S, K, R>): Promise<void> => {
  const base = workflowOf(options, "explore")
  const maxDelay = options.maxDelay ?? 20
  const failAbove = 100 - Math.round(100 * (options.failures ?? 0.1))
  const killAbove = 100 - Math.round(100 * (options.kills ?? 0.25))

  // A plain run: the reference state, and how many saves a kill can come after.
  const plainStore = makeStore()
  const plain = await attempt({ ...base, store: plainStore, seed: 0 })
  const reference = Exit.isSuccess(plain.exit) ? plain.exit.value.state : undefined
  const saves = Math.max(1, plainStore.saves.length)

  // Each value decides "yes" when it is at least the threshold, so all of them shrink towards "no".
  const schedule = fc.record({
    seed: fc.nat({ max: 1_000_000 }),
    delays: fc.array(fc.nat({ max: maxDelay }), { maxLength: 32 }),
    failures: fc.array(fc.nat({ max: 99 }), { maxLength: 32 }),
    kill: fc.nat({ max: 99 }),
    killAfter: fc.integer({ min: 1, max: saves })
  })
  const law = "keeps its invariant"

  const property = fc.asyncProperty(schedule, async (sch) => {
    const store = makeStore()
    const killing = sch.kill >= killAbove
    if (killing) store.killAfter = sch.killAfter
    const first = await attempt({
      ...base,
      store,
      seed: sch.seed,
      plan: {
        delay: (n) => sch.delays[n] ?? 0,
        fail: (n) => ((sch.failures[n] ?? 0) >= failAbove ? "before" : undefined),
        failWith: "fail"
      }
    })
    const killed = store.dead
    const injectedFailure = !killed && Exit.isFailure(first.exit) && isInjected(Cause.squash(first.exit.cause))
    let last = first
    if (killed || injectedFailure) {
      store.dead = false
      store.killAfter = undefined
      last = await attempt({ ...base, store, seed: sch.seed + 1, plan: { delay: (n) => sch.delays[n] ?? 0 } })
    }
    const outcome: ExploreOutcome<S, K> = {
      exit: last.exit as ExploreOutcome<S, K>["exit"],
      state: Exit.isSuccess(last.exit) ? last.exit.value.state : undefined,
      reference,
      attempts: last === first ? 1 : 2,
      failed: failedChildren(first.log),
      killedAfter: killed ? sch.killAfter : undefined,
      injectedFailure
    }
    let holds: boolean | void
    try {
      holds = options.invariant(outcome as unknown as ExploreOutcome<NoInfer<S>, NoInfer<K>>)
    } catch (error) {
      throw new Violation(law, `The run: ${describeOutcome(outcome)}.\nThe invariant threw ${describeError(error)}`, { outcome })
    }
    if (holds === false) throw new Violation(law, `The run: ${describeOutcome(outcome)}.\nThe invariant returned false.`, { outcome })
  })
  await check(property, { ...options, defaultRuns: 50 }, `Workflow "${base.id}"`, ([sch]) => ({
    seed: sch.seed,
    delays: trimZeros(sch.delays),
    failing: sch.failures.flatMap((v, n) => (v >= failAbove ? [n] : [])),
    killAfter: sch.kill >= killAbove ? sch.killAfter : undefined
  }))
}

const failedChildren = (log: ReadonlyArray<Started>): ReadonlyArray<string> =>
  log.filter((s) => s.failed !== undefined).map((s) => `${s.index} of ${s.id}`)

const trimZeros = (delays: ReadonlyArray<number>): ReadonlyArray<number> => {
  let end = delays.length
  while (end > 0 && delays[end - 1] === 0) end--
  return delays.slice(0, end)
}

const describeOutcome = (outcome: ExploreOutcome<any, any>): string => {
  const how = [
    outcome.killedAfter === undefined ? undefined : `killed after save ${outcome.killedAfter}`,
    outcome.failed.length === 0 ? undefined : `children failed on purpose: ${outcome.failed.join(", ")}`,
    outcome.attempts === 2 ? "resumed" : undefined
  ].filter((x) => x !== undefined)
  const end = Exit.isSuccess(outcome.exit)
    ? `ended with state ${show(outcome.state, 240)}`
    : `failed: ${describeError(Cause.squash(outcome.exit.cause))}`
  return [...how, end].join("; ")
}
