/**
 * The in-process store behind `Persistence.layerMemory`: steps live in a map for as long as the
 * layer. States are stored encoded (`Persistence.checkState`), exactly as the SQL backends store
 * them, and ids are checked the same way, so what fails there fails here.
 */
import { Effect } from "effect"
import type { FailedStep, Persistence, Step, Summary } from "../Persistence.js"
import { checkIds, checkState } from "./storable.js"
import { Conflict, PersistenceError } from "../PersistenceError.js"
import { decode as decodeStored } from "./encoding.js"

interface Stored {
  readonly step: Omit<Step, "state">
  readonly state: Record<string, string>
}

const keyOf = (partitionKey: string, appId: string) => `${partitionKey}\u0000${appId}`

export const make = (): Persistence["Service"] => {
  const apps = new Map<string, Array<Stored>>()
  const order: Array<string> = []
  const failures: Array<FailedStep> = []
  return {
    save: (step) =>
      Effect.flatMap(checkState(step.state, step), (state) =>
        Effect.suspend(() => {
          const key = keyOf(step.partitionKey, step.appId)
          let steps = apps.get(key)
          if (steps === undefined) {
            steps = []
            apps.set(key, steps)
            order.push(key)
          }
          if (steps.some((s) => s.step.sequenceId === step.sequenceId)) {
            return Effect.fail(
              new PersistenceError({
                reason: new Conflict(),
                appId: step.appId,
                partitionKey: step.partitionKey,
                sequenceId: step.sequenceId,
                message:
                  `Application "${step.appId}" (partition "${step.partitionKey}"): step ${step.sequenceId} was already saved by another run`
              })
            )
          }
          const { state: _, ...rest } = step
          steps.push({ step: rest, state })
          if (steps.length > 1 && steps[steps.length - 2]!.step.sequenceId > step.sequenceId) {
            steps.sort((a, b) => a.step.sequenceId - b.step.sequenceId)
          }
          return Effect.void
        })),
    saveFailure: (failure) =>
      Effect.suspend(() => {
        const invalid = checkIds(failure)
        if (invalid !== undefined) return Effect.fail(invalid)
        failures.push(failure)
        return Effect.void
      }),
    load: ({ appId, partitionKey, sequenceId }) =>
      Effect.suspend(() => {
        const invalid = checkIds({ appId, partitionKey, sequenceId })
        if (invalid !== undefined) return Effect.fail(invalid)
        const steps = apps.get(keyOf(partitionKey, appId))
        if (steps === undefined || steps.length === 0) return Effect.succeed(undefined)
        const found = sequenceId === undefined
          ? steps[steps.length - 1]
          : steps.find((s) => s.step.sequenceId === sequenceId)
        return Effect.succeed(found === undefined ? undefined : { ...found.step, state: decodeStored(found.state) })
      }),
    list: (partitionKey) =>
      Effect.suspend(() => {
        const invalid = checkIds({ appId: "", partitionKey })
        if (invalid !== undefined) return Effect.fail(invalid)
        return Effect.succeed(order.flatMap((key): Array<Summary> => {
          const steps = apps.get(key)!
          const last = steps[steps.length - 1]!.step
          return last.partitionKey !== partitionKey ? [] : [{
            appId: last.appId,
            partitionKey: last.partitionKey,
            parentId: last.parentId,
            sequenceId: last.sequenceId,
            action: last.action,
            next: last.next,
            updatedAt: last.createdAt
          }]
        }))
      })
  }
}
