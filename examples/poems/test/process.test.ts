/**
 * The demo as a real process: started with tsx against a SQLite file, stopped part-way — killed
 * with SIGKILL, or interrupted with SIGINT (Ctrl-C) — and started again with the same --id.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { Persistence } from "@teasel/core"
import { SqlPersistence } from "@teasel/sql"
import { afterAll, describe, expect, it } from "vitest"
import { childOf } from "../src/demo.js"
import { compose } from "../src/model.js"

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..")
const dir = mkdtempSync(join(tmpdir(), "teasel-poems-process-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const subject = "state machines"
// With --delay, a call about a haiku takes half as long as one about a sonnet (and a limerick
// 5/6): the haiku finishes well before the others.
const styles = ["haiku", "limerick", "sonnet"]
const flags = ["--styles", styles.join(","), "--drafts", "3"]

interface Run {
  readonly child: ChildProcess
  readonly output: () => string
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>
}

/** The program's own environment: no OpenAI key, and not started by a package manager. */
const env = () => {
  const e: NodeJS.ProcessEnv = { ...process.env }
  for (const key of ["OPENAI_API_KEY", "INIT_CWD", "npm_lifecycle_event"]) delete e[key]
  return e
}

/** Starts `src/main.ts` with the same node, running the TypeScript sources through tsx. */
const start = (...args: Array<string>): Run => {
  const child = spawn(process.execPath, ["--conditions=@teasel/source", "--import", "tsx", "src/main.ts", ...args], {
    cwd: packageDir,
    env: env(),
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout!.on("data", (chunk) => (stdout += chunk))
  child.stderr!.on("data", (chunk) => (stderr += chunk))
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr }))
  )
  return { child, output: () => stdout, exit }
}

/** Each style's child as saved in the file: finished or not. */
const saved = (filename: string, id: string) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const store = yield* Persistence.Persistence
      return yield* Effect.forEach(styles, (_, i) =>
        Effect.map(store.load({ appId: childOf(id, 1, i), partitionKey: "" }), (step) =>
          step === undefined ? "none" : step.next === undefined ? "finished" : "unfinished"))
    }).pipe(Effect.provide(SqlPersistence.layerSqlite({ filename })))
  )

/** Polls `check` until it holds; fails at once if the program ends first (a hang fails by the test's timeout). */
const waitUntil = async (check: () => Promise<boolean>, what: string, run: Run) => {
  let ended = false
  void run.exit.then(() => (ended = true))
  while (!(await check())) {
    if (ended && !(await check())) throw new Error(`the program ended before ${what}; its output:\n${run.output()}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** The poems the program prints at the end, for these styles and drafts. */
const poems = styles.map((style) => `${style.toUpperCase()}\n\n${compose(subject, style, 3).join("\n")}`).join("\n\n")

describe("the demo process", () => {
  it("killed with SIGKILL after the first poem is saved, resumes with the same --id without writing it again", async () => {
    const db = join(dir, "killed.db")
    const first = start("--id", "killed", "--db", db, "--delay", "400", ...flags)
    await waitUntil(async () => (await saved(db, "killed"))[0] === "finished", "the haiku is saved", first)
    first.child.kill("SIGKILL")
    expect((await first.exit).signal).toBe("SIGKILL")
    const atKill = await saved(db, "killed")
    expect(atKill[0]).toBe("finished")
    expect(atKill[2]).not.toBe("finished") // the sonnet takes twice as long

    const second = await start("--id", "killed", "--db", db, ...flags).exit
    expect(second.stderr).toBe("")
    expect(second.code).toBe(0)
    const out = second.stdout
    expect(out).toContain(`application killed: resumed from ${db}, at step 0 (next: poems)`)
    expect(out).toMatch(/^ {2}haiku +finished before \(3 drafts\): reused, not run again$/m)
    const reused = styles.filter((_, i) => atKill[i] === "finished")
    expect(out).toContain(`reused (finished before, not run again): ${reused.join(", ")}`)
    // The reused styles write nothing; the others write at least their last draft.
    for (const [i, style] of styles.entries()) {
      const writes = new RegExp(`^ +\\d+ ms +${style} +writing draft`, "m")
      if (atKill[i] === "finished") expect(out).not.toMatch(writes)
      else expect(out).toMatch(writes)
    }
    expect(out).toContain(`\n${poems}\n`)

    // Once more: complete, printed from the file.
    const third = await start("--id", "killed", "--db", db).exit
    expect(third.code).toBe(0)
    expect(third.stdout).toContain(`application killed was already complete (2 steps saved in ${db})`)
    expect(third.stdout).toContain(`\n${poems}\n`)
  }, 60_000)

  it("interrupted with SIGINT, saves what completed and prints the command that resumes it", async () => {
    const db = join(dir, "interrupted.db")
    const first = start("--db", db, "--delay", "400", ...flags)
    const id = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const match = /^application (poems-[0-9a-f]{8}): new, saved in /m.exec(first.output())
        if (match !== null) {
          clearInterval(timer)
          resolve(match[1]!)
        }
      }, 20)
      void first.exit.then(() => reject(new Error(`exited early:\n${first.output()}`)))
    })
    expect(first.output()).toContain(`to resume it if it stops: node --conditions=@teasel/source --import tsx src/main.ts --id ${id}`)
    await waitUntil(async () => (await saved(db, id))[0] === "finished", "the haiku is saved", first)
    first.child.kill("SIGINT")
    const exit = await first.exit
    expect(exit.code).toBe(130)
    expect(exit.stdout).toContain(`Interrupted: application ${id} did not finish.`)
    const resume = /Resume with:\n\n {2}(.+)\n/.exec(exit.stdout)?.[1]
    expect(resume).toBe(
      `node --conditions=@teasel/source --import tsx src/main.ts --id ${id} --styles ${styles.join(",")} --drafts 3 --db ${db} --delay 400`
    )
    const atStop = await saved(db, id)
    expect(atStop[0]).toBe("finished")

    // The printed command, as printed (`start` runs it with this node, from the package).
    const words = resume!.split(" ")
    const second = await start(...words.slice(words.indexOf("src/main.ts") + 1)).exit
    expect(second.code).toBe(0)
    expect(second.stdout).toMatch(/^ {2}haiku +finished before \(3 drafts\): reused, not run again$/m)
    expect(second.stdout).not.toMatch(/haiku +writing draft/)
    expect(second.stdout).toContain(`\n${poems}\n`)
  }, 60_000)
})
