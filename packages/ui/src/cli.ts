/**
 * The `teasel` command:
 *
 *   teasel ui [--db FILE] [--port N] [--host ADDRESS]
 *
 * serves the tracking UI from the SQLite file that `SqlTracking.layerSqlite` writes (by default
 * `.teasel/teasel.db`, where `pnpm demo` tracks its runs), on http://127.0.0.1:7241.
 */
import { existsSync } from "node:fs"
import { resolve } from "node:path"
import { parseArgs } from "node:util"
import * as Server from "./Server.js"

const defaultDb = ".teasel/teasel.db"

const usage = `usage: teasel ui [--db FILE] [--port N] [--host ADDRESS]

  --db     the SQLite file applications were tracked in   (default: ${defaultDb}, from where you run)
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
  const filename = resolve(userCwd(), values.db ?? defaultDb)
  const fresh = !existsSync(filename)
  let server: Server.Server
  try {
    server = await Server.start({ filename, port, host: values.host })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    console.error(
      code === "EADDRINUSE"
        ? `Port ${port} is in use: another teasel ui? Choose another with --port.`
        : `teasel ui could not start: ${error instanceof Error ? error.message : String(error)}`
    )
    return 1
  }
  console.log(`Teasel UI on ${server.url}  (tracking store: ${filename})`)
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

process.exitCode = await main(process.argv.slice(2))
