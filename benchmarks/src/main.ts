/**
 * Runs benchmark scenarios and prints one JSON line per measurement, then a table.
 *
 *   pnpm bench                  every scenario
 *   pnpm bench loop fanout      the named scenarios
 *   pnpm bench sqlite-step pg-step sqlite-fanout   the persisted ones (PostgreSQL at TEASEL_PG_URL)
 *   pnpm bench loop/langgraph   one subject of a scenario, at every size (Teasel is always measured too)
 *   BENCH_FULL=1 pnpm bench     also the runs too slow for every day (LangGraph's 10,000-child fan-out)
 *
 * Each subject, at each size, is measured in a fresh process (see Isolate.ts); this process only
 * orchestrates.
 */
import { availableParallelism, loadavg } from "node:os"
import { runIsolated, work, WORKER_FLAG } from "./Isolate.js"
import type { Outcome } from "./Isolate.js"
import { measurements, printJson, printTable } from "./Report.js"
import type { Measurement } from "./Report.js"
import { baseline, key } from "./Scenario.js"
import type { Scenario, Subject } from "./Scenario.js"
import { clusterScenario } from "./scenarios/cluster.js"
import { fanout } from "./scenarios/fanout.js"
import { loop } from "./scenarios/loop.js"
import { persisted } from "./scenarios/persisted.js"

const scenarios: ReadonlyArray<Scenario> = [loop, fanout, ...persisted, clusterScenario]

interface Selection {
  readonly scenario: Scenario
  readonly subjects: ReadonlyArray<Subject>
}

// A selector is `scenario` or `scenario/subject`; none selects everything.
const select = (args: ReadonlyArray<string>): ReadonlyArray<Selection> => {
  if (args.length === 0) return scenarios.map((scenario) => ({ scenario, subjects: scenario.subjects }))
  return scenarios.flatMap((scenario) => {
    const wanted = args.filter((a) => a === scenario.name || a.startsWith(`${scenario.name}/`))
    if (wanted.length === 0) return []
    const all = wanted.includes(scenario.name)
    // Teasel is always measured too, so every figure still has its ratio beside it.
    const subjects = scenario.subjects.filter(
      (s) => all || s.name === baseline || wanted.includes(`${scenario.name}/${s.name}`)
    )
    return [{ scenario, subjects }]
  })
}

const orchestrate = async (args: ReadonlyArray<string>): Promise<number> => {
  const known = [...new Set(scenarios.flatMap((s) => [s.name, ...s.subjects.map((t) => `${s.name}/${t.name}`)]))]
  const unknown = args.filter((a) => !known.includes(a))
  if (unknown.length > 0) {
    process.stderr.write(`Unknown scenario ${unknown.join(", ")}; known: ${known.join(", ")}\n`)
    return 2
  }
  // Other work on the machine competes with the runs; say so, as the figures will be noisy.
  const [load] = loadavg()
  if (load !== undefined && load > availableParallelism()) {
    process.stderr.write(`Load average ${load.toFixed(2)} on ${availableParallelism()} CPUs: expect noisy figures\n`)
  }
  const all: Array<Measurement> = []
  for (const { scenario, subjects } of select(args)) {
    const outcomes = new Map<string, Outcome>()
    // One at a time: subjects measured concurrently would compete for the CPU.
    for (const subject of subjects) {
      if (subject.skip !== undefined) {
        process.stderr.write(`${scenario.name}/${key(subject)} skipped: ${subject.skip}\n`)
        outcomes.set(key(subject), { _tag: "Skipped", reason: subject.skip })
      } else {
        outcomes.set(key(subject), await runIsolated(scenario, key(subject)))
      }
    }
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
