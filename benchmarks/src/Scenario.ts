/**
 * A benchmark scenario: one workload, written once per subject (Teasel, the bare-Effect floor,
 * other libraries), so that every figure can be read beside Teasel's.
 *
 * A new scenario is one module under `src/scenarios/` exporting a `Scenario`, plus one line in
 * `main.ts`.
 */

/** The subject every ratio is taken against. */
export const baseline = "teasel"

/** One complete, checked execution of a subject's workload; it throws if the result is wrong. */
export type Run = () => Promise<void>

/** One program measured in a scenario. */
export interface Subject {
  readonly name: string
  /** Units of work in one run (steps, children, ...); the reported value is per unit. */
  readonly steps: number
  /** Why this subject differs from the others (fewer steps, ...), printed in its JSON line. */
  readonly note?: string
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

/** The per-step figures of a scenario, by subject name, as targets read them. */
export type Figures = (subject: string) => number | undefined

/** A goal stated for one subject, shown met or not beside its figure. */
export interface Target {
  readonly subject: string
  readonly description: string
  /** `undefined` when a figure it needs is missing (a subject failed). */
  readonly met: (perStep: Figures) => { readonly met: boolean; readonly actual: string } | undefined
}

export interface Scenario {
  readonly name: string
  readonly description: string
  /** Unit of the time figure, e.g. `us/step`. */
  readonly unit: string
  readonly warmupRuns: number
  readonly timedRuns: number
  readonly subjects: ReadonlyArray<Subject>
  readonly targets: ReadonlyArray<Target>
}

/** Defines a scenario; the identity, kept so scenario modules read alike and are type-checked. */
export const make = (scenario: Scenario): Scenario => scenario

/** Throws when a subject produced the wrong result, so a broken run is never reported as fast. */
export const check = (subject: string, condition: boolean, expected: string, got: unknown): void => {
  if (!condition) {
    throw new Error(`${subject}: expected ${expected}, got ${JSON.stringify(got)}`)
  }
}
