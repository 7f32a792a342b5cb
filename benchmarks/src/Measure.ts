/**
 * Times one subject: warm-up runs, then timed runs with `performance.now()`, reporting the median
 * and the peak resident set size seen while the timed runs went on.
 */
import type { Run, Subject } from "./Scenario.js"

/** What one subject's measurement produced, before ratios are taken. */
export interface Sample {
  readonly steps: number
  readonly warmupRuns: number
  readonly timedRuns: number
  readonly medianMs: number
  readonly minMs: number
  readonly maxMs: number
  /** Median run time divided by steps, in microseconds. */
  readonly usPerStep: number
  /** Resident set size after setup and warm-up, before the timed runs. */
  readonly baseRssMb: number
  readonly peakRssMb: number
}

/** The median of a non-empty list; the mean of the middle two for an even count. */
export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const mb = (bytes: number): number => bytes / (1024 * 1024)

// A run that never yields to the event loop starves the interval, so RSS is also sampled around
// every run; together they bound the peak closely enough for a comparison.
const RSS_SAMPLE_INTERVAL_MS = 5

// No forced `gc()` between runs: on a small machine the collector's concurrent work after a forced
// full collection slowed the next sub-millisecond run up to tenfold. Garbage collection is left to
// happen as in real use, and its cost is spread over the runs the median is taken from.
/** Measures a subject with the given run counts (the subject's own override wins). */
export const measure = async (
  subject: Subject,
  defaults: { readonly warmupRuns: number; readonly timedRuns: number }
): Promise<Sample> => {
  const warmupRuns = subject.warmupRuns ?? defaults.warmupRuns
  const timedRuns = subject.timedRuns ?? defaults.timedRuns
  const run = await subject.setup()
  try {
    return await timed(subject.steps, run, warmupRuns, timedRuns)
  } finally {
    await run.close?.()
  }
}

const timed = async (steps: number, run: Run, warmupRuns: number, timedRuns: number): Promise<Sample> => {
  for (let i = 0; i < warmupRuns; i++) await run()

  const baseRss = process.memoryUsage().rss
  let peakRss = baseRss
  const sample = (): void => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }
  const timer = setInterval(sample, RSS_SAMPLE_INTERVAL_MS)
  const times: Array<number> = []
  try {
    for (let i = 0; i < timedRuns; i++) {
      const start = performance.now()
      await run()
      times.push(performance.now() - start)
      sample()
    }
  } finally {
    clearInterval(timer)
  }

  const medianMs = median(times)
  return {
    steps,
    warmupRuns,
    timedRuns,
    medianMs,
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    usPerStep: (medianMs * 1000) / steps,
    baseRssMb: mb(baseRss),
    peakRssMb: mb(peakRss)
  }
}
