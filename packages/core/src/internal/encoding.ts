/**
 * What a state must be to be stored, and how it is stored: the JSON rules every backend shares.
 * Pure functions; no Effect.
 *
 * A state is a plain object (not a `Map`, a `Date`, a class instance, an array); it is stored one
 * top-level key at a time, each value as JSON. A value is refused — naming its key and why — when
 * JSON would not give it back as it was: a function, a symbol, a `BigInt`, a number that is not
 * finite, a cycle, a class instance (a `Date`, a `Map`), an `undefined` or a function inside an
 * array, or nesting deeper than `MAX_DEPTH` (which a JSON encoder or decoder would overflow its
 * stack on). An `undefined` at the top level or in an object is dropped, as JSON drops it. Keys,
 * application ids and partition keys must be well-formed text without NUL: a lone surrogate (a
 * string cut in the middle of an emoji) or a NUL character does not survive every database, and two
 * ids that differ only there would become one.
 *
 * Decoding builds own properties only: a stored `__proto__` key comes back as a key of the state,
 * never as its prototype.
 */

/** How deeply values may nest inside a state key. */
export const MAX_DEPTH = 1_000

/** In Unicode mode a surrogate pair is one code point: only a lone surrogate matches. */
const loneSurrogate = /\p{Cs}/u

/** Why `text` cannot be an id or a key, or `undefined` when it can. */
export const illFormed = (text: unknown): string | undefined => {
  if (typeof text !== "string") return `it is ${text === null ? "null" : typeof text}, not a string`
  if (text.includes("\u0000")) return "it holds a NUL character"
  if (loneSurrogate.test(text)) return "it holds a lone surrogate (a string cut inside a character)"
  return undefined
}

/** Why `state` cannot be stored as a whole, or `undefined` when it is a plain object. */
export const notAState = (state: unknown): string | undefined => {
  if (typeof state !== "object" || state === null) return `the state is ${state === null ? "null" : typeof state}, not an object`
  if (Array.isArray(state)) return "the state is an array, not a plain object"
  const proto = Object.getPrototypeOf(state)
  if (proto !== Object.prototype && proto !== null) {
    return `the state is a ${(state as object).constructor?.name ?? "class"} instance, not a plain object`
  }
  return undefined
}

/** What is wrong with one top-level key and its value: `undefined` when it can be stored. */
export const unstorable = (key: string, value: unknown): string | undefined => {
  const badKey = illFormed(key)
  if (badKey !== undefined) return `the key is not storable: ${badKey}`
  return unserializable(value)
}

/**
 * Why `value` would not survive JSON, or `undefined` when it would. Iterative (an explicit stack),
 * so that a deep value is refused with a reason rather than a stack overflow.
 */
export const unserializable = (value: unknown): string | undefined => {
  // Each entry: a value to check, its depth, and whether it is leaving (its children are done).
  const stack: Array<{ readonly value: unknown; readonly depth: number; readonly leaving: boolean }> = [{ value, depth: 0, leaving: false }]
  const path = new Set<unknown>()
  while (stack.length > 0) {
    const { depth, leaving, value: v } = stack.pop()!
    if (leaving) {
      path.delete(v)
      continue
    }
    const problem = scalarProblem(v)
    if (problem !== undefined) return problem
    if (typeof v !== "object" || v === null) continue
    if (path.has(v)) return "it holds a cycle"
    if (depth >= MAX_DEPTH) return `it nests deeper than ${MAX_DEPTH} levels`
    const array = Array.isArray(v)
    const proto = Object.getPrototypeOf(v)
    if (!array && proto !== Object.prototype && proto !== null) {
      return `it holds a ${(v as object).constructor?.name ?? "class"} instance, which JSON does not restore`
    }
    path.add(v)
    stack.push({ value: v, depth, leaving: true })
    for (const item of array ? v : Object.values(v as object)) {
      if (array && (item === undefined || typeof item === "function")) return "an array holds undefined or a function"
      stack.push({ value: item, depth: depth + 1, leaving: false })
    }
    if (!array) {
      for (const key of Object.keys(v as object)) {
        const bad = illFormed(key)
        if (bad !== undefined) return `it holds a key that is not storable: ${bad}`
      }
    }
  }
  return undefined
}

const scalarProblem = (value: unknown): string | undefined => {
  switch (typeof value) {
    case "number":
      return Number.isFinite(value) ? undefined : `${value} is not a finite number`
    case "bigint":
      return "it holds a BigInt"
    case "function":
      return "it holds a function"
    case "symbol":
      return "it holds a symbol"
  }
  return undefined
}

/** The state as stored: each top-level key's value as JSON (keys holding `undefined` dropped). */
export const encode = (state: object): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(state)) {
    if (value !== undefined) define(out, key, JSON.stringify(value))
  }
  return out
}

/** The state `encode` stored, built of own properties only. */
export const decode = (encoded: Readonly<Record<string, string>>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(encoded)) define(out, key, JSON.parse(encoded[key]!))
  return out
}

/** Sets an own, enumerable property, even one named `__proto__`. */
export const define = (target: Record<string, unknown>, key: string, value: unknown): void => {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  else target[key] = value
}
