/**
 * Teasel for fp-ts users: actions written as `IO`, `Task`, `Either`, `TaskEither` and
 * `ReaderTaskEither`; transition conditions from `Predicate` / `Refinement`; parallel reduces from
 * a `Monoid` or `Semigroup`. The laws that make such a reduce order-insensitive are checked by
 * `@teasel/fp-ts/Testing`.
 *
 * @since 0.1.0
 */

/**
 * Actions from fp-ts `IO`, `Task`, `Either`, `TaskEither` and `ReaderTaskEither`.
 *
 * @since 0.1.0
 */
export * as FpAction from "./FpAction.js"

/**
 * Transition conditions from fp-ts `Predicate` / `Refinement` / `Option`.
 *
 * @since 0.1.0
 */
export * as Condition from "./Condition.js"

/**
 * Parallel reduces from a `Monoid` or `Semigroup`.
 *
 * @since 0.1.0
 */
export * as Reduce from "./Reduce.js"

/**
 * Running an application as an fp-ts `TaskEither`.
 *
 * @since 0.1.0
 */
export * as FpApplication from "./FpApplication.js"

export { runTaskEither } from "./FpApplication.js"
export { fromEither, fromIO, fromReaderTaskEither, fromTask, fromTaskEither } from "./FpAction.js"
export { isSome, on, when } from "./Condition.js"
export { foldMapWith, reduceWith, reduceWithSemigroup } from "./Reduce.js"
