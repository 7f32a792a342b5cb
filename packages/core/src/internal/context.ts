/**
 * What a running step knows about where it runs. The step loop provides it to effectful actions
 * so that streaming actions can emit chunks and sub-graphs can spawn child applications with
 * deterministic ids, without either appearing in the user's requirement types.
 */
import { Context } from "effect"
import type { Event } from "../Event.js"

/** Receives the events of a run (its own and its children's); absent when nobody listens. */
export type Emit = (event: Event<any, any, any, any>) => void

export interface StepContext {
  readonly appId: string
  readonly parentId: string | undefined
  readonly partitionKey: string
  readonly sequenceId: number
  readonly action: string
  readonly emit: Emit | undefined
}

export const CurrentStep = Context.Reference<StepContext | undefined>("@teasel/core/CurrentStep", {
  defaultValue: () => undefined
})
