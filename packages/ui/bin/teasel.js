#!/usr/bin/env node
// `teasel ui [--db FILE] [--port N] [--host ADDRESS]`: the built command (`pnpm --filter @teasel/ui build`).
// In this repository, `pnpm ui` runs it from the sources without a build.
import "../dist/cli.js"
