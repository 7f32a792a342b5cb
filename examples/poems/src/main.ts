/**
 * The poems program: writes a poem about a subject in several styles at once, printing each
 * child's progress as it happens, then the poems. Every completed step is saved (by default in
 * `.teasel/teasel.db`, from where you run it), so a run that stops can be resumed:
 *
 *   pnpm demo                                  # a new application; prints the command to resume it
 *   pnpm demo --id poems-1a2b3c4d              # resumes it: finished styles are not written again
 *   pnpm --filter @teasel/example-poems start -- --subject "tea" --styles haiku,limerick --drafts 3
 *
 * Every step is also tracked in the same file: `pnpm ui` shows the applications, their steps,
 * states and children (project "poems").
 *
 * Ctrl-C interrupts the run: the running steps are interrupted, the completed ones stay saved, and
 * the program says how to resume. With `OPENAI_API_KEY` set it asks OpenAI (`OPENAI_MODEL`,
 * default gpt-4o-mini); without, a local stand-in composes the verses.
 */
import { existsSync } from "node:fs"
import { dirname, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { Cause, Effect, Exit, Layer } from "effect"
import { Persistence, Tracking } from "@teasel/core"
import { SqliteClient, SqlPersistence, SqlTracking } from "@teasel/sql"
import { type Command, commandLine, displayPath, parseCommand, usage, userCwd } from "./cli.js"
import { demo } from "./demo.js"
import { Model, paced } from "./model.js"

/** The repository root: `pnpm demo` runs from there. */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..")

/** The command that runs this program again with `args`, the way it was started this time. */
const rerun = (args: ReadonlyArray<string>): string => {
  const script = process.argv[1] ?? "src/main.ts"
  if (process.env["npm_lifecycle_event"] !== undefined && process.env["npm_lifecycle_event"] !== "npx") {
    // Started by a package script: `pnpm demo` from the repository root.
    // Started by `./teasel demo` (TEASEL_LAUNCHER), which provides Node.js and pnpm: run it again.
    const launcher = process.env["TEASEL_LAUNCHER"]
    return resolve(userCwd()) === repoRoot
      ? commandLine([...(launcher === undefined ? ["pnpm"] : [launcher]), "demo", ...args])
      : commandLine(["pnpm", "--filter", "@teasel/example-poems", "start", ...args])
  }
  const scriptPath = relative(process.cwd(), script) || script
  if (process.execArgv.some((arg) => arg.includes("tsx/dist/preflight"))) {
    return commandLine(["tsx", scriptPath, ...args])
  }
  return commandLine(["node", ...process.execArgv, scriptPath, ...args])
}

/**
 * Whether any step of application `id`, or of one of its children, is saved in the SQLite file
 * `db` (which is not created when it does not exist). A run that failed before saving anything,
 * for example because the database could not be opened, has nothing to resume.
 */
const anythingSaved = async (db: string, id: string): Promise<boolean> => {
  if (!existsSync(db)) return false
  const exit = await Effect.runPromiseExit(
    Effect.flatMap(Effect.service(Persistence.Persistence), (store) => store.list("")).pipe(
      Effect.map((apps) => apps.some((a) => a.appId === id || a.appId.startsWith(`${id}:`))),
      Effect.provide(SqlPersistence.layerSqlite({ filename: db }))
    )
  )
  return Exit.isSuccess(exit) && exit.value
}

const run = async (command: Command) => {
  const where = command.db === undefined ? "memory only (--memory)" : displayPath(command.db)
  const resume = command.db === undefined ? undefined : rerun(command.resumeArgs)
  // Every step is saved and tracked in the one file (`pnpm ui` shows it); --memory keeps nothing.
  const store = command.db === undefined
    ? Persistence.layerMemory
    : Layer.mergeAll(SqlPersistence.layer, SqlTracking.layer).pipe(
      Layer.provide(SqliteClient.layer({ filename: command.db }))
    )
  const model = Model.layerFor(command.delay === undefined ? undefined : { latency: paced(command.delay) })
  const program = demo({ request: command.request, given: command.given, id: command.id, where, resume }).pipe(
    Effect.provide(Layer.mergeAll(store, model)),
    Effect.provideService(Tracking.CurrentProject, "poems")
  )

  // Ctrl-C interrupts the program's fiber: running children are interrupted (their finalizers
  // run), completed steps are already saved, and the database is closed by its layer. A second
  // Ctrl-C exits at once.
  const controller = new AbortController()
  let interrupted = false
  const onSigint = () => {
    if (interrupted) {
      console.error("\nStopped at once (second Ctrl-C).")
      process.exit(130)
    }
    interrupted = true
    console.log("\nCtrl-C: interrupting the running steps…")
    controller.abort()
  }
  process.on("SIGINT", onSigint)
  const exit = await Effect.runPromiseExit(program, { signal: controller.signal })
  process.off("SIGINT", onSigint)

  const howToResume = async () => {
    if (resume === undefined || command.db === undefined) {
      console.log("Nothing was saved (--memory): a new run starts over.")
    } else if (await anythingSaved(command.db, command.id)) {
      console.log(`The completed steps are saved in ${where}. Resume with:\n\n  ${resume}\n`)
    } else {
      console.log(`Nothing of application ${command.id} was saved in ${where}: a new run starts over.`)
    }
  }
  if (Exit.isSuccess(exit)) return
  if (Cause.hasInterruptsOnly(exit.cause)) {
    console.log(`\nInterrupted: application ${command.id} did not finish.`)
    await howToResume()
    process.exitCode = 130
    return
  }
  const error = Cause.squash(exit.cause)
  console.error(`\nThe workflow failed: ${error instanceof Error ? error.message : String(error)}\n`)
  if (!(typeof error === "object" && error !== null && "_tag" in error && error._tag === "RequestMismatch")) await howToResume()
  process.exitCode = 1
}

const parsed = parseCommand(process.argv.slice(2))
if (parsed === "help") {
  console.log(usage)
} else if ("error" in parsed) {
  console.error(`${parsed.error}\n\n${usage}`)
  process.exitCode = 2
} else {
  await run(parsed)
}
