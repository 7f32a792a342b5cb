/**
 * What a newcomer sees when the demo cannot run: on a Node.js older than 22.13 it names the
 * version it needs and the one running (before anything loads `node:sqlite`), and a run that
 * saved nothing does not offer a command to resume it.
 */
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..")
const dir = mkdtempSync(join(tmpdir(), "teasel-poems-start-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The program's own environment: no OpenAI key, and not started by a package manager. */
const env = () => {
  const e: NodeJS.ProcessEnv = { ...process.env }
  for (const key of ["OPENAI_API_KEY", "INIT_CWD", "npm_lifecycle_event", "TEASEL_LAUNCHER"]) delete e[key]
  return e
}

/** Runs `node [preload] --import tsx <script> ...args` in the package and collects its output. */
const run = (nodeArgs: ReadonlyArray<string>, script: string, args: ReadonlyArray<string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [...nodeArgs, "--conditions=@teasel/source", "--import", "tsx", script, ...args],
      { cwd: packageDir, env: env() },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    )
  })

/** A preload that makes this Node.js report itself as `version`, as an old one would. */
const pretend = (version: string) =>
  `--import=data:text/javascript,${
    encodeURIComponent(
      `Object.defineProperty(process.versions, "node", { value: ${JSON.stringify(version)} });` +
        `Object.defineProperty(process, "version", { value: ${JSON.stringify(`v${version}`)} });`
    )
  }`

describe("the demo's entry point (pnpm demo)", () => {
  it("on Node.js older than 22.13 names the version needed and the one running, and runs nothing", async () => {
    const { code, stdout, stderr } = await run([pretend("20.20.2")], "src/start.ts", ["--memory", "--delay", "0"])
    expect(code).toBe(1)
    expect(stderr).toContain("needs Node.js 22.13 or later")
    expect(stderr).toContain("this is Node.js v20.20.2")
    expect(stderr).toContain("./teasel demo")
    expect(stdout).toBe("")
  })

  it("on Node.js 22.12 still refuses (node:sqlite needs 22.13), on this one it runs", async () => {
    const old = await run([pretend("22.12.0")], "src/start.ts", ["--memory", "--delay", "0"])
    expect(old.code).toBe(1)
    expect(old.stderr).toContain("this is Node.js v22.12.0")
    const current = await run([], "src/start.ts", ["--memory", "--delay", "0", "--styles", "haiku", "--drafts", "1"])
    expect(current.stderr).toBe("")
    expect(current.code).toBe(0)
    expect(current.stdout).toContain("HAIKU")
  })
})

describe("after a failed run", () => {
  it("offers no resume command when nothing of the application was saved", async () => {
    const db = join(dir, "not-a-database.db")
    writeFileSync(db, "this file is not a SQLite database, so nothing can be saved in it\n")
    const { code, stdout, stderr } = await run([], "src/main.ts", ["--db", db, "--id", "poems-unsaved", "--delay", "0"])
    expect(code).toBe(1)
    expect(stderr).toContain("The workflow failed")
    expect(stdout).toContain("Nothing of application poems-unsaved was saved")
    expect(stdout).not.toContain("Resume with")
    expect(stdout).not.toContain("--id poems-unsaved")
  })
})
