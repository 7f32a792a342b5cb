/**
 * Teasel testing: laws of actions and parallel steps, schedule exploration, crash simulation and
 * record-and-replay, on fast-check and Effect's TestClock.
 *
 * `Testing` needs no test runner. The conformance suite for persistence backends registers vitest
 * tests, so it is not loaded from here: import it from `@teasel/testing/PersistenceTest`.
 *
 * @since 0.1.0
 */

/**
 * Property-based testing of actions, parallel steps and workflows.
 *
 * @since 0.1.0
 */
export * as Testing from "./Testing.js"
