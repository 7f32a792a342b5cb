/**
 * The demo's entry point (`pnpm demo`): checks the Node.js version before anything loads
 * `node:sqlite` (unflagged from Node.js 22.13), then runs `main.ts`. On an older Node.js it says
 * which version is needed and which one is running, instead of failing inside the SQLite client.
 */
export {}

/** The oldest Node.js the demo runs on: `node:sqlite` without a flag. */
const needed = { major: 22, minor: 13 }

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number)
if (major < needed.major || (major === needed.major && minor < needed.minor)) {
  console.error(
    `The poems demo needs Node.js ${needed.major}.${needed.minor} or later (it saves every step with node:sqlite);\n` +
      `this is Node.js ${process.version} (${process.execPath}).\n` +
      `From the repository root, ./teasel demo provides Node.js 22 and pnpm, then runs it.`
  )
  process.exitCode = 1
} else {
  await import("./main.js")
}
