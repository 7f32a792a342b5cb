/**
 * Running an application from fp-ts code: `runTaskEither` is `Application.run` as a `TaskEither`,
 * whose `Left` is the run's typed error (an `ActionError`, a `PersistenceError`, or an action's
 * own error `E` — a `Left` of an action made with `fromEither` / `fromTaskEither` comes back as
 * the same `Left`).
 *
 * @since 0.1.0
 */
import { Cause, Effect, Exit } from "effect"
import * as E from "fp-ts/lib/Either.js"
import type { TaskEither } from "fp-ts/lib/TaskEither.js"
import { Application } from "@teasel/core"

/**
 * `Application.run` as an fp-ts `TaskEither`, for an application that requires no services
 * (provide them with `Effect.provide` and use `Application.run` otherwise). A typed failure is a
 * `Left`; a defect or an interruption (which a lawful `TaskEither` cannot express) rejects the
 * promise, as `Application.runPromise` does.
 *
 * @example
 * ```ts
 * import * as E from "fp-ts/lib/Either.js"
 * import { Application, Graph } from "@teasel/core"
 * import { fromEither, runTaskEither } from "@teasel/fp-ts"
 *
 * const half = fromEither((s: { readonly n: number }) => (s.n % 2 === 0 ? E.right({ n: s.n / 2 }) : E.left(`odd: ${s.n}`)))
 * const graph = Graph.make({ actions: { half }, transitions: [["half", "half", (s) => s.n > 1]], entrypoint: "half" })
 *
 * const ok = await runTaskEither(Application.make({ graph, state: { n: 8 } }))()
 * console.log(E.isRight(ok) ? ok.right.state : ok.left) // { n: 1 }
 * const odd = await runTaskEither(Application.make({ graph, state: { n: 12 } }))()
 * console.log(E.isLeft(odd) ? odd.left : odd.right.state) // odd: 3
 * ```
 * @category running
 * @since 0.1.0
 */
export const runTaskEither = <S, K extends string, E>(
  app: Application.Application<S, K, E, never>,
  options?: Application.RunOptions<NoInfer<K>>
): TaskEither<Application.RunError<E>, Application.Application<S, K, E, never>> =>
async () => {
  const exit = await Effect.runPromiseExit(Application.run(app, options))
  if (Exit.isSuccess(exit)) return E.right(exit.value)
  const failure = exit.cause.reasons.find(Cause.isFailReason)
  if (failure !== undefined) return E.left(failure.error)
  throw Cause.squash(exit.cause)
}
