/**
 * Builds better-sqlite3 (LangGraph's SQLite checkpointer's driver) from source, for the
 * `sqlite-step` benchmark's LangGraph subject.
 *
 * Its install script first downloads a prebuilt binary, which this workplace cannot fetch, so pnpm
 * is told not to run it (`ignoredBuiltDependencies`, keeping `pnpm install` fast and offline-safe);
 * this compiles it with node-gyp against the headers shipped inside the running Node (`--nodedir`),
 * so nothing is downloaded. Needs python3, make and a C++ compiler; takes about a minute.
 */
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const require = createRequire(import.meta.url)
const checkpointer = dirname(require.resolve("@langchain/langgraph-checkpoint-sqlite/package.json"))
const driver = dirname(createRequire(join(checkpointer, "package.json")).resolve("better-sqlite3/package.json"))
const nodedir = dirname(dirname(process.execPath))

const loads = () => {
  try {
    const Database = createRequire(join(driver, "package.json"))("better-sqlite3")
    new Database(":memory:").close()
    return true
  } catch {
    return false
  }
}

if (loads()) {
  console.log(`better-sqlite3 at ${driver} ${process.env["NATIVE_CHECK"] === "1" ? "built and loads" : "already loads"}`)
} else if (process.env["NATIVE_CHECK"] === "1") {
  throw new Error("better-sqlite3 was built but still does not load")
} else {
  if (!existsSync(join(nodedir, "include", "node", "node.h"))) {
    throw new Error(`No Node headers under ${nodedir}/include/node: cannot build better-sqlite3 offline`)
  }
  const gyp = require.resolve("node-gyp/bin/node-gyp.js")
  console.log(`building better-sqlite3 at ${driver} against ${nodedir}`)
  execFileSync(process.execPath, [gyp, "rebuild", "--release", `--nodedir=${nodedir}`, "-j", "max"], {
    cwd: driver,
    stdio: "inherit",
    // An npm config `nodedir` (pnpm passes it on as npm_config_nodedir) would win over the flag,
    // and may name another Node's headers: the build must match the Node that runs it.
    env: { ...process.env, npm_config_nodedir: nodedir }
  })
  // A fresh process: this one has already failed to load the module once.
  execFileSync(process.execPath, [fileURLToPath(import.meta.url)], { stdio: "inherit", env: { ...process.env, NATIVE_CHECK: "1" } })
}
