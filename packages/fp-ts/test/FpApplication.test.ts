import * as E from "fp-ts/lib/Either.js"
import { pipe } from "fp-ts/lib/function.js"
import * as TE from "fp-ts/lib/TaskEither.js"
import { describe, expect, expectTypeOf, it } from "vitest"
import { Action, type ActionError, Application, Graph, type PersistenceError } from "@teasel/core"
import { fromEither, runTaskEither } from "@teasel/fp-ts"

interface S {
  readonly n: number
}
interface Odd {
  readonly _tag: "Odd"
  readonly n: number
}

const half = fromEither((s: S): E.Either<Odd, S> => (s.n % 2 === 0 ? E.right({ n: s.n / 2 }) : E.left({ _tag: "Odd", n: s.n })))
const graph = Graph.make({ actions: { half }, transitions: [["half", "half", (s) => s.n > 1]], entrypoint: "half" })

describe("runTaskEither", () => {
  it("is Application.run as a TaskEither: Right the final application, Left the typed error", async () => {
    const ok = await runTaskEither(Application.make({ graph, state: { n: 16 } }))()
    expect(E.isRight(ok) && ok.right.state).toEqual({ n: 1 })
    expect(E.isRight(ok) && ok.right.sequenceId).toBe(4)
    const odd = await runTaskEither(Application.make({ graph, state: { n: 12 } }))()
    expect(odd).toEqual(E.left({ _tag: "Odd", n: 3 }))
  })

  it("options pass through, and it composes with fp-ts", async () => {
    const program = pipe(
      runTaskEither(Application.make({ graph, state: { n: 16 } }), { haltAfter: ["half"] }),
      TE.map((app) => app.state.n)
    )
    expect(await program()).toEqual(E.right(8))
  })

  it("the Left is typed ActionError | PersistenceError | E; an ActionError arrives as a Left", async () => {
    const task = runTaskEither(Application.make({ graph, state: { n: 2 } }))
    expectTypeOf<Awaited<ReturnType<typeof task>>>().toEqualTypeOf<E.Either<ActionError | PersistenceError | Odd, Application.Application<S, "half", Odd, never>>>()
    const broken = Graph.make({
      actions: {
        boom: (_: S): S => {
          throw new Error("boom")
        }
      },
      transitions: [],
      entrypoint: "boom"
    })
    const failed = await runTaskEither(Application.make({ graph: broken, state: { n: 1 } }))()
    expect(E.isLeft(failed) && failed.left).toBeInstanceOf(Action.ActionError)
  })
})
