/**
 * Transition conditions from fp-ts predicates. A transition's condition is a function
 * `(state) => boolean`, which is exactly fp-ts's `Predicate<S>` (and a `Refinement<S, T>` is one
 * too), so fp-ts predicates and their combinators (`Predicate.and`, `or`, `not`, `contramap`) go
 * straight into `Graph.make`'s `transitions`. This module adds the few lifts that are handy with
 * state objects: a predicate on one field, and an `Option`-returning check.
 *
 * @since 0.1.0
 */
import type { Option } from "fp-ts/lib/Option.js"
import type { Predicate } from "fp-ts/lib/Predicate.js"
import type { Refinement } from "fp-ts/lib/Refinement.js"

/**
 * A transition condition from an fp-ts `Predicate` or `Refinement` on the whole state (the
 * identity, typed for `Graph.make`; it documents intent and fixes the state type).
 *
 * @example
 * ```ts
 * import * as P from "fp-ts/lib/Predicate.js"
 * import { when } from "@teasel/fp-ts"
 *
 * interface S { readonly count: number; readonly done: boolean }
 * const big: P.Predicate<S> = (s) => s.count > 10
 * const finished = when(P.and<S>((s) => s.done)(big))
 * console.log(finished({ count: 11, done: true }), finished({ count: 11, done: false })) // true false
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const when = <S>(predicate: Predicate<S> | Refinement<S, S>): (state: S) => boolean => (state) =>
  predicate(state)

/**
 * A transition condition that tests one field of the state with an fp-ts `Predicate` (or
 * `Refinement`) on that field's type.
 *
 * @example
 * ```ts
 * import * as N from "fp-ts/lib/number.js"
 * import * as Ord from "fp-ts/lib/Ord.js"
 * import { on } from "@teasel/fp-ts"
 *
 * interface S { readonly score: number }
 * const passing = on<S, "score">("score", Ord.between(N.Ord)(50, 100))
 * console.log(passing({ score: 72 }), passing({ score: 12 })) // true false
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const on = <S, K extends keyof S>(
  key: K,
  predicate: Predicate<S[K]> | Refinement<S[K], S[K]>
): (state: S) => boolean =>
(state) => predicate(state[key])

/**
 * A transition condition that holds when `f` finds something: `Some` is true, `None` false.
 *
 * @example
 * ```ts
 * import * as O from "fp-ts/lib/Option.js"
 * import * as A from "fp-ts/lib/Array.js"
 * import { isSome } from "@teasel/fp-ts"
 *
 * interface S { readonly tickets: Array<{ readonly urgent: boolean }> }
 * const anyUrgent = isSome((s: S) => A.findFirst((t: { readonly urgent: boolean }) => t.urgent)(s.tickets))
 * console.log(anyUrgent({ tickets: [{ urgent: false }, { urgent: true }] }), anyUrgent({ tickets: [] })) // true false
 * console.log(O.isSome(O.some(1))) // true
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const isSome = <S>(f: (state: S) => Option<unknown>): (state: S) => boolean => (state) =>
  f(state)._tag === "Some"
