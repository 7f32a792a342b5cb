/**
 * The replay tests in test/replays were written by `pnpm --filter @teasel/example-testing record`
 * (src/record.ts) from a tracked run. This checks they are still exactly what recording writes —
 * so the workflow still behaves as recorded and the generator still generates them.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Testing } from "@teasel/testing"
import { imports, recordCases, replayDir } from "../src/record.js"

describe("recorded replays", () => {
  it("are what recording the workflow writes today", async () => {
    const cases = await Effect.runPromise(recordCases)
    for (const [testCase, options] of [[cases.join, imports.join], [cases.edit, imports.edit]] as const) {
      const files = Testing.replayFiles(testCase, options)
      expect(readFileSync(join(replayDir, files.caseFile), "utf8")).toBe(files.json)
      expect(readFileSync(join(replayDir, files.testFile), "utf8")).toBe(files.test)
    }
  })
})
