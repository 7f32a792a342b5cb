/**
 * What the UI tests look at: the poem demo run for real (a child process, tracked into a temp
 * SQLite file), a large application made with the SQL tracker, a headless Chromium, and where
 * screenshots go.
 */
import { spawn } from "node:child_process"
import { existsSync, mkdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { Application, Graph, mapStates, Tracking } from "@teasel/core"
import { SqlTracking } from "@teasel/sql"
import { type Browser, chromium } from "playwright-core"

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..")

/** Where the tests save their screenshots (git ignores it). */
export const screenshots = join(repo, "screenshots")
mkdirSync(screenshots, { recursive: true })

/** Runs `pnpm demo` with `args` (its sources, the local model); resolves with its exit code and output. */
export const demo = (...args: ReadonlyArray<string>) => {
  const { OPENAI_API_KEY: _, ...env } = process.env
  const child = spawn(process.execPath, ["--conditions=@teasel/source", "--import", "tsx", "src/main.ts", ...args], {
    cwd: join(repo, "examples", "poems"),
    env,
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout.setEncoding("utf8").on("data", (s: string) => (output += s))
  child.stderr.setEncoding("utf8").on("data", (s: string) => (output += s))
  const exit = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, output }))
  )
  return { child, exit }
}

/**
 * Headless Chromium from Debian's package. Missing, it fails the tests (they never skip): the
 * machine needs `apt-get install -y chromium`, as `.ci/run` does.
 */
export const launchChromium = (): Promise<Browser> => {
  const executablePath = process.env["TEASEL_CHROMIUM"] ?? "/usr/bin/chromium"
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium is missing at ${executablePath}: the UI's browser tests need it. ` +
        "Install it with `apt-get update && apt-get install -y chromium` (.ci/run does), or set TEASEL_CHROMIUM."
    )
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
  })
}

/** The state of the large application. */
export interface Big {
  readonly count: number
  readonly sum: number
  readonly recent: ReadonlyArray<number>
}

/**
 * A large application tracked into `filename`: a parallel step of `children` sub-graph children
 * (two steps each), then `steps` more steps. Its id is `large`, in project `large`.
 */
export const trackLarge = (filename: string, options: { readonly children: number; readonly steps: number }) => {
  interface Child {
    readonly i: number
    readonly squared: number
  }
  const square = (s: Child): Child => ({ ...s, squared: s.i * s.i })
  const check = (s: Child): Child => s
  const child = Graph.make({ actions: { square, check }, transitions: [["square", "check"]], entrypoint: "square" })
  const fan = mapStates(
    Graph.subgraph(child),
    (_: Big) => Array.from({ length: options.children }, (_, i): Child => ({ i, squared: 0 })),
    (s, results) => ({ ...s, sum: results.reduce((a, r) => a + r.squared, 0) })
  )
  const tick = (s: Big): Big => ({ ...s, count: s.count + 1, recent: [...s.recent.slice(-4), s.count + 1] })
  const graph = Graph.make({
    actions: { fan, tick, done: (s: Big) => s },
    transitions: [["fan", "tick"], ["tick", "done", (s) => s.count >= options.steps - 2], ["tick", "tick"]],
    entrypoint: "fan"
  })
  return Effect.runPromise(
    Application.run(Application.make({ graph, state: { count: 0, sum: 0, recent: [] }, id: "large" })).pipe(
      Effect.provide(SqlTracking.layerSqlite({ filename })),
      Effect.provideService(Tracking.CurrentProject, "large")
    )
  )
}
