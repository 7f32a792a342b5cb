/**
 * Kinds of action beyond a plain function, and the conversion every kind goes through:
 * `Action.produce` (an immer recipe), `Action.stream` (chunks, then a state) and `Action.toEffect`.
 * Re-exported by `Action`.
 */
import { Effect, Predicate, Stream } from "effect"
import { produce as immerProduce, type Draft } from "immer"
import type { Next } from "../Action.js"
import { CurrentStep } from "./context.js"

/**
 * An action from an immer recipe: `recipe(draft, inputs)` mutates a draft of the state; the
 * result is a new state sharing every untouched part with the old one. The draft's type is the
 * state type (annotate it; immer makes the result immutable at run time).
 *
 * @example
 * ```ts
 * import { Action } from "@teasel/core"
 * const push = Action.produce((draft: { items: Array<string> }, inputs: { item: string }) => {
 *   draft.items.push(inputs.item)
 * })
 * push({ items: [] }, { item: "a" }) // { items: ["a"] }
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const produce = <S extends object, I = undefined>(
  recipe: (draft: S, inputs: I) => void | S
): (state: S, inputs?: I) => S =>
  (state, inputs) => immerProduce(state, (draft) => recipe(draft as S, inputs as I) as Draft<S> | void) as S

/**
 * A streaming action: `run(state, inputs)` returns a `Stream` of chunks, emitted to
 * `Application.stream` as they are produced (as `Chunk` events); once the stream ends,
 * `finish(state, chunks)` returns the next state.
 *
 * @example
 * ```ts
 * import { Stream } from "effect"
 * import { Action } from "@teasel/core"
 * const words = Action.stream(
 *   (s: { text: string }) => Stream.fromIterable(["hello", " ", "world"]),
 *   (s, chunks) => ({ ...s, text: chunks.join("") })
 * )
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const stream = <S, C, E1 = never, R1 = never, E2 = never, R2 = never, I = any>(
  run: (state: S, inputs: I) => Stream.Stream<C, E1, R1>,
  finish: (state: S, chunks: ReadonlyArray<C>) => S | PromiseLike<S> | Effect.Effect<S, E2, R2>
): (state: S, inputs?: I) => Effect.Effect<S, E1 | E2, R1 | R2> =>
  (state, inputs) =>
    CurrentStep.use((step) => {
      const chunks: Array<C> = []
      const collect = Stream.runForEach(run(state, inputs as I), (chunk) =>
        Effect.sync(() => {
          chunks.push(chunk)
          if (step !== undefined) step.chunk(chunk)
        }))
      return Effect.flatMap(collect, () => toEffect(finish(state, chunks)))
    })

/**
 * What an action (or a reduce) returned, as an Effect: an Effect as it is, a Promise awaited (a
 * rejection is a defect, which the step loop reports as an `ActionError`), a state succeeded.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Action } from "@teasel/core"
 * await Effect.runPromise(Action.toEffect(Promise.resolve({ n: 1 }))) // { n: 1 }
 * ```
 * @category conversions
 * @since 0.1.0
 */
export const toEffect = <S, E, R>(next: Next<S, E, R>): Effect.Effect<S, E, R> => {
  if (Effect.isEffect(next)) return next
  if (Predicate.isPromiseLike(next)) return Effect.promise(() => next)
  return Effect.succeed(next)
}
