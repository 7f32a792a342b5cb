/**
 * Laws of parallel steps: the next state a combinator (`mapStates`, `mapActions`, `product`,
 * `tasks`) produces must not depend on how its children happen to run.
 *
 * `checkReduce` runs the parallel action as the only step of a one-step application, on a virtual
 * clock, once plainly (the reference) and then under a generated schedule — a concurrency limit,
 * delays that reorder completions, and children that fail on a first run which is then resumed
 * from a memory store — and compares. The schedule shrinks with the state, so the counterexample
 * is a small state and the smallest schedule that still changes the result.
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit, type Layer, Semaphore } from "effect"
import { type Action, Application, Graph } from "@teasel/core"
import fc from "fast-check"
import { type Source, toArbitrary } from "./Arbitraries.js"
import { executor, makeStore, provideLayer, runVirtual, type Started, withExecutor } from "./internal/harness.js"
import { check, type LayerOption, type RunOptions, Violation } from "./internal/property.js"
import { at, describeError, difference, normalize, show } from "./internal/value.js"

/**
 * The laws `checkReduce` checks, by the name `skip` takes:
 *
 * - `concurrency`: "does not depend on the concurrency limit" — at most 1, 2 or 3 children at once;
 * - `order`: "does not depend on the order its children complete in" — random delays;
 * - `resume`: "resumes after a failure to the result of an uninterrupted run" — some children fail
 *   on a first run (persisted in memory), `Application.load` resumes it; also, the resumed step
 *   finds the children the first run saved (their ids are stable), so finished ones do not run
 *   again.
 *
 * `stopWhen` makes a result depend on timing by design: skip `order` and `concurrency` for it.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { mapStates } from "@teasel/core"
 * import { Testing } from "@teasel/testing"
 * // stopWhen hands reduce whatever completed first: only the resume law applies.
 * const firstTwo = mapStates(
 *   (c: { x: number }) => c,
 *   (s: { xs: ReadonlyArray<number> }) => s.xs.map((x) => ({ x })),
 *   (s) => s,
 *   { stopWhen: (done) => done.length >= 2 }
 * )
 * await Testing.checkReduce(firstTwo, {
 *   state: Schema.Struct({ xs: Schema.Array(Schema.Int) }),
 *   skip: ["order", "concurrency"] satisfies ReadonlyArray<Testing.ReduceLaw>
 * })
 * ```
 * @category models
 * @since 0.1.0
 */
export type ReduceLaw = "concurrency" | "order" | "resume"

/**
 * Law sentences, as they appear in `LawError.law`.
 *
 * @example
 * ```ts
 * import { expect } from "vitest"
 * import { Testing } from "@teasel/testing"
 * declare const error: Testing.LawError
 * expect(error.law).toBe(Testing.reduceLaws.order) // "does not depend on the order its children complete in"
 * ```
 * @category models
 * @since 0.1.0
 */
export const reduceLaws: { readonly [L in ReduceLaw]: string } = {
  concurrency: "does not depend on the concurrency limit",
  order: "does not depend on the order its children complete in",
  resume: "resumes after a failure to the result of an uninterrupted run"
}

/**
 * A generated schedule of a parallel step: the delay of the n-th child to start (virtual
 * milliseconds; 0 past the end), the concurrency limit, and which children (by start order) fail
 * on the first run — before running, or right after completing.
 *
 * @example
 * ```ts
 * import type { Testing } from "@teasel/testing"
 * // Child 0 waits 3 ms; at most one child at a time; the second child to start fails on the first run.
 * const schedule: Testing.ReduceSchedule = { delays: [3], concurrency: 1, failures: [1], failAfter: false }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface ReduceSchedule {
  readonly delays: ReadonlyArray<number>
  readonly concurrency: number
  readonly failures: ReadonlyArray<number>
  readonly failAfter: boolean
}

/**
 * Options of `checkReduce`. `layer` provides what the children and the reduce require.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import type { Testing } from "@teasel/testing"
 * const options: Testing.CheckReduceOptions<{ readonly xs: ReadonlyArray<number> }, never> = {
 *   state: Schema.Struct({ xs: Schema.Array(Schema.Int) }),
 *   maxDelay: 100,
 *   numRuns: 50,
 *   seed: 7
 * }
 * ```
 * @category models
 * @since 0.1.0
 */
export type CheckReduceOptions<S, R> =
  & RunOptions
  & {
    /** The parent states to try. */
    readonly state: Source<S>
    /** Inputs of the parallel step, if it takes any. */
    readonly inputs?: Source<object | undefined> | undefined
    /** Laws not to check. */
    readonly skip?: ReadonlyArray<ReduceLaw> | undefined
    /** The step's name (and action name, which child ids contain); default: the function's name or "parallel". */
    readonly name?: string | undefined
    /** Largest generated delay, in virtual milliseconds (10 by default). */
    readonly maxDelay?: number | undefined
  }
  & LayerOption<R>

/**
 * Checks the reduce laws (see `ReduceLaw`) of a parallel step on generated parent states and
 * schedules; rejects with a `LawError` showing the shrunk state and schedule. 30 runs by default
 * (each runs the step four times).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { it } from "vitest"
 * import { mapStates } from "@teasel/core"
 * import { Testing } from "@teasel/testing"
 * const State = Schema.Struct({ xs: Schema.Array(Schema.Int), sum: Schema.Int })
 * const sumSquares = mapStates(
 *   (c: { x: number }) => ({ x: c.x * c.x }),
 *   (s: typeof State.Type) => s.xs.map((x) => ({ x })),
 *   (s, results) => ({ ...s, sum: results.reduce((n, r) => n + r.x, 0) })
 * )
 * it("sumSquares is schedule-independent", () => Testing.checkReduce(sumSquares, { state: State, seed: 1 }))
 * ```
 * @category laws
 * @since 0.1.0
 */
export const checkReduce = <S extends object, E = never, R = never>(
  parallel: (state: S, inputs?: any) => Action.Next<S, E, R>,
  options: CheckReduceOptions<NoInfer<S>, NoInfer<R>>
): Promise<void> => {
  const skip = new Set(options.skip ?? [])
  const layer = options.layer as Layer.Layer<any, any, never> | undefined
  const name = options.name ?? (parallel.name || "parallel")
  const graph = Graph.make({ actions: { [name]: parallel as Action.Any<S> }, transitions: [], entrypoint: name })
  const id = "law"
  const maxDelay = options.maxDelay ?? 10
  let seed = 0

  type Run = { readonly exit: Exit.Exit<S, unknown>; readonly log: ReadonlyArray<Started> }
  const run = async (
    state: S,
    inputs: object | undefined,
    how: { readonly plan?: Parameters<typeof executor>[0]; readonly store?: ReturnType<typeof makeStore>; readonly load?: boolean }
  ): Promise<Run> => {
    const log: Array<Started> = []
    let program: Effect.Effect<S, unknown, unknown> = Effect.gen(function*() {
      const app = how.load === true ? yield* Application.load({ graph, id, state }) : Application.make({ graph, state, id })
      return (yield* Application.run(app, { inputs })).state
    })
    if (how.plan !== undefined) program = withExecutor(program, executor(how.plan, log))
    if (how.store !== undefined) program = provideLayer(program, how.store.layer)
    const exit = await runVirtual(provideLayer(program, layer), { seed: seed++ })
    return { exit, log }
  }

  const schedule: fc.Arbitrary<ReduceSchedule> = fc.record({
    delays: fc.array(fc.nat({ max: maxDelay }), { maxLength: 12 }),
    concurrency: fc.integer({ min: 1, max: 3 }),
    failures: fc.uniqueArray(fc.nat({ max: 7 }), { maxLength: 3 }),
    failAfter: fc.boolean()
  })
  const inputs = options.inputs === undefined ? fc.constant(undefined) : toArbitrary(options.inputs)

  const property = fc.asyncProperty(toArbitrary(options.state), inputs, schedule, async (state, input, sch) => {
    const reference = await run(state, input, {})
    if (!skip.has("concurrency")) {
      const limited = await run(state, input, { plan: { limit: { root: id, semaphore: Semaphore.makeUnsafe(sch.concurrency) } } })
      compare(reference.exit, limited.exit, reduceLaws.concurrency, `With at most ${sch.concurrency} child(ren) at once`, false)
    }
    if (!skip.has("order")) {
      const delayed = await run(state, input, { plan: { delay: (n) => sch.delays[n] ?? 0 } })
      const order = completionOrder(delayed.log)
      compare(reference.exit, delayed.exit, reduceLaws.order, `With children completing in the order ${order}`, false)
    }
    if (!skip.has("resume")) {
      const store = makeStore()
      const first = await run(state, input, {
        plan: {
          delay: (n) => sch.delays[n] ?? 0,
          fail: (n) => (sch.failures.includes(n) ? (sch.failAfter ? "after" : "before") : undefined),
          failWith: "die"
        },
        store
      })
      if (Exit.isSuccess(first.exit)) {
        compare(reference.exit, first.exit, reduceLaws.resume, "With no child failing", true)
        return
      }
      const saved = [...new Set(store.saves.filter((s) => s.parentId === id).map((s) => s.appId))]
      const resumed = await run(state, input, { plan: { delay: (n) => sch.delays[n] ?? 0 }, store, load: true })
      const failed = first.log.filter((s) => s.failed !== undefined).map((s) => s.index)
      const what = `After child(ren) ${failed.join(", ")} failed ${sch.failAfter ? "right after completing" : "before running"} and the step was resumed`
      const seen = new Set(resumed.log.map((s) => s.id))
      const lost = saved.filter((child) => !seen.has(child))
      if (lost.length > 0) {
        throw new Violation(
          reduceLaws.resume,
          `${what}, it did not look up the children the first run had saved (${lost.map((c) => JSON.stringify(c)).join(", ")}); ` +
            `it started ${resumed.log.filter((s) => s.parentId === id).map((s) => JSON.stringify(s.id)).join(", ")} instead. ` +
            `Child ids must be the same on every run of the step, or finished children run again.`
        )
      }
      compare(reference.exit, resumed.exit, reduceLaws.resume, what, true)
    }
  })
  return check(property, { ...options, defaultRuns: 30 }, `Parallel step "${name}"`, ([state, input, sch], violation) => {
    const fields: Record<string, unknown> = { state }
    if (input !== undefined) fields.inputs = input
    const law = violation?.law
    if (law === reduceLaws.concurrency) fields.concurrency = sch.concurrency
    if (law === reduceLaws.order || law === reduceLaws.resume) fields.delays = sch.delays
    if (law === reduceLaws.resume) {
      fields.failures = sch.failures
      fields.failAfter = sch.failAfter
    }
    return fields
  })
}

/** Children in the order their (virtual) delays let them complete: by delay, then start order. */
const completionOrder = (log: ReadonlyArray<Started>): string =>
  `[${[...log].sort((a, b) => a.delay - b.delay || a.n - b.n).map((s) => s.index).join(", ")}]`

/** Throws a violation of `law` when `other` does not end like `reference`. */
const compare = <S>(
  reference: Exit.Exit<S, unknown>,
  other: Exit.Exit<S, unknown>,
  law: string,
  what: string,
  viaJson: boolean
): void => {
  if (Exit.isFailure(reference) || Exit.isFailure(other)) {
    if (Exit.isFailure(reference) && Exit.isFailure(other)) return
    const text = (exit: Exit.Exit<S, unknown>) =>
      Exit.isSuccess(exit) ? `succeeded with ${show(exit.value, 160)}` : `failed: ${describeError(Cause.squash(exit.cause))}`
    throw new Violation(law, `${what}, the step ${text(other)}; run plainly, it ${text(reference)}.`)
  }
  const a = viaJson ? normalize(reference.value) : reference.value
  const b = viaJson ? normalize(other.value) : other.value
  const d = difference(a, b)
  if (d !== undefined) {
    throw new Violation(law, `${what}, the next state differs at ${d}: ${show(at(b, d), 160)} instead of ${show(at(a, d), 160)}.`)
  }
}
