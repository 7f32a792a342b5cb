/**
 * Stand-ins for language models, shared by the `mapActions` and `product` programs: each "model"
 * answers a prompt in its own manner after its own delay. Nothing leaves the machine, and the
 * answers are always the same, so the programs can be run anywhere and tested.
 */
import { Duration, Effect } from "effect"
import { Action } from "@teasel/core"

/** A child's state: one prompt for one model, and the answer once it is in. */
export interface Query {
  readonly prompt: string
  readonly model: string
  readonly answer: string
}

interface StandIn {
  readonly name: string
  /** Milliseconds before it answers. */
  readonly latency: number
  readonly reply: (topic: string) => string
}

/** The topic of a prompt: its last two words, without the question mark. */
const topicOf = (prompt: string): string => prompt.replace(/[?.!]+$/, "").split(/\s+/).slice(-2).join(" ")

/** Three models, slowest first, so that they finish in the reverse of their order. */
export const models: ReadonlyArray<StandIn> = [
  { name: "careful", latency: 60, reply: (t) => `${t}: what it is, what it costs, when to stop.` },
  { name: "chatty", latency: 35, reply: (t) => `Great question! ${t} is a big topic, so let me say a lot about it.` },
  { name: "swift", latency: 10, reply: (t) => `${t}? Yes.` }
]

/** Asks the model named in `inputs` the child's prompt. */
export const ask = (s: Query, inputs: { readonly model: string }): Effect.Effect<Query, Error> => {
  const model = models.find((m) => m.name === inputs.model)
  if (model === undefined) return Effect.fail(new Error(`no model called "${inputs.model}"`))
  return Effect.as(
    Effect.sleep(Duration.millis(model.latency)),
    { ...s, model: model.name, answer: model.reply(topicOf(s.prompt)) }
  )
}

/** One branch per model: `ask` with the model's name bound, named after the model. */
export const branches = models.map((m) => Action.make({ name: m.name, run: Action.bind(ask, { model: m.name }) }))
