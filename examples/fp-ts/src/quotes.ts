/**
 * Buying with fp-ts: ask every supplier for a quote in parallel (each a `TaskEither`), keep the
 * best with a commutative `Monoid`, then order it or escalate to a person, routed by fp-ts
 * predicates. A supplier that fails is collected, not fatal; an order the buyer cannot afford is
 * the action's own typed error (`OverBudget`), in the application's error channel.
 */
import { Context } from "effect"
import * as E from "fp-ts/lib/Either.js"
import { pipe } from "fp-ts/lib/function.js"
import * as M from "fp-ts/lib/Monoid.js"
import * as N from "fp-ts/lib/number.js"
import * as P from "fp-ts/lib/Predicate.js"
import * as RTE from "fp-ts/lib/ReaderTaskEither.js"
import type * as TE from "fp-ts/lib/TaskEither.js"
import { Graph, mapStates } from "@teasel/core"
import { foldMapWith, fromEither, fromReaderTaskEither, on, when } from "@teasel/fp-ts"

/** The best of the quotes so far: lowest price (and its supplier), and how many answered. */
export interface Best {
  readonly price: number
  readonly supplier: string
  readonly answered: number
}

/** The state of a purchase. */
export interface Purchase {
  readonly item: string
  readonly budget: number
  readonly suppliers: ReadonlyArray<string>
  readonly best: Best
  readonly failed: number
  readonly status: "asking" | "ordered" | "escalated"
}

/** A supplier's answer, as a child application's state. */
export interface Quote {
  readonly supplier: string
  readonly item: string
  readonly price: number
}

/** No quote at all: the neutral element of `BestMonoid` (a price no one beats, as JSON). */
export const noQuote: Best = { price: Number.MAX_SAFE_INTEGER, supplier: "", answered: 0 }

/**
 * Combining two partial results: the cheaper quote (ties broken by supplier name, so that the
 * combination is commutative), answers added up.
 */
export const BestMonoid: M.Monoid<Best> = {
  empty: noQuote,
  concat: (a, b) => {
    const cheaper = a.price < b.price || (a.price === b.price && a.supplier <= b.supplier) ? a : b
    return { price: cheaper.price, supplier: cheaper.supplier, answered: N.MonoidSum.concat(a.answered, b.answered) }
  }
}

/** The suppliers' price lists, as fp-ts code would reach them. */
export interface Catalog {
  readonly quote: (supplier: string, item: string) => TE.TaskEither<string, number>
}
export class CatalogService extends Context.Service<CatalogService, Catalog>()("example-fp-ts/Catalog") {}

/** One supplier's quote: a ReaderTaskEither over the catalog. */
const ask = fromReaderTaskEither(
  (q: Quote): RTE.ReaderTaskEither<Catalog, string, Quote> =>
    pipe(
      RTE.asks((catalog: Catalog) => catalog.quote(q.supplier, q.item)),
      RTE.chainTaskEitherK((task) => task),
      RTE.map((price) => ({ ...q, price }))
    ),
  CatalogService
)

const best = foldMapWith(
  BestMonoid,
  (q: Quote): Best => ({ price: q.price, supplier: q.supplier, answered: 1 }),
  (p: Purchase, best) => ({ ...p, best })
)

/** The parallel step: one child per supplier; failures are collected and counted. */
const gather = mapStates(
  ask,
  (p: Purchase) => p.suppliers.map((supplier): Quote => ({ supplier, item: p.item, price: 0 })),
  (p: Purchase, quotes, failures) => ({ ...best(p, quotes), failed: failures.length }),
  { onError: "collect" }
)

/** Refused: the best price is over the budget. The action's own typed error. */
export interface OverBudget {
  readonly _tag: "OverBudget"
  readonly price: number
  readonly budget: number
}

const order = fromEither((p: Purchase): E.Either<OverBudget, Purchase> =>
  p.best.price > p.budget ? E.left({ _tag: "OverBudget", price: p.best.price, budget: p.budget }) : E.right({ ...p, status: "ordered" })
)

const escalate = (p: Purchase): Purchase => ({ ...p, status: "escalated" })

const answeredEnough: P.Predicate<Purchase> = (p) => p.best.answered >= 2
const someoneAnswered = on<Purchase, "best">("best", (b) => b.answered > 0)

export const graph = Graph.make({
  actions: { gather, order, escalate },
  transitions: [
    ["gather", "order", when(P.and(someoneAnswered)(answeredEnough))],
    ["gather", "escalate"]
  ],
  entrypoint: "gather"
})

/** A purchase before any quote. */
export const start = (item: string, budget: number, suppliers: ReadonlyArray<string>): Purchase => ({
  item,
  budget,
  suppliers,
  best: noQuote,
  failed: 0,
  status: "asking"
})
