/**
 * Property-based testing of Teasel actions, parallel steps and whole workflows.
 *
 * - Arbitraries: `fromSchema`, `frozen`, `toArbitrary` — deep-frozen generators of states and inputs.
 * - Laws: `checkAction`, `checkOrderInsensitive`, `checkReduce` — each rejects with a `LawError`
 *   showing the law broken and a shrunk counterexample.
 * - Exploration: `explore` — many seeded schedules (delays, branch failures, interruptions and
 *   resumes) on a virtual clock, with a user invariant checked after each run.
 * - Crash simulation: `checkCrash` — kill a persisted run after its k-th saved step, resume it,
 *   and compare with an uninterrupted run.
 * - Record and replay: `fromRecords`, `replayFiles`, `writeReplay`, `replay` — turn tracked steps
 *   into test files.
 *
 * @since 0.1.0
 */
export * from "./Arbitraries.js"
export * from "./Crash.js"
export * from "./Explore.js"
export * from "./LawError.js"
export * from "./Laws.js"
export * from "./ReduceLaws.js"
export * from "./Replay.js"

/**
 * This module as a namespace, so that `import { Testing } from "@teasel/testing/Testing"` works
 * as well as `import * as Testing from "@teasel/testing/Testing"`.
 *
 * @example
 * ```ts
 * import { Testing } from "@teasel/testing/Testing"
 * typeof Testing.checkAction // "function"
 * ```
 * @since 0.2.0
 */
export * as Testing from "./Testing.js"
