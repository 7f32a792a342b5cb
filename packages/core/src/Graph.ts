/**
 * Graphs: actions joined by transitions.
 *
 * A graph names its actions (the keys of `actions`), lists transitions between them — each
 * optionally guarded by a predicate on the state the source action produced — and names the
 * entrypoint. The first matching transition wins, in declaration order; when none matches, the
 * application has ended. Names are checked at compile time (a misspelt action name does not
 * type-check) and again at run time by `make`.
 *
 * @since 0.1.0
 */
import { Context, Data, Effect } from "effect"
import { pipeArguments, type Pipeable } from "effect/Pipeable"
import type * as Action from "./Action.js"
import type { ActionError } from "./Action.js"
import type { PersistenceError } from "./Persistence.js"
import { CurrentChildRuntime, CurrentStep } from "./internal/context.js"
import * as Drawing from "./internal/drawing.js"
import { choose, type Edge, type EdgeIndex, indexEdges } from "./internal/transition.js"

/**
 * @category symbols
 * @since 0.1.0
 */
export const TypeId: unique symbol = Symbol.for("@teasel/core/Graph")

/**
 * @category symbols
 * @since 0.1.0
 */
export type TypeId = typeof TypeId

/**
 * A validated graph over state `S` with action names `K`; `E` and `R` are the union of the error
 * and requirement types of its effectful actions.
 *
 * @category models
 * @since 0.1.0
 */
export interface Graph<in out S, K extends string = string, out E = never, out R = never> extends Pipeable {
  readonly [TypeId]: {
    readonly _S: (_: S) => S
    readonly _K: (_: never) => K
    readonly _E: (_: never) => E
    readonly _R: (_: never) => R
  }
  readonly actions: { readonly [P in K]: Action.Any<S> }
  /** Transitions, one per source, in declaration order. */
  readonly transitions: ReadonlyArray<Edge<S>>
  readonly entrypoint: K
  /** Outgoing transitions of each action, in declaration order. */
  readonly edges: EdgeIndex
}

/**
 * A transition: `[from, to]` or `[from, to, when]`; `from` may list several sources.
 *
 * @category models
 * @since 0.1.0
 */
export type Transition<K extends string, S> =
  | readonly [from: K | ReadonlyArray<K>, to: K]
  | readonly [from: K | ReadonlyArray<K>, to: K, when: (state: S) => boolean]

/**
 * The state type of a graph.
 *
 * @category type-level
 * @since 0.1.0
 */
export type StateOf<G> = G extends Graph<infer S, any, any, any> ? S : never

/**
 * The action names of a graph.
 *
 * @category type-level
 * @since 0.1.0
 */
export type ActionsOf<G> = G extends Graph<any, infer K, any, any> ? K : never

type ErrorsOf<A> = { [P in keyof A]: Action.ErrorOf<A[P]> }[keyof A]
type ContextsOf<A> = { [P in keyof A]: Action.ContextOf<A[P]> }[keyof A]

/**
 * The graph definition is invalid: no actions, an unknown action in a transition or the
 * entrypoint, or an action that is not a function. `message` names the culprit.
 *
 * @category errors
 * @since 0.1.0
 */
export class GraphError extends Data.TaggedError("GraphError")<{
  readonly message: string
  /** The offending action name, when there is one. */
  readonly action?: string
}> {}

const Proto = {
  pipe() {
    return pipeArguments(this, arguments)
  }
}

/**
 * Builds and validates a graph. The state type is inferred from the actions; the error and
 * requirement types are the unions of those of the effectful actions.
 *
 * @throws GraphError when there are no actions, a transition or the entrypoint names an unknown
 * action, or an action is not a function.
 *
 * @example
 * ```ts
 * import { Graph } from "@teasel/core"
 * const inc = (s: { count: number }) => ({ count: s.count + 1 })
 * const graph = Graph.make({
 *   actions: { a: inc, b: inc, done: (s) => s },
 *   transitions: [
 *     ["a", "b"],
 *     ["b", "done", (s) => s.count >= 10],
 *     ["b", "a"]
 *   ],
 *   entrypoint: "a"
 * })
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const make = <S extends object, const A extends Record<string, Action.Any<S>>>(config: {
  readonly actions: A & Record<string, Action.Any<S>>
  readonly transitions: ReadonlyArray<Transition<keyof A & string, NoInfer<S>>>
  readonly entrypoint: NoInfer<keyof A & string>
}): Graph<S, keyof A & string, ErrorsOf<A>, ContextsOf<A>> => {
  if (typeof config !== "object" || config === null) {
    throw new GraphError({ message: `Graph.make: expected { actions, transitions, entrypoint }, found ${describe(config)}` })
  }
  const actions = config.actions as Record<string, unknown>
  if (typeof actions !== "object" || actions === null || Array.isArray(actions)) {
    throw new GraphError({ message: `Graph.make: \`actions\` must be an object of named actions, found ${describe(actions)}` })
  }
  if (!Array.isArray(config.transitions)) {
    throw new GraphError({
      message: `Graph.make: \`transitions\` must be an array of [from, to] or [from, to, when], found ${describe(config.transitions)}`
    })
  }
  const names = Object.keys(actions)
  if (names.length === 0) throw new GraphError({ message: "Graph.make: the graph has no actions" })
  for (const name of names) {
    if (typeof actions[name] !== "function") {
      throw new GraphError({
        message: `Graph.make: action "${name}" is not a function (found ${describe(actions[name])})`,
        action: name
      })
    }
  }
  const known = (name: unknown, where: string): string => {
    if (typeof name === "string" && Object.prototype.hasOwnProperty.call(actions, name)) return name
    throw new GraphError({
      message: `Graph.make: ${where} names unknown action ${JSON.stringify(name)}; known actions: ${names.join(", ")}`,
      ...(typeof name === "string" ? { action: name } : {})
    })
  }
  const edges: Array<Edge<S>> = []
  // The first transition without a condition out of each source: any after it is dead.
  const unconditional = new Map<string, { readonly index: number; readonly to: string }>()
  config.transitions.forEach((transition: unknown, i) => {
    if (!Array.isArray(transition) || transition.length < 2 || transition.length > 3) {
      throw new GraphError({ message: `Graph.make: transition ${i} must be [from, to] or [from, to, when], found ${describe(transition)}` })
    }
    const [from, to, when] = transition as unknown as readonly [unknown, unknown, unknown?]
    const target = known(to, `transition ${i} (target)`)
    if (when !== undefined && typeof when !== "function") {
      throw new GraphError({
        message: `Graph.make: transition ${i} has a condition that is not a function (found ${describe(when)})`,
        action: target
      })
    }
    for (const source of Array.isArray(from) ? from : [from]) {
      const name = known(source, `transition ${i} (source)`)
      const always = unconditional.get(name)
      if (always !== undefined) {
        throw new GraphError({
          message: `Graph.make: transition ${i} ("${name}" -> "${target}") can never be taken: transition ${always.index} ("${name}" -> "${always.to}") has no condition and always matches first`,
          action: name
        })
      }
      if (when === undefined) unconditional.set(name, { index: i, to: target })
      edges.push({ from: name, to: target, when: when as Edge<S>["when"] })
    }
  })
  const graph = Object.create(Proto)
  graph[TypeId] = TypeId
  graph.actions = Object.freeze({ ...actions })
  graph.transitions = Object.freeze(edges)
  graph.entrypoint = known(config.entrypoint, "the entrypoint")
  graph.edges = indexEdges(names, edges)
  return Object.freeze(graph)
}

const describe = (u: unknown): string => (u === null ? "null" : Array.isArray(u) ? "an array" : typeof u)

/**
 * A copy of `graph` with every action name prefixed (`"draft"` becomes `"review/draft"` with prefix
 * `"review/"`), its transitions and entrypoint renamed to match: the way to include a graph in
 * another without name clashes (see `merge`).
 *
 * @example
 * ```ts
 * import { Graph } from "@teasel/core"
 * const inc = (s: { n: number }) => ({ n: s.n + 1 })
 * const loop = Graph.make({ actions: { a: inc, b: inc }, transitions: [["a", "b"]], entrypoint: "a" })
 * const inner = Graph.prefixed(loop, "inner/")
 * Object.keys(inner.actions) // ["inner/a", "inner/b"]
 * inner.entrypoint // "inner/a"
 * ```
 * @category combinators
 * @since 0.2.0
 */
export const prefixed = <S extends object, K extends string, E, R, const P extends string>(
  graph: Graph<S, K, E, R>,
  prefix: P
): Graph<S, `${P}${K}`, E, R> => {
  const actions: Record<string, Action.Any<S>> = {}
  for (const name of Object.keys(graph.actions)) actions[prefix + name] = (graph.actions as Record<string, Action.Any<S>>)[name]!
  return make({
    actions,
    transitions: graph.transitions.map((t) => transitionOf(t, prefix)),
    entrypoint: prefix + graph.entrypoint
  }) as unknown as Graph<S, `${P}${K}`, E, R>
}

/**
 * One graph of two: the actions and transitions of both (an action name in both is a
 * `GraphError`: prefix one of them with `prefixed`), then `transitions` that connect them, from
 * `entrypoint` (the first graph's by default). Validated like any graph.
 *
 * @example
 * ```ts
 * import { Graph } from "@teasel/core"
 * const inc = (s: { n: number }) => ({ n: s.n + 1 })
 * const draft = Graph.make({ actions: { write: inc, check: inc }, transitions: [["write", "check"]], entrypoint: "write" })
 * const ship = Graph.make({ actions: { pack: inc, send: inc }, transitions: [["pack", "send"]], entrypoint: "pack" })
 * const whole = Graph.merge(draft, ship, { transitions: [["check", "pack", (s) => s.n >= 2], ["check", "write"]] })
 * Object.keys(whole.actions) // ["write", "check", "pack", "send"]
 * ```
 * @category combinators
 * @since 0.2.0
 */
export const merge = <S extends object, K1 extends string, E1, R1, K2 extends string, E2, R2>(
  first: Graph<S, K1, E1, R1>,
  second: Graph<S, K2, E2, R2>,
  options: {
    readonly transitions?: ReadonlyArray<Transition<NoInfer<K1 | K2>, NoInfer<S>>>
    readonly entrypoint?: NoInfer<K1 | K2>
  } = {}
): Graph<S, K1 | K2, E1 | E2, R1 | R2> => {
  for (const name of Object.keys(second.actions)) {
    if (Object.prototype.hasOwnProperty.call(first.actions, name)) {
      throw new GraphError({
        message: `Graph.merge: both graphs have an action "${name}"; prefix one of them with Graph.prefixed`,
        action: name
      })
    }
  }
  return make({
    actions: { ...first.actions, ...second.actions } as Record<string, Action.Any<S>>,
    transitions: [
      ...first.transitions.map((t) => transitionOf(t, "")),
      ...second.transitions.map((t) => transitionOf(t, "")),
      ...(options.transitions ?? []) as ReadonlyArray<Transition<string, S>>
    ],
    entrypoint: options.entrypoint ?? first.entrypoint
  }) as unknown as Graph<S, K1 | K2, E1 | E2, R1 | R2>
}

/** An edge as the transition that made it, its names prefixed. */
const transitionOf = <S>(edge: Edge<S>, prefix: string): Transition<string, S> =>
  edge.when === undefined ? [prefix + edge.from, prefix + edge.to] : [prefix + edge.from, prefix + edge.to, edge.when]

/**
 * Whether `u` is a graph built by `Graph.make`.
 *
 * @category guards
 * @since 0.1.0
 */
export const isGraph = (u: unknown): u is Graph<unknown, string, unknown, unknown> =>
  typeof u === "object" && u !== null && TypeId in u

/**
 * The action that follows `from` when it produced `state`: the target of the first transition
 * out of `from` whose condition holds, or `undefined` when none does (the application ends).
 * Pure: it runs no action.
 *
 * @example
 * ```ts
 * import { Graph } from "@teasel/core"
 * const inc = (s: { count: number }) => ({ count: s.count + 1 })
 * const graph = Graph.make({ actions: { a: inc, b: inc }, transitions: [["a", "b", (s) => s.count > 1]], entrypoint: "a" })
 * Graph.next(graph, "a", { count: 2 }) // "b"
 * Graph.next(graph, "a", { count: 1 }) // undefined
 * ```
 * @category transitions
 * @since 0.1.0
 */
export const next = <S, K extends string>(graph: Graph<S, K, any, any>, from: K, state: S): K | undefined =>
  choose(graph.edges, from, state) as K | undefined

/**
 * A sub-graph: a graph packaged as an action. Used as a step of a parent graph or as a branch of
 * a parallel combinator, it runs as a child application from the state it is given until an
 * action in `haltAfter` has run (or, without `haltAfter`, until the graph ends), and returns that
 * application's final state.
 *
 * @category models
 * @since 0.1.0
 */
export interface SubGraph<S, K extends string = string, E = never, R = never> {
  (state: S, inputs?: object): Effect.Effect<S, E | ActionError | PersistenceError, R>
  readonly graph: Graph<S, K, E, R>
  readonly haltAfter: ReadonlyArray<K>
  readonly entrypoint: K
}

/**
 * Packages `graph` as an action that runs it as a child application (see `SubGraph`). The
 * child's id is derived from the parent's id, step and action name, so it is stable across
 * resumes; its events appear in the parent's stream with `parentId`.
 *
 * @example
 * ```ts
 * import { Graph } from "@teasel/core"
 * const write = (s: { drafts: number }) => ({ drafts: s.drafts + 1 })
 * const loop = Graph.make({
 *   actions: { write, check: (s: { drafts: number }) => s },
 *   transitions: [["write", "check"], ["check", "write", (s) => s.drafts < 3]],
 *   entrypoint: "write"
 * })
 * const parent = Graph.make({
 *   actions: { drafts: Graph.subgraph(loop, { haltAfter: ["check"] }) },
 *   transitions: [],
 *   entrypoint: "drafts"
 * })
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const subgraph = <S, K extends string, E, R>(
  graph: Graph<S, K, E, R>,
  options: { readonly haltAfter?: ReadonlyArray<NoInfer<K>>; readonly entrypoint?: NoInfer<K> } = {}
): SubGraph<S, K, E, R> => {
  const entrypoint = options.entrypoint ?? graph.entrypoint
  if (!Object.prototype.hasOwnProperty.call(graph.actions, entrypoint)) {
    throw new GraphError({ message: `Graph.subgraph: unknown entrypoint "${entrypoint}"`, action: entrypoint })
  }
  for (const name of options.haltAfter ?? []) {
    if (!Object.prototype.hasOwnProperty.call(graph.actions, name)) {
      throw new GraphError({ message: `Graph.subgraph: haltAfter names unknown action "${name}"`, action: name })
    }
  }
  const haltAfter = Object.freeze([...(options.haltAfter ?? [])])
  const spec = { graph, haltAfter, entrypoint }
  // The sub-graph is data (`graph`, `entrypoint`, `haltAfter`) that the runtime recognises; called
  // as an action, it asks the running application's runtime to run it as a child.
  const run = (state: S, inputs?: object) =>
    Effect.flatMap(Effect.context<never>(), (context) => {
      const step = Context.get(context, CurrentStep)
      const runtime = Context.get(context, CurrentChildRuntime)
      if (step === undefined || runtime === undefined) {
        return Effect.die(
          new GraphError({
            message:
              `Graph.subgraph: the sub-graph starting at "${entrypoint}" runs as a child application; use it as an action of a graph or a branch of a parallel step, and run the application (Application.run)`,
            action: entrypoint
          })
        )
      }
      return runtime.runSubgraph(spec, state, inputs, step)
    })
  return Object.assign(run, spec) as unknown as SubGraph<S, K, E, R>
}

/**
 * Whether an action is a sub-graph built by `Graph.subgraph`.
 *
 * @category guards
 * @since 0.1.0
 */
export const isSubGraph = (u: unknown): u is SubGraph<any, string, unknown, unknown> =>
  typeof u === "function" && isGraph((u as { graph?: unknown }).graph)

/**
 * The shape of a graph as plain data: its actions (and which are sub-graphs), its transitions
 * (with the name of each condition), its entrypoint and its Mermaid text. Trackers store it.
 *
 * @category models
 * @since 0.2.0
 */
export interface Shape {
  readonly actions: ReadonlyArray<{ readonly name: string; readonly subgraph: boolean }>
  readonly transitions: ReadonlyArray<{ readonly from: string; readonly to: string; readonly condition: string | undefined }>
  readonly entrypoint: string
  readonly mermaid: string
}

/**
 * The plain-data shape of a graph (computed once per graph).
 *
 * @example
 * ```ts
 * import { Graph } from "@teasel/core"
 * const inc = (s: { n: number }) => ({ n: s.n + 1 })
 * const shape = Graph.shapeOf(Graph.make({ actions: { inc }, transitions: [], entrypoint: "inc" }))
 * shape.entrypoint // "inc"
 * shape.actions // [{ name: "inc", subgraph: false }]
 * ```
 * @category destructors
 * @since 0.2.0
 */
export const shapeOf: (graph: Graph<any, string, any, any>) => Shape = Drawing.shapeOf

/**
 * Mermaid `flowchart` text of the graph: one node per action (sub-graphs drawn as subroutines),
 * one arrow per transition (dotted and labelled when guarded by a condition), and an arrow from
 * a start node to the entrypoint.
 *
 * @example
 * ```ts
 * import { Graph } from "@teasel/core"
 * const inc = (s: { count: number }) => ({ count: s.count + 1 })
 * const graph = Graph.make({ actions: { a: inc, b: inc }, transitions: [["a", "b"]], entrypoint: "a" })
 * Graph.toMermaid(graph)
 * // flowchart TD
 * //   start(("start")) --> n0
 * //   n0["a"]
 * //   n1["b"]
 * //   n0 --> n1
 * ```
 * @category destructors
 * @since 0.1.0
 */
export const toMermaid: (graph: Graph<any, string, any, any>) => string = Drawing.toMermaid
