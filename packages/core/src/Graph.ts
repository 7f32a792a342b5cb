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
import { Context, Effect } from "effect"
import type { Pipeable } from "effect/Pipeable"
import type * as Action from "./Action.js"
import type { ActionError } from "./Action.js"
import type { PersistenceError } from "./Persistence.js"
import { CurrentChildRuntime, CurrentStep } from "./internal/context.js"
import * as Build from "./internal/build.js"
import * as Drawing from "./internal/drawing.js"
import { choose, type Edge, type EdgeIndex } from "./internal/transition.js"
import { GraphError } from "./GraphError.js"

/**
 * @category symbols
 * @since 0.1.0
 */
export const TypeId: typeof Build.TypeId = Build.TypeId

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



export { GraphError } from "./GraphError.js"


export { make, merge, prefixed } from "./internal/build.js"

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
