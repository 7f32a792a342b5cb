/**
 * The `teasel` command:
 *
 *   teasel ui [--db FILE | --db postgres://...] [--schema NAME] [--port N] [--host ADDRESS]
 *
 * serves the tracking UI from the SQLite file that `SqlTracking.layerSqlite` writes (by default
 * `.teasel/teasel.db`, where `pnpm demo` tracks its runs), or from the PostgreSQL database that
 * `SqlTracking.layerPg` writes, on http://127.0.0.1:7241.
 */
import { existsSync } from "node:fs"
import { resolve } from "node:path"
import { parseArgs } from "node:util"
import * as Server from "./Server.js"

const defaultDb = ".teasel/teasel.db"

const usage = `usage: teasel ui [--db FILE | --db postgres://...] [--schema NAME] [--port N] [--host ADDRESS]

  --db     where applications were tracked: a SQLite file (default: ${defaultDb}, from where you run),
           or a PostgreSQL URL (postgres://user@host:5432/database)
  --schema with a PostgreSQL URL: the schema the tracker wrote to, when not the default search path
  --port   the port to listen on                          (default: ${Server.defaultPort}; 0 picks a free one)
  --host   the address to listen on                       (default: ${Server.defaultHost}, this machine only;
           any other address shows every tracked state to whoever can reach it)`

/** The directory the user ran the command from (`pnpm ui` runs it in the package directory). */
const userCwd = () => process.env["INIT_CWD"] || process.cwd()

const main = async (argv: ReadonlyArray<string>): Promise<number> => {
  const args = argv[0] === "--" ? argv.slice(1) : [...argv]
  let parsed
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        db: { type: "string" },
        schema: { type: "string" },
        port: { type: "string" },
        host: { type: "string" },
        help: { type: "boolean", short: "h", default: false }
      }
    })
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`)
    return 2
  }
  const { positionals, values } = parsed
  if (values.help) {
    console.log(usage)
    return 0
  }
  const command = positionals.filter((p) => p !== "--")
  if (command.length !== 1 || command[0] !== "ui") {
    console.error(`${command.length === 0 ? "no command given" : `unknown command "${command.join(" ")}"`}\n\n${usage}`)
    return 2
  }
  const port = values.port === undefined ? Server.defaultPort : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a whole number from 0 to 65535 (got "${values.port}")`)
    return 2
  }
  const url = values.db !== undefined && /^postgres(ql)?:\/\//.test(values.db) ? values.db : undefined
  if (values.schema !== undefined && url === undefined) {
    console.error(`--schema goes with a PostgreSQL URL in --db (got ${values.db === undefined ? "no --db" : `"${values.db}"`})`)
    return 2
  }
  const filename = url === undefined ? resolve(userCwd(), values.db ?? defaultDb) : undefined
  const fresh = filename !== undefined && !existsSync(filename)
  const where = filename ?? `${redact(url!)}${values.schema === undefined ? "" : `, schema ${values.schema}`}`
  let server: Server.Server
  try {
    server = await Server.start({ filename, url, pgSchema: values.schema, port, host: values.host })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    console.error(
      code === "EADDRINUSE"
        ? `Port ${port} is in use: another teasel ui? Choose another with --port.`
        : `teasel ui could not start: ${error instanceof Error ? error.message : String(error)}`
    )
    return 1
  }
  console.log(`Teasel UI on ${server.url}  (tracking store: ${where})`)
  if (fresh) console.log("Nothing is tracked there yet: runs appear as they are tracked (try `pnpm demo`).")
  if (values.host !== undefined && values.host !== Server.defaultHost) {
    console.log(`Listening on ${values.host}: anyone who can reach it can read every tracked state.`)
  }
  console.log("Ctrl-C stops it.")
  await new Promise<void>((done) => {
    process.once("SIGINT", () => done())
    process.once("SIGTERM", () => done())
  })
  await server.close()
  return 0
}

/** A URL without its password, to print. */
const redact = (url: string): string => {
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") parsed.password = "***"
    return parsed.toString()
  } catch {
    return url
  }
}

process.exitCode = await main(process.argv.slice(2))
