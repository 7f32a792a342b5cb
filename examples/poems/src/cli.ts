/**
 * The command line of the poems program: flags with defaults, checked before anything runs.
 */
import { parseArgs } from "node:util"
import type { Request } from "./poems.js"

export const usage = `usage: tsx src/main.ts [--subject TEXT] [--styles A,B,C] [--drafts N]

  --subject   what the poems are about            (default: "state machines")
  --styles    comma-separated poem styles          (default: sonnet,limerick,haiku)
  --drafts    drafts per style, at least 1         (default: 2)

Set OPENAI_API_KEY to use OpenAI (OPENAI_MODEL, OPENAI_BASE_URL); otherwise a local model runs.`

/** The request from the command line, or a message saying what is wrong with it. */
export const parseRequest = (argv: ReadonlyArray<string>): Request | { readonly error: string } | "help" => {
  // `pnpm start -- --flag` passes the separator through; it is not an argument.
  const args = argv[0] === "--" ? argv.slice(1) : [...argv]
  let values
  try {
    values = parseArgs({
      args,
      options: {
        subject: { type: "string", default: "state machines" },
        styles: { type: "string", default: "sonnet,limerick,haiku" },
        drafts: { type: "string", default: "2" },
        help: { type: "boolean", short: "h", default: false }
      }
    }).values
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) }
  }
  if (values.help) return "help"
  const subject = values.subject.trim()
  const styles = values.styles.split(",").map((s) => s.trim()).filter((s) => s.length > 0)
  const maxDrafts = Number(values.drafts)
  if (subject === "") return { error: "--subject must not be empty" }
  if (styles.length === 0) return { error: "--styles must name at least one style" }
  if (!Number.isInteger(maxDrafts) || maxDrafts < 1) return { error: `--drafts must be a whole number ≥ 1 (got "${values.drafts}")` }
  return { subject, styles, maxDrafts }
}

