/**
 * What an application's actions declare beyond being functions — writes, inputs, whether they read
 * their context — read once per graph (a `WeakMap`), so that the step loop asks nothing of actions
 * that declare nothing: a graph of plain functions has no contracts at all.
 */
import type { Context } from "../Action.js"
import type { Graph } from "../Graph.js"

/** One action's declarations. */
export interface Contract {
  readonly writes: ReadonlyArray<string> | undefined
  readonly optionalWrites: ReadonlyArray<string> | undefined
  /** Inputs it needs, and takes when given; `undefined`: it declares none (it gets the call's inputs when first). */
  readonly inputs: ReadonlyArray<string> | undefined
  readonly optionalInputs: ReadonlyArray<string> | undefined
  /** Whether it is called with its `Action.Context` as a third argument. */
  readonly contextual: boolean
}

type Declared = {
  readonly writes?: ReadonlyArray<string>
  readonly optionalWrites?: ReadonlyArray<string>
  readonly inputs?: ReadonlyArray<string>
  readonly optionalInputs?: ReadonlyArray<string>
  readonly contextual?: boolean
}

/** The declarations of `action`, or `undefined` when it declares nothing. */
export const contractOf = (action: Function): Contract | undefined => {
  const d = action as Declared
  if (d.writes === undefined && d.inputs === undefined && d.optionalInputs === undefined && d.contextual !== true) return undefined
  return {
    writes: d.writes,
    optionalWrites: d.optionalWrites,
    inputs: d.inputs,
    optionalInputs: d.optionalInputs,
    contextual: d.contextual === true
  }
}

const cache = new WeakMap<object, Readonly<Record<string, Contract>> | null>()

/** The contracts of a graph's actions by name, or `undefined` when none declares anything. */
export const contractsOf = (graph: Graph<any, string, any, any>): Readonly<Record<string, Contract>> | undefined => {
  let found = cache.get(graph)
  if (found === undefined) {
    const out: Record<string, Contract> = Object.create(null)
    let any = false
    for (const name of Object.keys(graph.actions)) {
      const contract = contractOf(graph.actions[name]!)
      if (contract !== undefined) {
        out[name] = contract
        any = true
      }
    }
    found = any ? out : null
    cache.set(graph, found)
  }
  return found ?? undefined
}

/**
 * The inputs of an action declaring `contract`, from the call's `inputs` (`first`: it is the call's
 * first action, which gets them all): only the keys it declares. With the names it needs but lacks.
 */
export const inputsFor = (
  contract: Contract,
  inputs: object | undefined,
  first: boolean
): { readonly inputs: object | undefined; readonly missing: ReadonlyArray<string> } => {
  if (contract.inputs === undefined && contract.optionalInputs === undefined) return { inputs: first ? inputs : undefined, missing: [] }
  const given = inputs as Record<string, unknown> | undefined
  const missing = contract.inputs === undefined ? [] : contract.inputs.filter((k) => given === undefined || !(k in given))
  if (first || given === undefined) return { inputs, missing }
  const picked: Record<string, unknown> = {}
  for (const list of [contract.inputs, contract.optionalInputs]) {
    if (list !== undefined) for (const key of list) if (key in given) picked[key] = given[key]
  }
  return { inputs: picked, missing }
}

/**
 * Calls an action that declares a contract: with the inputs it declares (and needs: `missing`
 * names those the call lacks, and the action is not called) and, if it asks, its context.
 */
export const call = (
  action: (state: unknown, inputs?: unknown, context?: Context) => unknown,
  contract: Contract,
  state: unknown,
  callInputs: object | undefined,
  first: boolean,
  context: () => Context
): { readonly out: unknown } | { readonly thrown: unknown } | { readonly missing: ReadonlyArray<string> } => {
  const given = inputsFor(contract, callInputs, first)
  if (given.missing.length > 0) return { missing: given.missing }
  try {
    return { out: contract.contextual ? action(state, given.inputs, context()) : action(state, given.inputs) }
  } catch (thrown) {
    return { thrown }
  }
}
