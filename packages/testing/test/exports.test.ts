/**
 * The package's entry points: `@teasel/testing` and `@teasel/testing/Testing` load without vitest
 * (a project that uses `Testing` with another runner, or none, does not install it), and
 * `Testing` is importable by name from the subpath as well as as a namespace. Only
 * `@teasel/testing/PersistenceTest` needs vitest.
 */
import { execFile } from "node:child_process"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { describe, expect, it } from "vitest"
import { Testing as Named } from "@teasel/testing/Testing"
import * as Namespace from "@teasel/testing/Testing"
import { Testing } from "../src/index.js"

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..")

describe("entry points", () => {
  it("Testing is the same module by name, as a namespace, and from the package root", () => {
    expect(Named.checkAction).toBe(Namespace.checkAction)
    expect(Testing.checkAction).toBe(Namespace.checkAction)
  })

  it("loads without vitest installed; only PersistenceTest asks for it", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      "--conditions=@teasel/source",
      "--import",
      join(packageDir, "test", "fixtures", "withoutVitest.mjs"),
      "--import",
      "tsx",
      join(packageDir, "test", "fixtures", "importTesting.ts")
    ], { cwd: packageDir })
    const found = JSON.parse(stdout.trim().split("\n").at(-1)!)
    expect(found).toMatchObject({ root: "function", named: "function", namespace: "function", same: true })
    expect(found.persistenceTest).toMatch(/Cannot find package 'vitest'/)
  })
})
