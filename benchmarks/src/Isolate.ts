/**
 * Runs each subject in its own Node process. Subjects measured in one process would share the JIT's
 * type feedback (Teasel and the floor both run Effect's fiber loop) and each other's heap, which
 * skews both time and peak RSS; a fresh process per subject keeps the figures independent.
 */
import { spawn } from "node:child_process"
import { measure } from "./Measure.js"
import type { Sample } from "./Measure.js"
import { key } from "./Scenario.js"
import type { Scenario } from "./Scenario.js"

/** The flag that makes `main.ts` measure one subject instead of orchestrating. */
export const WORKER_FLAG = "--worker"

// Prefixes the worker's result so whatever else a library prints on stdout is not mistaken for it.
const RESULT_MARK = "@@teasel-bench-sample "

export type Outcome =
  | { readonly _tag: "Measured"; readonly sample: Sample }
  | { readonly _tag: "Failed"; readonly error: string }
  | { readonly _tag: "Skipped"; readonly reason: string }

/**
 * Measures the subject with key `subject` (see `Scenario.key`) of `scenario` in a child process
 * started like this one (same tsx loader).
 */
export const runIsolated = (scenario: Scenario, subject: string): Promise<Outcome> =>
  new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, process.argv[1]!, WORKER_FLAG, scenario.name, subject],
      { stdio: ["ignore", "pipe", "pipe"] }
    )
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.on("error", (error) => resolve({ _tag: "Failed", error: error.message }))
    child.on("close", (code) => {
      const line = stdout.split("\n").find((l) => l.startsWith(RESULT_MARK))
      if (code === 0 && line !== undefined) {
        resolve({ _tag: "Measured", sample: JSON.parse(line.slice(RESULT_MARK.length)) as Sample })
      } else {
        resolve({ _tag: "Failed", error: firstError(stderr) ?? `worker exited with code ${code}` })
      }
    })
  })

// The worker's stderr holds a stack trace; its first line that starts with an error's name
// (`Error: ...`) is the useful part (a code frame above it may quote `throw new Error(`), else its
// first line that mentions an error.
const firstError = (stderr: string): string | undefined => {
  const lines = stderr.split("\n")
  return (lines.find((l) => /^\s*\w*Error\b:/.test(l)) ?? lines.find((l) => /error/i.test(l)))?.trim() ??
    (stderr.trim() || undefined)
}

/** The worker side: measures one subject and prints its sample for the parent. */
export const work = async (
  scenarios: ReadonlyArray<Scenario>,
  scenarioName: string,
  subjectKey: string
): Promise<void> => {
  const scenario = scenarios.find((s) => s.name === scenarioName)
  const subject = scenario?.subjects.find((s) => key(s) === subjectKey)
  if (scenario === undefined || subject === undefined) {
    throw new Error(`No subject "${subjectKey}" in scenario "${scenarioName}"`)
  }
  const sample = await measure(subject, scenario)
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(sample)}\n`)
}
