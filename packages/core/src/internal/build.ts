/**
 * Making graphs: `Graph.make` validates a definition into a graph value; `Graph.prefixed` and
 * `Graph.merge` build graphs from graphs through it, so every graph is validated the same way.
 * Re-exported by `Graph`.
 */
import { pipeArguments } from "effect/Pipeable"
import type * as Action from "../Action.js"
import type { Graph, Transition } from "../Graph.js"
import { GraphError } from "../GraphError.js"
import { type Edge, indexEdges } from "./transition.js"

export const TypeId: unique symbol = Symbol.for("@teasel/core/Graph")

type ErrorsOf<A> = { [P in keyof A]: Action.ErrorOf<A[P]> }[keyof A]
type ContextsOf<A> = { [P in keyof A]: Action.ContextOf<A[P]> }[keyof A]

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

