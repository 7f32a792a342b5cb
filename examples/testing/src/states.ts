/**
 * Schemas of the poem workflow's states, for generating test states. They describe the same
 * shapes as the interfaces in `@teasel/example-poems` (`Drafting`, `Poems`); the type tests in
 * `test/states.test.ts` keep them in step.
 */
import { Schema } from "effect"

/** The styles the local model knows a shape for, and one it does not. */
export const Style = Schema.Literals(["sonnet", "limerick", "haiku", "ode"])

const Subject = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(24))

/** One style's child state: a few drafts so far, with notes on all but the last. */
export const Drafting = Schema.Struct({
  subject: Subject,
  style: Style,
  maxDrafts: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 4 })),
  drafts: Schema.Array(Schema.String).check(Schema.isMaxLength(4)),
  notes: Schema.Array(Schema.String).check(Schema.isMaxLength(4))
})

/** A finished poem. */
export const Poem = Schema.Struct({
  style: Schema.String,
  text: Schema.String,
  drafts: Schema.Int,
  notes: Schema.Array(Schema.String)
})

/** The parent state: up to four styles, up to three drafts each. */
export const Poems = Schema.Struct({
  subject: Subject,
  styles: Schema.Array(Style).check(Schema.isMaxLength(4)),
  maxDrafts: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 3 })),
  poems: Schema.Array(Poem).check(Schema.isMaxLength(4)),
  text: Schema.String
})

/** The request the recorded run and the workflow-level tests use. */
export const request = { subject: "state machines", styles: ["sonnet", "limerick", "haiku", "ode"], maxDrafts: 2 } as const
