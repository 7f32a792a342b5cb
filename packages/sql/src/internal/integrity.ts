/**
 * What loading checks before a stored step becomes a state: that its rows are whole and its own.
 * Pure functions, no SQL and no Effect.
 *
 * - The step's numbers are whole numbers, its full step (`base`) at or before it, and every step
 *   from `base` to it is stored with that same base (no gap, no missing delta).
 * - Its state, as read back key by key, has the digest stored when the step was saved: a digest
 *   over every key's name and the digest of its JSON (`delta.digest`), in name order. A value row
 *   that is missing, altered, added (a `__proto__` row, say) or another application's fails it.
 *
 * The digest catches damage and foreign rows, not a forger: anyone who can write the rows can
 * write a matching digest. Steps saved before digests were stored (schema version 1) have none and
 * are checked for the rest only.
 */
import { hash } from "node:crypto"
import { Persistence, PersistenceError } from "@teasel/core"

/** The digest of a step's whole state, from each key's digest (`delta.digest` of its JSON). */
export const stepDigest = (digests: ReadonlyMap<string, string>): string => {
  const keys = [...digests.keys()].sort()
  let text = ""
  for (const key of keys) text += `${JSON.stringify(key)}:${digests.get(key)!}\n`
  // One call on the whole text: a Hash object per step costs more than hashing a few bytes.
  return hash("sha256", text, "base64")
}

/** Where a loaded step is, for the errors that name it. */
interface Where {
  readonly appId: string
  readonly partitionKey: string
  readonly sequenceId?: number | undefined
}

/** A `Corrupt` load of `where`, saying `what` is wrong. */
export const corrupt = (where: Where, what: string, key?: string): PersistenceError =>
  new PersistenceError({
    reason: new Persistence.Corrupt({ key }),
    appId: where.appId,
    partitionKey: where.partitionKey,
    sequenceId: where.sequenceId,
    message: `Application "${where.appId}" (partition "${where.partitionKey}")` +
      (where.sequenceId === undefined ? "" : `, step ${where.sequenceId}`) +
      `: the stored step is damaged or foreign: ${what}` +
      (key === undefined ? "" : ` (state key ${JSON.stringify(key)})`) +
      `; it is not loaded`
  })

const whole = (n: number) => Number.isSafeInteger(n) && n >= 1

/**
 * Why the numbers of a step row cannot be right, or `undefined`: `seq` and `base` whole numbers
 * with `base <= seq`, and `span` (how many steps from `base` to `seq` have that base) exactly
 * `seq - base + 1`.
 */
export const numbersProblem = (seq: number, base: number, span: number): string | undefined => {
  if (!whole(seq)) return `its sequence number is not a whole number`
  if (!whole(base) || base > seq) return `its full step ${String(base)} is not a step at or before it`
  if (span !== seq - base + 1) {
    return `steps ${base} to ${seq} should all be stored on full step ${base}, but ${span} of ${seq - base + 1} are (a step is missing or foreign)`
  }
  return undefined
}

/**
 * Throws the `PersistenceError` refusing a step before anything of it is worked out: an id that is
 * not storable (`InvalidId`), or a whole state that is not a plain object (`Unserializable`, key
 * `undefined`) — which the delta path, encoding only the keys that changed, would not see (a `Map`
 * has no keys: it would be stored as every key removed). The errors are `encodeState`'s, so they
 * are the memory store's.
 */
export const checkSave = (step: Persistence.Step): void => {
  const invalid = Persistence.checkIds(step)
  if (invalid !== undefined) throw invalid
  const state = step.state
  if (typeof state === "object" && state !== null && !Array.isArray(state)) {
    const proto = Object.getPrototypeOf(state)
    if (proto === Object.prototype || proto === null) return
  }
  Persistence.encodeState(state, step)
}

/** Why a step row read back cannot be right (see `numbersProblem`), or `undefined`. */
export const rowProblem = (row: {
  readonly seq: unknown
  readonly base: unknown
  readonly span: unknown
  readonly parent_seq: unknown
}): string | undefined => {
  const problem = numbersProblem(numberOf(row.seq), numberOf(row.base), numberOf(row.span))
  if (problem !== undefined) return problem
  if (row.parent_seq !== null && !whole(numberOf(row.parent_seq))) return "its parent's step number is not a whole number"
  return undefined
}

/** A number read back: integers may come as numbers, `BigInt`s or text; anything else is `NaN`. */
const numberOf = (value: unknown): number =>
  typeof value === "number" ? value : typeof value === "bigint" ? Number(value) :
  typeof value === "string" && /^[0-9]+$/.test(value) ? Number(value) : Number.NaN
