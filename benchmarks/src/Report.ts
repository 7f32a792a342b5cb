/**
 * Turns samples into measurements with their ratio to Teasel, printed as one JSON line each (for
 * machines) and then one table (for people), with every target shown met or not.
 */
import type { Outcome } from "./Isolate.js"
import { baseline, key } from "./Scenario.js"
import type { Scenario } from "./Scenario.js"

/** One figure of one subject, as printed on its JSON line. */
export interface Measurement {
  readonly scenario: string
  readonly subject: string
  readonly metric: "time" | "peak-rss"
  readonly unit: string
  readonly value: number | null
  /** `value` divided by Teasel's value (at the same size) for the same metric; 1 for Teasel. */
  readonly ratioToTeasel: number | null
  readonly steps: number
  readonly size?: number
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
  /** Why the subject was not measured; `value` is then null. */
  readonly skipped?: string
}

// Three significant digits: enough to compare, few enough to read.
const round = (x: number): number => Number(x.toPrecision(3))

const ratio = (value: number | undefined, base: number | undefined): number | null =>
  value === undefined || base === undefined || base === 0 ? null : round(value / base)

/** The measurements of one scenario, given each subject's outcome by key (in the scenario's order). */
export const measurements = (
  scenario: Scenario,
  outcomes: ReadonlyMap<string, Outcome>
): ReadonlyArray<Measurement> => {
  const sampleOf = (k: string) => {
    const outcome = outcomes.get(k)
    return outcome?._tag === "Measured" ? outcome.sample : undefined
  }
  const time = scenario.figure.of

  return scenario.subjects.flatMap((subject): ReadonlyArray<Measurement> => {
    const outcome = outcomes.get(key(subject))
    if (outcome === undefined) return []
    const base = sampleOf(key({ name: baseline, size: subject.size }))
    const common = {
      scenario: scenario.name,
      subject: subject.name,
      steps: subject.steps,
      ...(subject.size === undefined ? {} : { size: subject.size }),
      ...(subject.note === undefined ? {} : { note: subject.note })
    }
    const targetsOn = (metric: "time" | "peak-rss") => {
      const results = scenario.targets
        .filter((t) => t.subject === key(subject) && (t.metric ?? "time") === metric)
        .map((t) => {
          const result = t.met(sampleOf)
          return result === undefined
            ? { target: t.description, met: null }
            : { target: t.description, met: result.met, actual: result.actual }
        })
      return results.length === 0 ? {} : { targets: results }
    }
    if (outcome._tag !== "Measured") {
      return [
        {
          ...common,
          metric: "time",
          unit: scenario.figure.unit,
          value: null,
          ratioToTeasel: null,
          ...(outcome._tag === "Failed" ? { error: outcome.error } : { skipped: outcome.reason })
        }
      ]
    }
    const s = outcome.sample
    return [
      {
        ...common,
        metric: "time",
        unit: scenario.figure.unit,
        value: round(time(s)),
        ratioToTeasel: ratio(time(s), base === undefined ? undefined : time(base)),
        runs: s.timedRuns,
        warmupRuns: s.warmupRuns,
        medianMs: round(s.medianMs),
        minMs: round(s.minMs),
        maxMs: round(s.maxMs),
        ...targetsOn("time")
      },
      {
        ...common,
        metric: "peak-rss",
        unit: "MB peak RSS",
        value: round(s.peakRssMb),
        ratioToTeasel: ratio(s.peakRssMb, base?.peakRssMb),
        baseRssMb: round(s.baseRssMb),
        ...targetsOn("peak-rss")
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

/**
 * The readable table: one row per measurement, ratios beside values, targets on their rows (a
 * subject's note where it has no target).
 */
export const printTable = (all: ReadonlyArray<Measurement>): void => {
  const header = ["scenario", "subject", "value", "unit", "vs teasel", "steps", "targets / note"]
  const rows = all.map((m) => [
    m.scenario,
    m.subject,
    m.value !== null ? String(m.value) : m.skipped !== undefined ? "SKIPPED" : "FAILED",
    m.unit,
    m.ratioToTeasel === null ? "-" : `${m.ratioToTeasel}x`,
    String(m.steps),
    m.error ?? m.skipped ?? (targetCell(m) || (m.metric === "time" ? (m.note ?? "") : ""))
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
