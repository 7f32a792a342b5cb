/**
 * The `PersistenceError`s the SQL persistence fails with, each naming the application, its
 * partition and the step, and carrying the database's error as `cause`.
 */
import { Persistence, PersistenceError } from "@teasel/core"
import type { SqlError } from "effect/sql"

/** The application (and step) an operation was about. */
export interface Where {
  readonly appId: string
  readonly partitionKey: string
  readonly sequenceId?: number | undefined
}

/** The step an operation was about. */
export interface StepWhere extends Where {
  readonly sequenceId: number
}

/** Where a step is. */
export const whereOf = (step: Persistence.Step): StepWhere => ({
  appId: step.appId,
  partitionKey: step.partitionKey,
  sequenceId: step.sequenceId
})

const at = (where: Where) =>
  `Application "${where.appId}" (partition "${where.partitionKey}")` +
  (where.sequenceId === undefined ? "" : `, step ${where.sequenceId}`)

/** The database failed while doing `operation` ("save the step", ...). */
export const backend = (where: Where, operation: string, error: SqlError.SqlError): PersistenceError =>
  new PersistenceError({
    reason: new Persistence.Backend({ operation }),
    appId: where.appId,
    partitionKey: where.partitionKey,
    sequenceId: where.sequenceId,
    message: `${at(where)}: could not ${operation}: ${error.message}`,
    cause: error
  })

/** A save failed: a `Conflict` when the step's row exists already (another run saved it). */
export const saveFailed = (step: Persistence.Step, error: SqlError.SqlError): PersistenceError =>
  error.reason._tag === "UniqueViolation"
    ? new PersistenceError({
      reason: new Persistence.Conflict(),
      ...whereOf(step),
      message:
        `Application "${step.appId}" (partition "${step.partitionKey}"): step ${step.sequenceId} was already saved by another run`,
      cause: error
    })
    : backend(whereOf(step), "save the step", error)

/** Listing a partition failed. */
export const listFailed = (partitionKey: string, error: SqlError.SqlError): PersistenceError =>
  new PersistenceError({
    reason: new Persistence.Backend({ operation: "list the applications" }),
    appId: "",
    partitionKey,
    message: `Listing the applications of partition "${partitionKey}" failed: ${error.message}`,
    cause: error
  })

/** A stored state that is not JSON: `Unreadable`, naming the first key that does not parse. */
export const unreadable = (
  where: StepWhere,
  encoded: Readonly<Record<string, string>>,
  cause: unknown
): PersistenceError => {
  const key = Object.keys(encoded).find((k) => !parses(encoded[k]!))
  return new PersistenceError({
    reason: new Persistence.Unreadable({ key }),
    ...where,
    message: `Application "${where.appId}" (partition "${where.partitionKey}"), step ${where.sequenceId}: ` +
      `the stored value of state key ${JSON.stringify(key)} is not valid JSON (${String(cause)})`,
    cause
  })
}

const parses = (json: string) => {
  try {
    JSON.parse(json)
    return true
  } catch {
    return false
  }
}
