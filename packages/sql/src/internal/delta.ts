/**
 * What a step adds to the store: only the top-level state keys that changed since the
 * application's previous step. Pure functions, no SQL and no Effect.
 *
 * A stored step is either *full* (every key of its state is written; earlier versions do not
 * count) or a *delta* on top of the step before it (changed keys are written, removed keys are
 * written as `null`). The state of step `t` is, for every key ever seen, its latest version at a
 * step in `[base, t]`, where `base` is the last full step at or before `t`.
 */
import { createHash } from "node:crypto"
import { Persistence } from "@teasel/core"

/**
 * What this process knows of an application's latest stored step: enough to store the next one
 * as a delta. `state` is the very object that was saved (or loaded), so that unchanged keys of the
 * next state are recognised by identity, without encoding them.
 */
export interface Known {
  readonly appRef: number
  readonly sequenceId: number
  /** The last full step at or before this one. */
  readonly base: number
  readonly state: Readonly<Record<string, unknown>>
  /** For each key present in the state, a digest of its JSON. */
  readonly digests: ReadonlyMap<string, string>
}

export interface Delta {
  /** Whether every key is written (the first step, a fork's base, or no previous step known). */
  readonly full: boolean
  /** Keys to write with their JSON; `null` records that the key was removed. */
  readonly writes: ReadonlyArray<readonly [key: string, json: string | null]>
  /** Keys written that the previous step did not hold (they may be new to the application). */
  readonly added: ReadonlyArray<string>
  readonly digests: ReadonlyMap<string, string>
}

/**
 * A digest of a key's JSON, to skip writing a value that was rebuilt but did not change. Short
 * values are their own digest.
 */
export const digest = (json: string): string =>
  json.length <= 64 ? `=${json}` : `#${json.length}:${createHash("sha256").update(json).digest("base64")}`

/**
 * The writes for `state` as step `where.sequenceId`, given the previous step (when it is known
 * and is the step just before). Throws the `PersistenceError` of `encodeState` for a value that
 * cannot be stored; only keys that changed are encoded (and so checked): a key holding the same
 * object as in the previous step was checked when that step was saved.
 */
export const diff = (
  previous: Known | undefined,
  state: unknown,
  where: { readonly appId: string; readonly partitionKey: string; readonly sequenceId: number }
): Delta => {
  const next = state as Record<string, unknown>
  if (previous === undefined) {
    const encoded = Persistence.encodeState(next, where)
    const digests = new Map<string, string>()
    const writes: Array<readonly [string, string]> = []
    for (const key of Object.keys(encoded)) {
      const json = encoded[key]!
      writes.push([key, json])
      digests.set(key, digest(json))
    }
    return { full: true, writes, added: writes.map(([key]) => key), digests }
  }
  const before = previous.state
  const changed: Record<string, unknown> = Object.create(null)
  let any = false
  for (const key of Object.keys(next)) {
    const value = next[key]
    if (value === undefined) continue
    if (previous.digests.has(key) && Object.hasOwn(before, key) && before[key] === value) continue
    changed[key] = value
    any = true
  }
  const digests = new Map(previous.digests)
  const writes: Array<readonly [string, string | null]> = []
  const added: Array<string> = []
  if (any) {
    const encoded = Persistence.encodeState(changed, where)
    for (const key of Object.keys(encoded)) {
      const json = encoded[key]!
      const d = digest(json)
      const old = previous.digests.get(key)
      if (old === d) continue
      if (old === undefined) added.push(key)
      writes.push([key, json])
      digests.set(key, d)
    }
  }
  for (const key of previous.digests.keys()) {
    if (!Object.hasOwn(next, key) || next[key] === undefined) {
      writes.push([key, null])
      digests.delete(key)
    }
  }
  return { full: false, writes, added, digests }
}

/** The digests of a state read back from the store (its keys' JSON). */
export const digestsOf = (encoded: Readonly<Record<string, string>>): Map<string, string> => {
  const digests = new Map<string, string>()
  for (const key of Object.keys(encoded)) digests.set(key, digest(encoded[key]!))
  return digests
}
