/**
 * Turns samples into measurements with their ratio to Teasel, printed as one JSON line each (for
 * machines) and then one table (for people), with every target shown met or not.
 */
import type { Outcome } from "./Isolate.js"
import { baseline } from "./Scenario.js"
import type { Scenario } from "./Scenario.js"

/** One figure of one subject, as printed on its JSON line. */
export interface Measurement {
  readonly scenario: string
  readonly subject: string
  readonly metric: "time" | "peak-rss"
  readonly unit: string
  readonly value: number | null
  /** `value` divided by Teasel's value for the same metric; 1 for Teasel itself. */
  readonly ratioToTeasel: number | null
  readonly steps: number
  readonly runs?: number
  readonly warmupRuns?: number
  readonly medianMs?: number
  readonly minMs?: number
  readonly maxMs?: number
  readonly note?: string
  /** For peak RSS: the process's RSS after setup and warm-up, so the growth during runs shows. */
  readonly baseRssMb?: number
  readonly targets?: ReadonlyArray<{ readonly target: string; readonly met: boolean | null; readonly actual?: string }>
  readonly error?: string
}

// Three significant digits: enough to compare, few enough to read.
const round = (x: number): number => Number(x.toPrecision(3))

const ratio = (value: number | undefined, base: number | undefined): number | null =>
  value === undefined || base === undefined || base === 0 ? null : round(value / base)

/** The measurements of one scenario, given each subject's outcome (in the scenario's order). */
export const measurements = (
  scenario: Scenario,
  outcomes: ReadonlyMap<string, Outcome>
): ReadonlyArray<Measurement> => {
  const sampleOf = (name: string) => {
    const outcome = outcomes.get(name)
    return outcome?._tag === "Measured" ? outcome.sample : undefined
  }
  const perStep = (name: string) => sampleOf(name)?.usPerStep
  const base = sampleOf(baseline)

  return scenario.subjects.flatMap((subject): ReadonlyArray<Measurement> => {
    if (!outcomes.has(subject.name)) return []
    const outcome = outcomes.get(subject.name)!
    const common = {
      scenario: scenario.name,
      subject: subject.name,
      steps: subject.steps,
      ...(subject.note === undefined ? {} : { note: subject.note })
    }
    const targets = scenario.targets
      .filter((t) => t.subject === subject.name)
      .map((t) => {
        const result = t.met(perStep)
        return result === undefined
          ? { target: t.description, met: null }
          : { target: t.description, met: result.met, actual: result.actual }
      })
    if (outcome._tag === "Failed") {
      return [
        { ...common, metric: "time", unit: scenario.unit, value: null, ratioToTeasel: null, error: outcome.error }
      ]
    }
    const s = outcome.sample
    return [
      {
        ...common,
        metric: "time",
        unit: scenario.unit,
        value: round(s.usPerStep),
        ratioToTeasel: ratio(s.usPerStep, base?.usPerStep),
        runs: s.timedRuns,
        warmupRuns: s.warmupRuns,
        medianMs: round(s.medianMs),
        minMs: round(s.minMs),
        maxMs: round(s.maxMs),
        ...(targets.length === 0 ? {} : { targets })
      },
      {
        ...common,
        metric: "peak-rss",
        unit: "MB peak RSS",
        value: round(s.peakRssMb),
        ratioToTeasel: ratio(s.peakRssMb, base?.peakRssMb),
        baseRssMb: round(s.baseRssMb)
      }
    ]
  })
}

/** One JSON line per measurement. */
export const printJson = (all: ReadonlyArray<Measurement>): void => {
  for (const m of all) process.stdout.write(`${JSON.stringify(m)}\n`)
}

const targetCell = (m: Measurement): string =>
  (m.targets ?? [])
    .map((t) => `${t.target}: ${t.met === null ? "n/a" : t.met ? "MET" : "NOT MET"}${t.actual ? ` (${t.actual})` : ""}`)
    .join("; ")

/** The readable table: one row per measurement, ratios beside values, targets on their rows. */
export const printTable = (all: ReadonlyArray<Measurement>): void => {
  const header = ["scenario", "subject", "value", "unit", "vs teasel", "steps", "targets"]
  const rows = all.map((m) => [
    m.scenario,
    m.subject,
    m.value === null ? "FAILED" : String(m.value),
    m.unit,
    m.ratioToTeasel === null ? "-" : `${m.ratioToTeasel}x`,
    String(m.steps),
    m.error ?? targetCell(m)
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  // Numbers align right, text left.
  const numeric = new Set([2, 4, 5])
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd()
  process.stdout.write(`\n${line(header)}\n${line(widths.map((w) => "-".repeat(w)))}\n`)
  for (const r of rows) process.stdout.write(`${line(r)}\n`)
  process.stdout.write("\n")
}
