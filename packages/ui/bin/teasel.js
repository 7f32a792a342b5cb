#!/usr/bin/env node
// `teasel ui [--db FILE | --db postgres://...] [--schema NAME] [--port N] [--host ADDRESS]`: the
// built command. In this repository, `pnpm ui` runs it from the sources without a build.
import { existsSync } from "node:fs"

const built = new URL("../dist/cli.js", import.meta.url)
if (existsSync(built)) {
  await import(built.href)
} else {
  console.error(
    "teasel: this copy of @teasel/ui is not built (dist/cli.js is missing).\n" +
      "In the Teasel repository, run `pnpm ui` (from the sources) or `pnpm --filter @teasel/ui build` first."
  )
  process.exitCode = 1
}
