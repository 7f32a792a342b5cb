/**
 * Records a run of the poem workflow (local model, tracked in memory) and writes two of its steps
 * as replay tests into test/replays: the parent's `join`, and the sonnet child's first `edit`.
 *
 *     pnpm --filter @teasel/example-testing record
 *
 * `test/record.test.ts` checks that the committed files are exactly what this writes.
 */
import { fileURLToPath } from "node:url"
import { Duration, Effect } from "effect"
import { Application, Tracking } from "@teasel/core"
import { application } from "@teasel/example-poems"
import { Model } from "@teasel/example-poems/model"
import { Testing } from "@teasel/testing"
import { request } from "./states.js"

/** Where the replay tests live. */
export const replayDir = fileURLToPath(new URL("../test/replays", import.meta.url))

/** How the generated tests get the actions (and the model the `edit` step needs). */
export const imports = {
  join: { action: { from: "@teasel/example-poems", name: "workflow", expression: "workflow.actions.join" } },
  edit: {
    action: { from: "@teasel/example-poems", name: "drafting", expression: "drafting.actions.edit" },
    layer: { from: "@teasel/example-poems/model", name: "Model", expression: "Model.layerLocal()" }
  }
} satisfies Record<string, Testing.ReplayFileOptions>

/** Runs the workflow once, tracked, and picks the two cases. */
export const recordCases = Effect.gen(function*() {
  const tracker = Tracking.makeMemory()
  const app = application({ ...request, styles: [...request.styles] }, "P")
  yield* Application.run(app).pipe(Effect.provide(tracker.layer))
  const cases = Testing.fromRecords(tracker.records, { initial: { P: app.state } })
  const join = cases.find((c) => c.appId === "P" && c.action === "join")
  const edit = cases.find((c) => c.appId === "P:1:poems:0" && c.action === "edit")
  if (join === undefined || edit === undefined) return yield* Effect.die(new Error("the run did not record a join and an edit"))
  return { join, edit }
}).pipe(Effect.provide(Model.layerLocal({ latency: () => Duration.zero })))

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { edit, join } = await Effect.runPromise(recordCases)
  for (const [testCase, options] of [[join, imports.join], [edit, imports.edit]] as const) {
    const { caseFile, testFile } = Testing.writeReplay(testCase, replayDir, options)
    console.log(`wrote ${caseFile}\n      ${testFile}`)
  }
}
