import { Cause, Context, Effect, Exit } from "effect"
import * as E from "fp-ts/lib/Either.js"
import { pipe } from "fp-ts/lib/function.js"
import * as IO from "fp-ts/lib/IO.js"
import * as RTE from "fp-ts/lib/ReaderTaskEither.js"
import * as T from "fp-ts/lib/Task.js"
import * as TE from "fp-ts/lib/TaskEither.js"
import { describe, expect, expectTypeOf, it } from "vitest"
import { Action, type ActionError, Application, Graph, type PersistenceError } from "@teasel/core"
import { fromEither, fromIO, fromReaderTaskEither, fromTask, fromTaskEither } from "@teasel/fp-ts"

interface Order {
  readonly sku: string
  readonly qty: number
  readonly price: number
  readonly charged: boolean
  readonly log: ReadonlyArray<string>
}

class OutOfStock {
  readonly _tag = "OutOfStock"
  constructor(readonly sku: string) {}
}
class CardDeclined {
  readonly _tag = "CardDeclined"
  constructor(readonly amount: number) {}
}
interface Payments {
  readonly charge: (amount: number) => Promise<boolean>
}
class PaymentsService extends Context.Service<PaymentsService, Payments>()("test/Payments") {}

const start: Order = { sku: "tea", qty: 2, price: 0, charged: false, log: [] }

const note = fromIO((s: Order, inputs: { readonly text: string } | undefined) => () => ({ ...s, log: [...s.log, inputs?.text ?? "noted"] }))
const price = fromTask((s: Order) => T.of({ ...s, price: s.qty * 5 }))
const validate = fromEither((s: Order): E.Either<OutOfStock, Order> => (s.qty > 10 ? E.left(new OutOfStock(s.sku)) : E.right(s)))
const reserve = fromTaskEither((s: Order): TE.TaskEither<OutOfStock, Order> => (s.sku === "gone" ? TE.left(new OutOfStock(s.sku)) : TE.right(s)))
const charge = fromReaderTaskEither(
  (s: Order): RTE.ReaderTaskEither<Payments, CardDeclined, Order> =>
    pipe(
      RTE.ask<Payments, CardDeclined>(),
      RTE.chainTaskK((payments) => () => payments.charge(s.price)),
      RTE.chain((ok) => (ok ? RTE.right({ ...s, charged: true }) : RTE.left(new CardDeclined(s.price))))
    ),
  PaymentsService
)

const graph = Graph.make({
  actions: { note, price, validate, reserve, charge },
  transitions: [["note", "price"], ["price", "validate"], ["validate", "reserve"], ["reserve", "charge"]],
  entrypoint: "note"
})

const runWith = (state: Order, accept: boolean) =>
  Application.run(Application.make({ graph, state, id: "order-1" }), { inputs: { text: "hello" } }).pipe(
    Effect.provideService(PaymentsService, { charge: async () => accept })
  )

describe("fp-ts actions", () => {
  it("each constructor's action is an Effect of the next state", async () => {
    expect(await Effect.runPromise(note(start))).toEqual({ ...start, log: ["noted"] })
    expect(await Effect.runPromise(price(start))).toEqual({ ...start, price: 10 })
    expect(await Effect.runPromise(Effect.flip(validate({ ...start, qty: 11 })))).toEqual(new OutOfStock("tea"))
    expect(await Effect.runPromise(reserve(start))).toBe(start)
  })

  it("runs a graph of IO, Task, Either, TaskEither and ReaderTaskEither steps", async () => {
    const done = await Effect.runPromise(runWith(start, true))
    expect(done.state).toEqual({ sku: "tea", qty: 2, price: 10, charged: true, log: ["hello"] })
    expect(done.sequenceId).toBe(5)
  })

  it("a Left reaches the caller as the action's own typed error, unwrapped", async () => {
    const declined = await Effect.runPromise(Effect.flip(runWith(start, false)))
    expect(declined).toEqual(new CardDeclined(10))
    const gone = await Effect.runPromise(Effect.flip(runWith({ ...start, sku: "gone" }, true)))
    expect(gone).toEqual(new OutOfStock("gone"))
    const tooMany = await Effect.runPromise(
      runWith({ ...start, qty: 11 }, true).pipe(
        Effect.catchTag("OutOfStock", (e) => Effect.succeed(`out of ${e.sku}`)),
        Effect.catchTag("CardDeclined", () => Effect.succeed("declined"))
      )
    )
    expect(tooMany).toBe("out of tea")
  })

  it("errors and requirements keep their types in the application's channels", () => {
    expectTypeOf(validate).returns.toEqualTypeOf<Effect.Effect<Order, OutOfStock>>()
    expectTypeOf(charge).returns.toEqualTypeOf<Effect.Effect<Order, CardDeclined, PaymentsService>>()
    const run = Application.run(Application.make({ graph, state: start }))
    type Run = typeof run
    expectTypeOf<Effect.Error<Run>>().toEqualTypeOf<ActionError | PersistenceError | OutOfStock | CardDeclined>()
    expectTypeOf<Effect.Services<Run>>().toEqualTypeOf<PaymentsService>()
    const handled = run.pipe(
      Effect.catchTag("OutOfStock", () => Effect.succeed("out")),
      Effect.catchTag("CardDeclined", () => Effect.succeed("declined"))
    )
    expectTypeOf<Effect.Error<typeof handled>>().toEqualTypeOf<ActionError | PersistenceError>()
  })

  it("an IO that throws or a Task that rejects fails the step with an ActionError naming the action", async () => {
    const boom = fromIO((_: Order) => IO.of(undefined as unknown as Order))
    const throwing = fromIO((_: Order): IO.IO<Order> => () => {
      throw new Error("disk full")
    })
    const rejecting = fromTask((_: Order): T.Task<Order> => () => Promise.reject(new Error("timeout")))
    for (const [name, action, reason] of [["boom", boom, "NotAnObject"], ["throwing", throwing, "Threw"], ["rejecting", rejecting, "Threw"]] as const) {
      const g = Graph.make({ actions: { [name]: action }, transitions: [], entrypoint: name })
      const exit = await Effect.runPromiseExit(Application.run(Application.make({ graph: g, state: start, id: "x" })))
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
      expect(error).toBeInstanceOf(Action.ActionError)
      expect(error).toMatchObject({ action: name, reason: { _tag: reason } })
    }
  })

  it("the fp-ts value runs when the step runs, each time it runs", async () => {
    let calls = 0
    const counted = fromIO((s: Order) => () => {
      calls++
      return s
    })
    const effect = counted(start)
    expect(calls).toBe(0)
    await Effect.runPromise(effect)
    await Effect.runPromise(effect)
    expect(calls).toBe(2)
  })
})
