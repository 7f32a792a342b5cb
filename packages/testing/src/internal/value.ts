/**
 * Plain-data values as the laws see them: structural equality, the first place two values differ,
 * and a short printed form for counterexamples.
 */

/** Structural equality of plain data (objects, arrays, primitives, Dates, Maps, Sets). */
export const equals = (a: unknown, b: unknown): boolean => difference(a, b) === undefined

/**
 * Where `a` and `b` first differ, as a path (`$.poems[1].text`), or `undefined` when they are
 * structurally equal. A key holding `undefined` counts as absent, as it does in JSON.
 */
export const difference = (a: unknown, b: unknown, path = "$"): string | undefined => {
  if (Object.is(a, b)) return undefined
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return path
  if (Array.isArray(a) !== Array.isArray(b)) return path
  if (Array.isArray(a)) {
    const bs = b as ReadonlyArray<unknown>
    if (a.length !== bs.length) return `${path}.length`
    for (let i = 0; i < a.length; i++) {
      const d = difference(a[i], bs[i], `${path}[${i}]`)
      if (d !== undefined) return d
    }
    return undefined
  }
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime() ? undefined : path
  }
  if (a instanceof Map || b instanceof Map || a instanceof Set || b instanceof Set) {
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return path
    return difference([...(a as Iterable<unknown>)], [...(b as Iterable<unknown>)], path)
  }
  const ra = a as Record<string, unknown>
  const rb = b as Record<string, unknown>
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)])
  for (const key of keys) {
    const d = difference(ra[key], rb[key], `${path}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`)
    if (d !== undefined) return d
  }
  return undefined
}

/** The value at a path produced by `difference`, for messages. */
export const at = (value: unknown, path: string): unknown => {
  let current = value
  const steps = path.slice(1).match(/\.[A-Za-z_$][\w$]*|\[[^\]]*\]/g) ?? []
  for (const step of steps) {
    if (current === null || typeof current !== "object") return undefined
    const key = step.startsWith(".") ? step.slice(1) : JSON.parse(step.slice(1, -1))
    current = key === "length" && Array.isArray(current) ? current.length : (current as Record<string, unknown>)[key]
  }
  return current
}

/** What JSON keeps of a value: states that went through persistence are compared in this form. */
export const normalize = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)))

/** A one-line printed form of a value, cut at `max` characters. */
export const show = (value: unknown, max = 400): string => {
  let text: string
  try {
    text = JSON.stringify(value, (_key, v) =>
      typeof v === "bigint" ? `${v}n` : v instanceof Map ? { Map: [...v] } : v instanceof Set ? { Set: [...v] } : v) ??
      String(value)
  } catch {
    text = String(value)
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text
}

/** A short description of a thrown value or an error. */
export const describeError = (error: unknown): string => {
  if (error instanceof Error) return `${error.name}: ${error.message}`
  if (typeof error === "object" && error !== null && "_tag" in error) {
    const message = (error as { message?: unknown }).message
    return typeof message === "string" ? `${String((error as { _tag: unknown })._tag)}: ${message}` : show(error)
  }
  return show(error)
}
