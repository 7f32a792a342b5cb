/**
 * Teasel testing: laws of actions and parallel steps, schedule exploration, crash simulation and
 * record-and-replay, on fast-check and Effect's TestClock.
 *
 * `Testing` needs no test runner; `PersistenceTest` registers vitest tests (import
 * `@teasel/testing/Testing` to stay clear of vitest).
 *
 * @since 0.1.0
 */

/**
 * Property-based testing of actions, parallel steps and workflows.
 *
 * @since 0.1.0
 */
export * as Testing from "./Testing.js"

/**
 * The conformance suite for `Persistence` backends (vitest).
 *
 * @since 0.1.0
 */
export * as PersistenceTest from "./PersistenceTest.js"
