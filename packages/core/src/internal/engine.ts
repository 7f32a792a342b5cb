/**
 * The engine of a parallel step: runs a list of tasks as child applications and gathers their
 * final states in task order, with the step's failure policy, `stopWhen`, `retry`, `timeout`,
 * concurrency limit and executor.
 *
 * The fast path. Without a limit, an executor, persistence, `retry` or `timeout`, every child is
 * started at once, in task order, on the caller's fiber: a child whose actions are synchronous
 * finishes right there, without a fiber, and only the children that suspend are run concurrently
 * afterwards. With nobody watching (no stream, no tracker) a plain action branch is called
 * directly — no application object at all — and handed to the step loop (`Loop.runFrom`) only when
 * it returns something other than a plain state. This is what makes 100,000 synchronous children
 * cost milliseconds; everything else takes the general path, one effect per child.
 */
import { Effect, Exit, Stream } from "effect"
import type * as Action from "../Action.js"
import type { Application } from "../Application.js"
import type { Child, Executor, Failure, Options } from "../Parallel.js"
import * as ChildApp from "./child.js"
import type { StepContext } from "./context.js"
import * as Loop from "./loop.js"
import { describe } from "./output.js"
import type { Services } from "./services.js"

/**
 * The tasks of one parallel step, read by index: combinators describe them without building an
 * object per task, which matters at a hundred thousand children.
 */
export interface TaskList<C> {
  readonly length: number
  readonly branch: (i: number) => Action.Any<C>
  readonly state: (i: number) => C
  readonly inputs: (i: number) => object | undefined
  readonly id: (i: number) => string | undefined
}

export const isPair = (u: unknown): u is readonly [unknown, object | undefined] => Array.isArray(u) && u.length === 2

/**
 * The items of an iterable, as an array (an array as it is). Anything else is refused, naming
 * `what` returned it: `Array.from` would make an empty array of a plain object, and the step
 * would silently run no child.
 */
export const toArray = <A>(items: Iterable<A>, what: string): ReadonlyArray<A> => {
  if (Array.isArray(items)) return items
  if (items === null || items === undefined || typeof (items as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== "function") {
    throw new TypeError(`${what} returned ${describe(items)}, not an iterable (an array, a Set, a generator, ...)`)
  }
  return Array.from(items)
}

/** Every branch over every element (a state or a `[state, inputs]` pair), branch-major. */
export const overStates = <C>(
  branches: ReadonlyArray<Action.Any<C>>,
  elements: ReadonlyArray<C | readonly [C, object | undefined]>
): TaskList<C> => {
  const m = elements.length
  return {
    length: branches.length * m,
    branch: (i) => branches[Math.floor(i / m)]!,
    state: (i) => {
      const element = elements[i % m]
      return (isPair(element) ? element[0] : element) as C
    },
    inputs: (i) => {
      const element = elements[i % m]
      return isPair(element) ? element[1] : undefined
    },
    id: () => undefined
  }
}

/** What the engine needs to know besides the tasks. */
export interface Settings<C> {
  readonly options: Options<C>
  readonly concurrency: number | "unbounded"
  readonly executor: Executor | undefined
  readonly services: Services
  /** Builds the step's error: child `index` (id `childId`) failed with `cause`, described by `what`. */
  readonly error: (index: number, childId: string, cause: unknown, what: string) => unknown
}

export interface Gathered<C> {
  readonly results: ReadonlyArray<C>
  readonly failures: ReadonlyArray<Failure>
}

/** Stops the remaining children once `stopWhen` holds; caught before the results are gathered. */
class Stop {}

type Outcome = Application<any, any, any, any> | Effect.Effect<Application<any, any, any, any>, unknown, unknown>

/**
 * The state of one parallel step's children, over a task list that may grow while they run
 * (tasks that arrive): their results in task order, the failures, `stopWhen`'s view, and how
 * each child runs (`lazy`) and settles (`settle`).
 */
const start = <C>(place: StepContext, list: TaskList<C>, settings: Settings<C>) => {
  const { executor, options, services } = settings
  const prefix = ChildApp.childIdPrefix(place.appId, place.sequenceId, place.action)
  const idOf = (i: number): string => list.id(i) ?? prefix + i
  const collect = options.onError === "collect"
  const stopWhen = options.stopWhen
  const results = new Array<C>(list.length)
  let completed = new Uint8Array(list.length)
  const failures: Array<Failure> = []
  // Results so far in task order, for stopWhen: kept sorted by index as children complete.
  const soFar: Array<C> = []
  const soFarIndex: Array<number> = []

  /** Records a success; returns true when stopWhen says to stop. */
  const succeed = (i: number, state: C): boolean => {
    results[i] = state
    if (i >= completed.length) {
      const grown = new Uint8Array(Math.max(16, completed.length * 2, i + 1))
      grown.set(completed)
      completed = grown
    }
    completed[i] = 1
    if (stopWhen === undefined) return false
    let at = soFarIndex.length
    while (at > 0 && soFarIndex[at - 1]! > i) at--
    soFarIndex.splice(at, 0, i)
    soFar.splice(at, 0, state)
    return stopWhen(soFar)
  }

  // Most steps run one branch many times: remember the last branch's graph.
  let lastBranch: Action.Any<any> | undefined
  let lastShape: ChildApp.BranchGraph | undefined
  const shapeOf = (branch: Action.Any<any>) => {
    if (branch !== lastBranch) {
      lastBranch = branch
      lastShape = ChildApp.branchGraph(branch)
    }
    return lastShape!
  }
  const childApp = (i: number) => {
    const shape = shapeOf(list.branch(i))
    const app = ChildApp.make(shape, idOf(i), place, list.state(i))
    return {
      app,
      options: { haltAfter: shape.haltAfter, inputs: list.inputs(i), parentSequenceId: place.sequenceId, parentAction: place.action }
    }
  }
  const childOf = (i: number): Child => ({
    id: idOf(i),
    index: i,
    parentId: place.appId,
    parentSequenceId: place.sequenceId,
    action: place.action,
    partitionKey: place.partitionKey,
    branch: list.branch(i),
    state: list.state(i),
    inputs: list.inputs(i)
  })

  /** Child `i` as an effect, through the executor, with timeout and retry. */
  const lazy = (i: number): Effect.Effect<unknown, unknown, unknown> => {
    const local = Effect.suspend(() => {
      const { app, options } = childApp(i)
      return ChildApp.runChild(app, options, place.emit, services)
    })
    let effect = executor === undefined ? local : executor.run(childOf(i), local)
    if (options.timeout !== undefined) effect = Effect.timeout(effect, options.timeout)
    if (options.retry !== undefined) effect = Effect.retry(effect, options.retry)
    return effect
  }

  const settle = (i: number, effect: Effect.Effect<unknown, unknown, unknown>) =>
    Effect.matchEffect(effect, {
      onFailure: (error) => {
        if (!collect) return Effect.fail(settings.error(i, idOf(i), error, `child ${i} ("${idOf(i)}") failed: ${messageOf(error)}`))
        failures.push({ index: i, id: idOf(i), error })
        return Effect.void
      },
      onSuccess: (state) => (succeed(i, state as C) ? Effect.fail(new Stop()) : Effect.void)
    })

  const gather = (): Gathered<C> => {
    const n = list.length
    if (!collect && stopWhen === undefined) {
      results.length = n
      return { results, failures }
    }
    const ordered: Array<C> = []
    for (let i = 0; i < n; i++) if (completed[i] === 1) ordered.push(results[i]!)
    failures.sort((a, b) => a.index - b.index)
    return { results: ordered, failures }
  }

  return { idOf, collect, succeed, shapeOf, childApp, lazy, settle, gather }
}

/** Runs the tasks of `list` as children of the step `place`. */
export const run = <C>(place: StepContext, list: TaskList<C>, settings: Settings<C>): Effect.Effect<Gathered<C>, unknown, unknown> => {
  const { concurrency, executor, options, services } = settings
  const n = list.length
  const { childApp, collect, gather, idOf, lazy, settle, shapeOf, succeed } = start(place, list, settings)
  const invalid = validate(list, idOf)
  if (invalid !== undefined) return Effect.fail(settings.error(invalid.index, invalid.id, undefined, invalid.what))

  const eager = concurrency === "unbounded" && executor === undefined && services.store === undefined &&
    options.timeout === undefined && options.retry === undefined
  const pending: Array<readonly [number, Effect.Effect<unknown, unknown, unknown>]> = []
  if (eager) {
    // With nobody watching, a plain action's child needs no application object unless its action
    // returns something other than a valid state.
    const unobserved = place.emit === undefined && services.tracker === undefined
    for (let i = 0; i < n; i++) {
      let out: Outcome
      const branch = list.branch(i)
      if (unobserved && shapeOf(branch).direct) {
        let result: unknown
        let thrown: { thrown: unknown } | undefined
        try {
          result = branch(list.state(i), list.inputs(i))
        } catch (cause) {
          thrown = { thrown: cause }
        }
        if (thrown === undefined && Loop.isPlainState(result)) {
          if (succeed(i, result as C)) return Effect.succeed(gather())
          continue
        }
        const { app, options } = childApp(i)
        out = Loop.runFrom(app, options, services, thrown ?? { out: result })
      } else {
        const { app, options } = childApp(i)
        out = Loop.runSync(app, options, place.emit, services)
      }
      if (!Effect.isEffect(out)) {
        if (succeed(i, out.state as C)) return Effect.succeed(gather())
      } else if (!collect && isFailedExit(out)) {
        // A synchronous failure: fail the step now rather than start the remaining children.
        return Effect.as(settle(i, out), gather())
      } else {
        pending.push([i, Effect.map(out, ChildApp.stateOf)])
      }
    }
  } else {
    for (let i = 0; i < n; i++) pending.push([i, lazy(i)])
  }

  if (pending.length === 0) return Effect.succeed(gather())
  return Effect.forEach(pending, ([i, effect]) => settle(i, effect), {
    concurrency: eager ? "unbounded" : concurrency,
    discard: true
  }).pipe(
    Effect.catchIf((e): e is Stop => e instanceof Stop, () => Effect.void),
    ChildApp.withRuntime,
    Effect.map(gather)
  )
}

/** A task as it arrives from a stream. */
export interface TaskItem<C> {
  readonly branch: Action.Any<C>
  readonly state: C
  readonly inputs: object | undefined
  readonly id: string | undefined
}

/**
 * Runs tasks as they arrive (from a `Stream`: an `AsyncIterable` or a `Stream` of tasks), each
 * child starting as soon as its task arrives and the concurrency limit allows; results are still
 * gathered in task order, and `stopWhen` or a failure stops the children and the tasks' source.
 */
export const runArriving = <C>(
  place: StepContext,
  source: Stream.Stream<TaskItem<C>, unknown, unknown>,
  settings: Settings<C>
): Effect.Effect<Gathered<C>, unknown, unknown> => {
  const items: Array<TaskItem<C>> = []
  const list: TaskList<C> = {
    get length() {
      return items.length
    },
    branch: (i) => items[i]!.branch,
    state: (i) => items[i]!.state,
    inputs: (i) => items[i]!.inputs,
    id: (i) => items[i]!.id
  }
  const { gather, idOf, lazy, settle } = start(place, list, settings)
  const seen = new Set<string>()
  const arrive = (item: TaskItem<C>): Effect.Effect<number, unknown> => {
    const i = items.length
    items.push(item)
    const id = idOf(i)
    if (item.id !== undefined) {
      if (seen.has(id)) return Effect.fail(settings.error(i, id, undefined, `task ${i} repeats the child id "${id}"; ids must be unique within a step`))
      seen.add(id)
    }
    if (typeof item.branch !== "function") {
      return Effect.fail(settings.error(i, id, undefined, `task ${i} has a branch that is not an action (found ${typeof item.branch})`))
    }
    return Effect.succeed(i)
  }
  return source.pipe(
    Stream.mapEffect(arrive),
    Stream.mapEffect((i) => settle(i, lazy(i)), { concurrency: settings.concurrency, unordered: true }),
    Stream.runDrain,
    Effect.catchIf((e): e is Stop => e instanceof Stop, () => Effect.void),
    ChildApp.withRuntime,
    Effect.map(gather)
  )
}

/** The first invalid task: a repeated id (only ids given by tasks can collide), or a branch that is not a function. */
const validate = <C>(
  list: TaskList<C>,
  idOf: (i: number) => string
): { readonly index: number; readonly id: string; readonly what: string } | undefined => {
  const n = list.length
  let seen: Set<string> | undefined
  for (let i = 0; i < n && seen === undefined; i++) if (list.id(i) !== undefined) seen = new Set()
  for (let i = 0; i < n; i++) {
    if (seen !== undefined) {
      const id = idOf(i)
      if (seen.has(id)) return { index: i, id, what: `task ${i} repeats the child id "${id}"; ids must be unique within a step` }
      seen.add(id)
    }
    const branch = list.branch(i)
    if (typeof branch !== "function") {
      return { index: i, id: idOf(i), what: `task ${i} has a branch that is not an action (found ${typeof branch})` }
    }
  }
  return undefined
}

const isFailedExit = (u: unknown): u is Exit.Exit<never, unknown> => Exit.isExit(u) && Exit.isFailure(u)

/** A child's error, described for a message: never throws (a BigInt, a cycle, a hostile `toJSON`). */
const messageOf = (error: unknown): string => {
  if (error instanceof Error) return error.message
  if (typeof error === "string") return error
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return describe(error)
  }
}
