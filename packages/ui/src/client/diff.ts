/**
 * What changed from one state to the next, as paths (`drafts[1]`, `poems[0].text`): a key or
 * element added, removed, or replaced by a different value. Pure, so the tests run it in Node.
 */

export interface Change {
  readonly path: string
  readonly kind: "added" | "removed" | "changed"
  readonly before?: unknown
  readonly after?: unknown
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const keyPath = (path: string, key: string) =>
  /^[A-Za-z_$][\w$]*$/.test(key) ? (path === "" ? key : `${path}.${key}`) : `${path}[${JSON.stringify(key)}]`

/** The changes from `before` to `after`, at most `limit` of them, in document order. */
export const diff = (before: unknown, after: unknown, limit = 200): ReadonlyArray<Change> => {
  const out: Array<Change> = []
  const walk = (a: unknown, b: unknown, path: string) => {
    if (out.length >= limit || a === b) return
    if (Array.isArray(a) && Array.isArray(b)) {
      const n = Math.max(a.length, b.length)
      for (let i = 0; i < n && out.length < limit; i++) {
        const p = `${path}[${i}]`
        if (i >= a.length) out.push({ path: p, kind: "added", after: b[i] })
        else if (i >= b.length) out.push({ path: p, kind: "removed", before: a[i] })
        else walk(a[i], b[i], p)
      }
      return
    }
    if (isObject(a) && isObject(b)) {
      for (const key of Object.keys(b)) {
        if (out.length >= limit) return
        const p = keyPath(path, key)
        // Own keys only: `constructor` or `toString` are not present by inheritance.
        if (!Object.hasOwn(a, key)) out.push({ path: p, kind: "added", after: b[key] })
        else walk(a[key], b[key], p)
      }
      for (const key of Object.keys(a)) {
        if (out.length >= limit) return
        if (!Object.hasOwn(b, key)) out.push({ path: keyPath(path, key), kind: "removed", before: a[key] })
      }
      return
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path: path === "" ? "(state)" : path, kind: "changed", before: a, after: b })
  }
  walk(before, after, "")
  return out
}
