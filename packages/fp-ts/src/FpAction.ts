/**
 * Actions written as fp-ts values. Each constructor takes a function `(state, inputs) => F<S>`,
 * where `F` is an fp-ts effect type, and returns a Teasel action: a function
 * `(state, inputs) => Effect<S, E, R>`. A `Left` becomes the action's typed error `E`, so it
 * reaches the application's error channel unchanged (`Application.run` fails with
 * `ActionError | ... | E`), and a `ReaderTaskEither`'s environment is read from an Effect service,
 * so it appears in the application's requirements `R`.
 *
 * fp-ts is CommonJS: under Node ESM import its modules as `fp-ts/lib/Either.js` and so on.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type * as Context from "effect/Context"
import type { Either } from "fp-ts/lib/Either.js"
import type { IO } from "fp-ts/lib/IO.js"
import type { ReaderTaskEither } from "fp-ts/lib/ReaderTaskEither.js"
import type { Task } from "fp-ts/lib/Task.js"
import type { TaskEither } from "fp-ts/lib/TaskEither.js"

const fold = <E, S>(either: Either<E, S>): Effect.Effect<S, E> =>
  either._tag === "Left" ? Effect.fail(either.left) : Effect.succeed(either.right)

/**
 * An action from a function returning an fp-ts `IO` (a synchronous side effect). The `IO` runs
 * when the step runs, not when the function is called.
 *
 * @example
 * ```ts
 * import * as IO from "fp-ts/lib/IO.js"
 * import { Effect } from "effect"
 * import { fromIO } from "@teasel/fp-ts"
 *
 * const stamp = fromIO((s: { readonly at: number }) => IO.of({ at: s.at + 1 }))
 * console.log(await Effect.runPromise(stamp({ at: 1 }))) // { at: 2 }
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromIO = <S, I = undefined>(
  f: (state: S, inputs: I) => IO<NoInfer<S>>
): (state: S, inputs?: I) => Effect.Effect<S> =>
(state, inputs) => Effect.sync(() => f(state, inputs as I)())

/**
 * An action from a function returning an fp-ts `Task` (a Promise that does not fail). A `Task`
 * that rejects all the same is a defect: the step fails with an `ActionError` of reason `Threw`.
 *
 * @example
 * ```ts
 * import * as T from "fp-ts/lib/Task.js"
 * import { Effect } from "effect"
 * import { fromTask } from "@teasel/fp-ts"
 *
 * const later = fromTask((s: { readonly n: number }) => T.of({ n: s.n * 2 }))
 * console.log(await Effect.runPromise(later({ n: 21 }))) // { n: 42 }
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromTask = <S, I = undefined>(
  f: (state: S, inputs: I) => Task<NoInfer<S>>
): (state: S, inputs?: I) => Effect.Effect<S> =>
(state, inputs) => Effect.promise(() => f(state, inputs as I)())

/**
 * An action from a function returning an fp-ts `Either`: `Right` is the next state, `Left` fails
 * the step with the action's typed error `E`.
 *
 * @example
 * ```ts
 * import * as E from "fp-ts/lib/Either.js"
 * import { Effect } from "effect"
 * import { fromEither } from "@teasel/fp-ts"
 *
 * const parse = fromEither((s: { readonly raw: string; readonly n: number }) => {
 *   const n = Number(s.raw)
 *   return Number.isNaN(n) ? E.left({ _tag: "NotANumber" as const, raw: s.raw }) : E.right({ ...s, n })
 * })
 * console.log(await Effect.runPromise(Effect.flip(parse({ raw: "x", n: 0 })))) // { _tag: 'NotANumber', raw: 'x' }
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromEither = <S, E, I = undefined>(
  f: (state: S, inputs: I) => Either<E, NoInfer<S>>
): (state: S, inputs?: I) => Effect.Effect<S, E> =>
(state, inputs) => Effect.suspend(() => fold(f(state, inputs as I)))

/**
 * An action from a function returning an fp-ts `TaskEither`: a `Right` is the next state, a `Left`
 * the action's typed error `E`. The task starts when the step runs; a rejected promise (which a
 * lawful `TaskEither` never produces) is a defect.
 *
 * @example
 * ```ts
 * import * as TE from "fp-ts/lib/TaskEither.js"
 * import { Effect } from "effect"
 * import { fromTaskEither } from "@teasel/fp-ts"
 *
 * const fetchUser = fromTaskEither((s: { readonly id: number; readonly name: string }) =>
 *   s.id === 1 ? TE.right({ ...s, name: "Ana" }) : TE.left({ _tag: "NoSuchUser" as const, id: s.id })
 * )
 * console.log(await Effect.runPromise(fetchUser({ id: 1, name: "" }))) // { id: 1, name: 'Ana' }
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromTaskEither = <S, E, I = undefined>(
  f: (state: S, inputs: I) => TaskEither<E, NoInfer<S>>
): (state: S, inputs?: I) => Effect.Effect<S, E> =>
(state, inputs) => Effect.flatMap(Effect.promise(() => f(state, inputs as I)()), fold)

/**
 * An action from a function returning an fp-ts `ReaderTaskEither<Env, E, S>`. The environment is
 * the value of the Effect service `env` (a `Context.Service` class), so the service joins the
 * application's requirements and is provided with `Effect.provideService` or a `Layer`, like any
 * other; a `Left` is the action's typed error `E`.
 *
 * @example
 * ```ts
 * import * as E from "fp-ts/lib/Either.js"
 * import { Context, Effect } from "effect"
 * import { fromReaderTaskEither } from "@teasel/fp-ts"
 *
 * interface Mailer { readonly send: (to: string) => Promise<boolean> }
 * class MailerService extends Context.Service<MailerService, Mailer>()("Mailer") {}
 *
 * const notify = fromReaderTaskEither(
 *   (s: { readonly to: string; readonly sent: boolean }) => (mailer: Mailer) => async () =>
 *     (await mailer.send(s.to)) ? E.right({ ...s, sent: true }) : E.left("bounced" as const),
 *   MailerService
 * )
 * const sent = await Effect.runPromise(
 *   notify({ to: "ana@example.com", sent: false }).pipe(Effect.provideService(MailerService, { send: async () => true }))
 * )
 * console.log(sent) // { to: 'ana@example.com', sent: true }
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const fromReaderTaskEither = <S, Env, E, Id, I = undefined>(
  f: (state: S, inputs: I) => ReaderTaskEither<Env, E, NoInfer<S>>,
  env: Context.Key<Id, Env>
): (state: S, inputs?: I) => Effect.Effect<S, E, Id> =>
(state, inputs) =>
  Effect.flatMap(env, (environment) => Effect.flatMap(Effect.promise(() => f(state, inputs as I)(environment)()), fold))
