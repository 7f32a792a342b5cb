/**
 * Helpers for application state.
 *
 * State in Teasel is a plain, readonly object: nothing wraps it. Every helper here returns a new
 * object, shares the untouched structure of the old one, and never mutates its input. Each helper
 * has a data-first form (`State.increment(s, "count")`) and a data-last form for `pipe`
 * (`pipe(s, State.increment("count"))`).
 *
 * @since 0.1.0
 */
import { dual } from "effect/Function"
import { produce, type Draft } from "immer"

/**
 * Any application state: a plain object with string keys.
 *
 * @category models
 * @since 0.1.0
 */
export type State = object

/**
 * The keys of `S` whose values are of type `V`.
 *
 * @category models
 * @since 0.1.0
 */
export type KeysOfType<S, V> = { [K in keyof S]-?: S[K] extends V ? K : never }[keyof S] & string

type ElementOf<T> = T extends ReadonlyArray<infer A> ? A : never

/**
 * Shallow-merges `patch` into `s`.
 *
 * @example
 * ```ts
 * import { State } from "@teasel/core"
 * State.update({ a: 1, b: 2 }, { b: 3 }) // { a: 1, b: 3 }
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const update: {
  <S extends State>(patch: Partial<NoInfer<S>>): (s: S) => S
  <S extends State>(s: S, patch: Partial<NoInfer<S>>): S
} = dual(2, <S extends State>(s: S, patch: Partial<S>): S => ({ ...s, ...patch }))

/**
 * Runs an immer recipe on a draft of `s` and returns the new state; untouched parts are shared
 * with `s`.
 *
 * @example
 * ```ts
 * import { State } from "@teasel/core"
 * State.modify({ items: [1] }, (draft) => { draft.items.push(2) }) // { items: [1, 2] }
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const modify: {
  <S extends State>(recipe: (draft: Draft<NoInfer<S>>) => void): (s: S) => S
  <S extends State>(s: S, recipe: (draft: Draft<NoInfer<S>>) => void): S
} = dual(2, <S extends State>(s: S, recipe: (draft: Draft<S>) => void): S => produce(s, recipe) as S)

/**
 * Returns a state whose array at `key` has `values` appended (a new array; the old one is kept).
 *
 * @example
 * ```ts
 * import { State } from "@teasel/core"
 * State.append({ log: ["a"] }, "log", "b", "c") // { log: ["a", "b", "c"] }
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const append: {
  <S extends State, K extends KeysOfType<S, ReadonlyArray<unknown>>>(
    key: K,
    ...values: ReadonlyArray<ElementOf<S[K]>>
  ): (s: S) => S
  <S extends State, K extends KeysOfType<S, ReadonlyArray<unknown>>>(
    s: S,
    key: K,
    ...values: ReadonlyArray<ElementOf<S[K]>>
  ): S
} = function(...args: ReadonlyArray<any>): any {
  if (typeof args[0] === "string") {
    const [key, ...values] = args
    return (s: State) => appendTo(s, key, values)
  }
  const [s, key, ...values] = args
  return appendTo(s, key, values)
}

const appendTo = (s: State, key: string, values: ReadonlyArray<unknown>): any => {
  const current = (s as Record<string, unknown>)[key]
  if (current !== undefined && !Array.isArray(current)) {
    throw new TypeError(`State.append: the value at "${key}" is not an array (found ${typeof current})`)
  }
  return { ...s, [key]: current === undefined ? [...values] : [...current, ...values] }
}

/**
 * Returns a state whose numeric field `key` is increased by `by` (default 1).
 *
 * @example
 * ```ts
 * import { State } from "@teasel/core"
 * State.increment({ count: 1 }, "count") // { count: 2 }
 * State.increment({ count: 1 }, "count", 10) // { count: 11 }
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const increment: {
  <S extends State>(key: KeysOfType<NoInfer<S>, number>, by?: number): (s: S) => S
  <S extends State>(s: S, key: KeysOfType<NoInfer<S>, number>, by?: number): S
} = function(...args: ReadonlyArray<any>): any {
  if (typeof args[0] === "string") {
    const [key, by] = args
    return (s: State) => incrementBy(s, key, by ?? 1)
  }
  return incrementBy(args[0], args[1], args[2] ?? 1)
}

const incrementBy = (s: State, key: string, by: number): any => {
  const current = (s as Record<string, unknown>)[key]
  if (typeof current !== "number") {
    throw new TypeError(`State.increment: the value at "${key}" is not a number (found ${typeof current})`)
  }
  return { ...s, [key]: current + by }
}

/**
 * Returns a state holding only `keys` of `s`.
 *
 * @example
 * ```ts
 * import { State } from "@teasel/core"
 * State.subset({ a: 1, b: 2, c: 3 }, ["a", "c"]) // { a: 1, c: 3 }
 * ```
 * @category combinators
 * @since 0.1.0
 */
export const subset: {
  <S extends State, K extends keyof S & string>(keys: ReadonlyArray<K>): (s: S) => Pick<S, K>
  <S extends State, K extends keyof S & string>(s: S, keys: ReadonlyArray<K>): Pick<S, K>
} = dual(2, <S extends State, K extends keyof S & string>(s: S, keys: ReadonlyArray<K>): Pick<S, K> => {
  const out: Partial<Pick<S, K>> = {}
  for (const key of keys) {
    if (Object.prototype.hasOwnProperty.call(s, key)) out[key] = s[key]
  }
  return out as Pick<S, K>
})
