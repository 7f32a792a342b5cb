/**
 * Reduces of parallel steps from fp-ts algebra. A parallel combinator (`mapStates`, `mapActions`,
 * `product`, `tasks`) hands its `reduce` the children's final states in task order; a reduce built
 * from a `Monoid` combines them with `concat`, starting from `empty`, and puts the result into the
 * parent's state.
 *
 * Associativity makes the grouping irrelevant; a reduce is independent of the order of its
 * results only when `concat` is also **commutative** (sums, maxima, set unions, counts by key are;
 * string or array concatenation is not). `checkMonoid` from `@teasel/fp-ts/Testing` checks all
 * three laws on generated values.
 *
 * Failures (`onError: "collect"`) are not combined: `results` holds only the successes.
 *
 * @since 0.1.0
 */
import { concatAll as monoidConcatAll, type Monoid } from "fp-ts/lib/Monoid.js"
import { concatAll as semigroupConcatAll, type Semigroup } from "fp-ts/lib/Semigroup.js"

/**
 * A parallel step's reduce: `(state, results) => next state` (the combinators also pass the
 * failures, which these reduces ignore).
 *
 * @category models
 * @since 0.1.0
 */
export type Reduce<S, C> = (state: S, results: ReadonlyArray<C>) => S

/**
 * A reduce that combines the children's states with `monoid` and hands the result to `into`.
 *
 * @example
 * ```ts
 * import * as M from "fp-ts/lib/Monoid.js"
 * import * as N from "fp-ts/lib/number.js"
 * import { Application, Graph, mapStates } from "@teasel/core"
 * import { reduceWith } from "@teasel/fp-ts"
 *
 * interface Tally { readonly words: number; readonly lines: number }
 * interface Doc { readonly pages: ReadonlyArray<string>; readonly total: Tally }
 *
 * const count = mapStates(
 *   (page: Tally) => page,
 *   (d: Doc) => d.pages.map((text) => ({ words: text.split(" ").length, lines: text.split("\n").length })),
 *   reduceWith(M.struct<Tally>({ words: N.MonoidSum, lines: N.MonoidSum }), (d: Doc, total) => ({ ...d, total }))
 * )
 * const graph = Graph.make({ actions: { count }, transitions: [], entrypoint: "count" })
 * const done = await Application.runPromise(
 *   Application.make({ graph, state: { pages: ["a b", "c\nd e"], total: { words: 0, lines: 0 } } })
 * )
 * console.log(done.state.total) // { words: 4, lines: 3 }
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const reduceWith = <A, S>(monoid: Monoid<A>, into: (state: S, combined: A) => S): Reduce<S, A> =>
(state, results) => into(state, monoidConcatAll(monoid)(results as Array<A>))

/**
 * A reduce that maps each child's state to a monoid value with `f`, combines the values with
 * `monoid` and hands the result to `into` (fp-ts's `foldMap`).
 *
 * @example
 * ```ts
 * import * as N from "fp-ts/lib/number.js"
 * import { Application, Graph, mapStates } from "@teasel/core"
 * import { foldMapWith } from "@teasel/fp-ts"
 *
 * interface S { readonly xs: ReadonlyArray<number>; readonly sumOfSquares: number }
 * const squares = mapStates(
 *   (c: { readonly x: number }) => ({ x: c.x * c.x }),
 *   (s: S) => s.xs.map((x) => ({ x })),
 *   foldMapWith(N.MonoidSum, (c: { readonly x: number }) => c.x, (s: S, sumOfSquares) => ({ ...s, sumOfSquares }))
 * )
 * const graph = Graph.make({ actions: { squares }, transitions: [], entrypoint: "squares" })
 * const done = await Application.runPromise(Application.make({ graph, state: { xs: [1, 2, 3], sumOfSquares: 0 } }))
 * console.log(done.state.sumOfSquares) // 14
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const foldMapWith = <A, C, S>(
  monoid: Monoid<A>,
  f: (child: C) => A,
  into: (state: S, combined: A) => S
): Reduce<S, C> =>
(state, results) => into(state, monoidConcatAll(monoid)(results.map(f)))

/**
 * A reduce from a `Semigroup` (no `empty`): the combination starts from a value taken from the
 * parent's state (`start`), so zero children leave it as it was.
 *
 * @example
 * ```ts
 * import * as N from "fp-ts/lib/number.js"
 * import * as Sg from "fp-ts/lib/Semigroup.js"
 * import { Application, Graph, mapStates } from "@teasel/core"
 * import { reduceWithSemigroup } from "@teasel/fp-ts"
 *
 * interface S { readonly bids: ReadonlyArray<number>; readonly best: number }
 * const auction = mapStates(
 *   (c: { readonly bid: number }) => c,
 *   (s: S) => s.bids.map((bid) => ({ bid })),
 *   reduceWithSemigroup(
 *     { concat: (a: { readonly bid: number }, b: { readonly bid: number }) => ({ bid: Sg.max(N.Ord).concat(a.bid, b.bid) }) },
 *     (s: S) => ({ bid: s.best }),
 *     (s, best) => ({ ...s, best: best.bid })
 *   )
 * )
 * const graph = Graph.make({ actions: { auction }, transitions: [], entrypoint: "auction" })
 * const done = await Application.runPromise(Application.make({ graph, state: { bids: [3, 9, 4], best: 5 } }))
 * console.log(done.state.best) // 9
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const reduceWithSemigroup = <A, S>(
  semigroup: Semigroup<A>,
  start: (state: S) => A,
  into: (state: S, combined: A) => S
): Reduce<S, A> =>
(state, results) => into(state, semigroupConcatAll(semigroup)(start(state))(results as Array<A>))
