/**
 * A benchmark scenario: one workload, written once per subject (Teasel, the bare-Effect floor,
 * other libraries), so that every figure can be read beside Teasel's.
 *
 * A new scenario is one module under `src/scenarios/` exporting a `Scenario`, plus one line in
 * `main.ts`. A scenario measured at several sizes (fan-out width, ...) lists one subject per name
 * and size; ratios then compare subjects of the same size.
 */
import type { Sample } from "./Measure.js"

/** The subject every ratio is taken against. */
export const baseline = "teasel"

/**
 * One complete, checked execution of a subject's workload; it throws if the result is wrong. A
 * workload that holds resources (a database file, a schema, a connection pool) releases them in
 * `close`, called once after the timed runs.
 */
export interface Run {
  (): Promise<void>
  readonly close?: (() => Promise<void>) | undefined
}

/** A run with the release of what its setup acquired. */
export const withClose = (run: () => Promise<void>, close: () => Promise<void>): Run => Object.assign(run, { close })

/** One program measured in a scenario. */
export interface Subject {
  readonly name: string
  /** Units of work in one run (steps, children, ...); a per-step figure divides by it. */
  readonly steps: number
  /**
   * The workload size this subject is measured at, when its scenario measures several. Its ratio
   * is taken against Teasel at the same size, and it is addressed as `name@size`.
   */
  readonly size?: number
  /** Why this subject differs from the others (fewer steps, ...), printed in its JSON line. */
  readonly note?: string
  /** Why this subject is not measured in this invocation; reported in place of its figures. */
  readonly skip?: string
  /** Overrides of the scenario's run counts, for subjects too slow to repeat as often. */
  readonly warmupRuns?: number
  readonly timedRuns?: number
  /**
   * Builds the workload, untimed (imports, graph construction, compilation), and returns one run.
   * Libraries are imported here rather than at the top of the module, so a subject's process only
   * loads (and pays memory for) its own library, and a missing library fails only its subject.
   */
  readonly setup: () => Promise<Run>
}

/** How a subject is addressed: its name, then `@size` when it has one (`teasel@10000`). */
export const key = (subject: { readonly name: string; readonly size?: number | undefined }): string =>
  subject.size === undefined ? subject.name : `${subject.name}@${subject.size}`

/** The time figure of a scenario: what is read from a sample, and in which unit. */
export interface Figure {
  readonly unit: string
  readonly of: (sample: Sample) => number
}

/** The median run divided by its steps: the cost of one unit of work. */
export const microsecondsPerStep: Figure = { unit: "us/step", of: (s) => s.usPerStep }

/** The median run, whole: the cost of the workload at its size. */
export const secondsPerRun: Figure = { unit: "s", of: (s) => s.medianMs / 1000 }

/** The samples of a scenario, by subject key, as targets read them. */
export type Samples = (key: string) => Sample | undefined

/** A goal stated for one subject, shown met or not beside its figure. */
export interface Target {
  /** The key of the subject the target is shown beside. */
  readonly subject: string
  /** The row it is shown on: the time figure (default) or the peak RSS. */
  readonly metric?: "time" | "peak-rss"
  readonly description: string
  /** `undefined` when a sample it needs is missing (a subject failed or was skipped). */
  readonly met: (samples: Samples) => { readonly met: boolean; readonly actual: string } | undefined
}

export interface Scenario {
  readonly name: string
  readonly description: string
  /** The time figure reported for every subject. */
  readonly figure: Figure
  readonly warmupRuns: number
  readonly timedRuns: number
  readonly subjects: ReadonlyArray<Subject>
  readonly targets: ReadonlyArray<Target>
}

/** Defines a scenario; the identity, kept so scenario modules read alike and are type-checked. */
export const make = (scenario: Scenario): Scenario => scenario

/**
 * A target on how much slower `subject` is than `base` per step (tracking's cost, say): at most
 * `limit` (0.2 for 20%), shown with the difference per step.
 */
export const overhead = (subject: string, base: string, limit: number): Target => ({
  subject,
  description: `<= ${limit * 100}% over ${base}`,
  met: (samples) => {
    const t = samples(subject)?.usPerStep
    const u = samples(base)?.usPerStep
    if (t === undefined || u === undefined) return undefined
    const extra = t / u - 1
    const diff = t - u
    const per = Math.abs(diff) < 1 ? `${(diff * 1000).toFixed(0)} ns/step` : `${diff.toFixed(1)} us/step`
    return { met: extra <= limit, actual: `${extra >= 0 ? "+" : ""}${(extra * 100).toFixed(0)}% (${diff >= 0 ? "+" : ""}${per})` }
  }
})

/** A fresh temporary directory for a subject's files (`file` in it), and its removal. */
export const tempDir = async (label: string) => {
  const { mkdtempSync, rmSync } = await import("node:fs")
  const { tmpdir } = await import("node:os")
  const { join } = await import("node:path")
  const dir = mkdtempSync(join(tmpdir(), `teasel-bench-${label}-`))
  return { file: join(dir, "store.db"), remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Throws when a subject produced the wrong result, so a broken run is never reported as fast. */
export const check = (subject: string, condition: boolean, expected: string, got: unknown): void => {
  if (!condition) {
    throw new Error(`${subject}: expected ${expected}, got ${JSON.stringify(got)}`)
  }
}
