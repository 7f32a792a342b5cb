/**
 * The command line of the poems program: flags with defaults, checked before anything runs.
 */
import { isAbsolute, relative, resolve } from "node:path"
import { parseArgs } from "node:util"
import type { Request } from "./poems.js"

/** Where the demo keeps its applications unless `--db` or `--memory` says otherwise. */
export const defaultDb = ".teasel/teasel.db"

export const usage = `usage: pnpm demo [--id ID] [--db FILE | --memory] [--subject TEXT] [--styles A,B,C] [--drafts N] [--delay MS]

  --subject   what the poems are about             (default: "state machines")
  --styles    comma-separated poem styles           (default: sonnet,limerick,haiku)
  --drafts    drafts per style, at least 1          (default: 2)
  --id        the application to resume, or to start under this id
                                                    (default: a new id, printed with the command to resume it)
  --db        the SQLite file every step is saved and tracked in (default: ${defaultDb}, from where you run;
              \`pnpm ui\` shows what it tracked)
  --memory    save and track nothing: keep the steps in memory only
  --delay     milliseconds per local model call, to watch it run (default: 20–80)

Run again with the same --id to resume: styles whose poems were finished are not written again.
Ctrl-C stops the run; the steps completed so far stay saved.

Set OPENAI_API_KEY to use OpenAI (OPENAI_MODEL, OPENAI_BASE_URL); otherwise a local model runs.`

/** What the command line asks for. */
export interface Command {
  /** The poems to write, when the application starts fresh (a resumed one keeps its own). */
  readonly request: Request
  /** Which of `subject`, `styles` and `drafts` were given on the command line. */
  readonly given: ReadonlyArray<"subject" | "styles" | "drafts">
  /** The application's id: `--id`, or a new one. */
  readonly id: string
  /** Whether `id` came from `--id`. */
  readonly idGiven: boolean
  /** The SQLite file (an absolute path), or `undefined` with `--memory`. */
  readonly db: string | undefined
  /** `--delay`: how long each call of the local model takes, in milliseconds. */
  readonly delay: number | undefined
  /** The arguments that resume this application: `--id` and the other flags as given. */
  readonly resumeArgs: ReadonlyArray<string>
}

export interface ParseOptions {
  /**
   * The directory relative paths are resolved against: where the user ran the command. Under
   * `pnpm demo` (and any package script) that is `INIT_CWD`, not the package directory pnpm runs
   * the script in.
   */
  readonly cwd?: string | undefined
  /** Makes the id of a new application. */
  readonly newId?: (() => string) | undefined
}

/** A new application id: short enough to type back. */
export const newId = (): string => `poems-${crypto.randomUUID().slice(0, 8)}`

/** The directory the user ran the program from. */
export const userCwd = (): string => process.env["INIT_CWD"] || process.cwd()

/** The command from the command line, or a message saying what is wrong with it. */
export const parseCommand = (
  argv: ReadonlyArray<string>,
  options: ParseOptions = {}
): Command | { readonly error: string } | "help" => {
  // `pnpm start -- --flag` passes the separator through; it is not an argument.
  const args = argv[0] === "--" ? argv.slice(1) : [...argv]
  let values
  try {
    values = parseArgs({
      args,
      options: {
        subject: { type: "string" },
        styles: { type: "string" },
        drafts: { type: "string" },
        id: { type: "string" },
        db: { type: "string" },
        memory: { type: "boolean", default: false },
        delay: { type: "string" },
        help: { type: "boolean", short: "h", default: false }
      }
    }).values
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) }
  }
  if (values.help) return "help"
  const subject = (values.subject ?? "state machines").trim()
  const styles = (values.styles ?? "sonnet,limerick,haiku").split(",").map((s) => s.trim()).filter((s) => s.length > 0)
  const draftsText = values.drafts ?? "2"
  const maxDrafts = Number(draftsText)
  if (subject === "") return { error: "--subject must not be empty" }
  if (styles.length === 0) return { error: "--styles must name at least one style" }
  if (!/^\s*\d+\s*$/.test(draftsText) || !Number.isInteger(maxDrafts) || maxDrafts < 1) {
    return { error: `--drafts must be a whole number ≥ 1 (got "${draftsText}")` }
  }
  const id = values.id?.trim()
  if (id === "") return { error: "--id must not be empty" }
  if (values.memory && values.db !== undefined) return { error: "--db and --memory cannot be used together" }
  if (values.db !== undefined && values.db.trim() === "") return { error: "--db must name a file" }
  let delay: number | undefined
  if (values.delay !== undefined) {
    delay = Number(values.delay)
    if (values.delay.trim() === "" || !Number.isFinite(delay) || delay < 0) {
      return { error: `--delay must be a number of milliseconds ≥ 0 (got "${values.delay}")` }
    }
  }

  const cwd = options.cwd ?? userCwd()
  const resolvedId = id ?? (options.newId ?? newId)()
  const given = (["subject", "styles", "drafts"] as const).filter((flag) => values[flag] !== undefined)
  const resumeArgs = ["--id", resolvedId]
  for (const flag of ["subject", "styles", "drafts", "db", "delay"] as const) {
    const value = values[flag]
    if (value !== undefined) resumeArgs.push(`--${flag}`, value)
  }
  return {
    request: { subject, styles, maxDrafts },
    given,
    id: resolvedId,
    idGiven: id !== undefined,
    db: values.memory ? undefined : resolve(cwd, values.db ?? defaultDb),
    delay,
    resumeArgs
  }
}

/** `arg` as a POSIX shell reads it back: quoted when it holds anything but plain characters. */
export const shellQuote = (arg: string): string =>
  /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`

/** A command line from its words, quoted for the shell. */
export const commandLine = (words: ReadonlyArray<string>): string => words.map(shellQuote).join(" ")

/** `file` as the user would type it from `cwd`: relative when it is below `cwd`. */
export const displayPath = (file: string, cwd: string = userCwd()): string => {
  const rel = relative(cwd, file)
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file
}
