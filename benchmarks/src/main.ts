/**
 * Runs benchmark scenarios and prints one JSON line per measurement, then a table.
 *
 *   pnpm bench                  every scenario
 *   pnpm bench loop             the named scenarios
 *   pnpm bench loop/langgraph   one subject of a scenario (Teasel is always measured too)
 *
 * Each subject is measured in a fresh process (see Isolate.ts); this process only orchestrates.
 */
import { runIsolated, work, WORKER_FLAG } from "./Isolate.js"
import type { Outcome } from "./Isolate.js"
import { measurements, printJson, printTable } from "./Report.js"
import type { Measurement } from "./Report.js"
import { baseline } from "./Scenario.js"
import type { Scenario } from "./Scenario.js"
import { loop } from "./scenarios/loop.js"

const scenarios: ReadonlyArray<Scenario> = [loop]

interface Selection {
  readonly scenario: Scenario
  readonly subjects: ReadonlyArray<string>
}

// A selector is `scenario` or `scenario/subject`; none selects everything.
const select = (args: ReadonlyArray<string>): ReadonlyArray<Selection> => {
  if (args.length === 0) {
    return scenarios.map((scenario) => ({ scenario, subjects: scenario.subjects.map((s) => s.name) }))
  }
  return scenarios.flatMap((scenario) => {
    const wanted = args.filter((a) => a === scenario.name || a.startsWith(`${scenario.name}/`))
    if (wanted.length === 0) return []
    const all = wanted.includes(scenario.name)
    // Teasel is always measured too, so every figure still has its ratio beside it.
    const subjects = scenario.subjects
      .map((s) => s.name)
      .filter((n) => all || n === baseline || wanted.includes(`${scenario.name}/${n}`))
    return [{ scenario, subjects }]
  })
}

const orchestrate = async (args: ReadonlyArray<string>): Promise<number> => {
  const known = scenarios.flatMap((s) => [s.name, ...s.subjects.map((t) => `${s.name}/${t.name}`)])
  const unknown = args.filter((a) => !known.includes(a))
  if (unknown.length > 0) {
    process.stderr.write(`Unknown scenario ${unknown.join(", ")}; known: ${known.join(", ")}\n`)
    return 2
  }
  const all: Array<Measurement> = []
  for (const { scenario, subjects } of select(args)) {
    const outcomes = new Map<string, Outcome>()
    // One at a time: subjects measured concurrently would compete for the CPU.
    for (const subject of subjects) outcomes.set(subject, await runIsolated(scenario, subject))
    const ms = measurements(scenario, outcomes)
    printJson(ms)
    all.push(...ms)
  }
  printTable(all)
  return all.some((m) => m.error !== undefined) ? 1 : 0
}

// pnpm forwards a literal `--` when arguments are passed as `pnpm bench -- loop`.
const args = process.argv.slice(2).filter((a) => a !== "--")
if (args[0] === WORKER_FLAG) {
  await work(scenarios, args[1] ?? "", args[2] ?? "")
} else {
  process.exitCode = await orchestrate(args)
}
