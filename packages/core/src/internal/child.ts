/**
 * Child applications: the one home for how a parent's step makes and runs a child.
 *
 * A child is an application with its own id, derived from its parent (see `childId`), started
 * from a state at the entrypoint of its graph: a sub-graph's own graph, or for a plain action
 * branch a graph of that single action (built once per function). `runChild` runs it — or, with
 * persistence, reuses its saved final state, or continues it from its last saved step.
 */
import { Context, Effect } from "effect"
import type * as Action from "../Action.js"
import type { Application } from "../Application.js"
import * as Graph from "../Graph.js"
import type { Step } from "../Persistence.js"
import { IdTaken, PersistenceError } from "../PersistenceError.js"
import * as App from "./application.js"
import { contractOf } from "./contract.js"
import { type ChildRuntime, CurrentChildRuntime, CurrentStep, type Emit, type StepContext, type SubGraphSpec } from "./context.js"
import * as Loop from "./loop.js"
import { type Services, servicesOf, withServices } from "./services.js"
import * as Storable from "./storable.js"

type AnyApp = Application<any, any, any, any>

/**
 * The id of a child application: derived from its parent's id, the parent's step and action, and
 * (for parallel branches) the branch index, so a resumed parent finds its children again and a
 * repeated invocation of the same action gets new ones.
 */
export const childId = (parentId: string, sequenceId: number, action: string, index?: number): string =>
  index === undefined ? `${parentId}:${sequenceId}:${action}` : childIdPrefix(parentId, sequenceId, action) + index

/** What every parallel child id of one step starts with; the task index follows. */
export const childIdPrefix = (parentId: string, sequenceId: number, action: string): string =>
  `${parentId}:${sequenceId}:${action}:`

/** How a branch runs as a child: its graph, where it starts and stops. */
export interface BranchGraph {
  readonly graph: Graph.Graph<any, string, any, any>
  readonly entrypoint: string
  readonly haltAfter: ReadonlyArray<string> | undefined
  /**
   * A plain action without declared writes: a parallel step may call it directly and needs the
   * step loop only when it returns something other than a plain state.
   */
  readonly direct: boolean
}

/** One child application per action branch needs a graph; built once per branch function. */
const singleActionGraphs = new WeakMap<Function, BranchGraph>()

/** The graph a branch runs as: a sub-graph's own, or one of the single action. */
export const branchGraph = (branch: Action.Any<any>): BranchGraph => {
  if (Graph.isSubGraph(branch)) {
    return { graph: branch.graph, entrypoint: branch.entrypoint, haltAfter: branch.haltAfter, direct: false }
  }
  let found = singleActionGraphs.get(branch)
  if (found === undefined) {
    const name = branch.name || "branch"
    const graph = Graph.make({ actions: { [name]: branch }, transitions: [], entrypoint: name })
    found = { graph, entrypoint: name, haltAfter: undefined, direct: contractOf(branch) === undefined }
    singleActionGraphs.set(branch, found)
  }
  return found
}

/** A fresh child application of `parent`'s step, with id `id`, running `shape` from `state`. */
export const make = (
  shape: { readonly graph: Graph.Graph<any, string, any, any>; readonly entrypoint: string },
  id: string,
  parent: { readonly appId: string; readonly partitionKey: string },
  state: unknown
): AnyApp => App.start({ graph: shape.graph, id, partitionKey: parent.partitionKey, parentId: parent.appId }, state, shape.entrypoint)

/**
 * Runs a child application and succeeds with its final state. With persistence, a child that
 * already finished is not run again (its saved final state is used) and an unfinished one
 * continues from its last saved step — but only when the saved application is this child: made
 * by the same parent, at the same step, by the same action. An application of that id saved by
 * anyone else fails the child with `IdTaken`: reusing it would compute a wrong result, running
 * over it would mix two histories.
 */
export const runChild = (
  fresh: AnyApp,
  options: Loop.LoopOptions,
  emit: Emit | undefined,
  services: Services
): Effect.Effect<unknown, unknown, unknown> => {
  if (services.store === undefined) {
    return Effect.suspend(() => {
      const out = Loop.runSync(fresh, options, emit, services)
      return Effect.isEffect(out) ? Effect.map(out, stateOf) : Effect.succeed(out.state)
    })
  }
  return Effect.map(runChildApp(fresh, options, emit, services), stateOf)
}

/** `runChild`, succeeding with the child application where it stopped (not only its state). */
export const runChildApp = (
  fresh: AnyApp,
  options: Loop.LoopOptions,
  emit: Emit | undefined,
  services: Services
): Effect.Effect<AnyApp, unknown, unknown> => {
  const store = services.store
  if (store === undefined) return Loop.runWith(fresh, options, emit, services)
  return Effect.flatMap(Storable.load(store, { appId: fresh.id, partitionKey: fresh.partitionKey }), (saved) => {
    if (saved === undefined) return Loop.runWith(fresh, options, emit, services)
    if (!ownedBy(saved, fresh.parentId, options)) return Effect.fail(idTaken(fresh, saved, options))
    const at = App.make(fresh, { state: saved.state, next: saved.next, last: saved.action, sequenceId: saved.sequenceId })
    const finished = saved.next === undefined ||
      (saved.action !== undefined && options.haltAfter !== undefined && options.haltAfter.includes(saved.action))
    if (finished) return Effect.succeed(at)
    // Its first action already had the inputs.
    return Loop.runWith(at, { ...options, inputs: undefined }, emit, services)
  })
}

export const stateOf = (app: AnyApp) => app.state

/**
 * Whether the saved application is the child of `parentId`'s step and action. A step saved before
 * owners were stored has no step or action: its parent id alone decides.
 */
const ownedBy = (saved: Step, parentId: string | undefined, options: Loop.LoopOptions): boolean =>
  saved.parentId === parentId &&
  (saved.parentSequenceId === undefined || saved.parentSequenceId === options.parentSequenceId) &&
  (saved.parentAction === undefined || saved.parentAction === options.parentAction)

const idTaken = (fresh: AnyApp, saved: Step, options: Loop.LoopOptions) => {
  const owner = { parentId: saved.parentId, parentSequenceId: saved.parentSequenceId, parentAction: saved.parentAction }
  const ownerText = owner.parentId === undefined
    ? "a top-level application"
    : `the child of "${owner.parentId}"${owner.parentSequenceId === undefined ? "" : ` (step ${owner.parentSequenceId}, action "${owner.parentAction}")`}`
  return new PersistenceError({
    reason: new IdTaken({ owner }),
    appId: fresh.id,
    partitionKey: fresh.partitionKey,
    sequenceId: saved.sequenceId,
    message: `Child "${fresh.id}" of "${fresh.parentId}" (step ${options.parentSequenceId}, action "${options.parentAction}") cannot run: ` +
      `an application with that id is already saved as ${ownerText}. Give each child an id of its own (include the step: \`\${context.appId}:\${context.sequenceId}/...\`)`
  })
}

/** Runs a sub-graph as the child application of the step that calls it; succeeds with its final state. */
const runSubgraph = (
  sub: SubGraphSpec,
  state: unknown,
  inputs: object | undefined,
  step: StepContext
): Effect.Effect<unknown, unknown, unknown> =>
  withServices((services) =>
    runChild(
      make(sub as BranchGraph, childId(step.appId, step.sequenceId, step.action), step, state),
      { haltAfter: sub.haltAfter, inputs, parentSequenceId: step.sequenceId, parentAction: step.action },
      step.emit,
      services
    )
  )

/** How many children an action started itself in each step (the default keys of `Parallel.child`). */
const started = new WeakMap<StepContext, number>()

/**
 * A child that the running action starts itself (`Parallel.child`): an application of `branch`
 * from `state`, a child of the action's step like a combinator's children — its id
 * `${parent}:${step}:${action}:${key}` (the key given, or `child-N` for the N-th child the action
 * started in this step), its parent link, the parent's layers, persisted and resumed, tracked —
 * succeeding with the child application where it stopped. Its events go to `emit`.
 */
export const spawn = (
  branch: Action.Any<any>,
  state: unknown,
  options: { readonly key?: string | number | undefined; readonly inputs?: object | undefined },
  emit: (step: StepContext) => Emit | undefined
): Effect.Effect<AnyApp, unknown, unknown> =>
  Effect.flatMap(Effect.context<never>(), (context) => {
    const step = Context.get(context, CurrentStep)
    if (step === undefined) {
      return Effect.die(new Error("Parallel.child: a child is started by a running action (inside the Effect an action returns)"))
    }
    let key = options.key
    if (key === undefined) {
      const n = started.get(step) ?? 0
      started.set(step, n + 1)
      key = `child-${n}`
    }
    const shape = branchGraph(branch)
    const app = make(shape, childIdPrefix(step.appId, step.sequenceId, step.action) + key, step, state)
    const loopOptions = { haltAfter: shape.haltAfter, inputs: options.inputs, parentSequenceId: step.sequenceId, parentAction: step.action }
    return withRuntime(runChildApp(app, loopOptions, emit(step), servicesOf(context)))
  })

/** The runtime that sub-graphs (plain data in the model) ask to run them. */
export const runtime: ChildRuntime = { runSubgraph }

/** `effect` with the child runtime provided, so that the sub-graphs it runs find it. */
export const withRuntime = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.provideService(effect, CurrentChildRuntime, runtime)
