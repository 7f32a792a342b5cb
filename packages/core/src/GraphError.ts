/**
 * Why a graph (or a call's options) is invalid: `GraphError`, thrown where the graph is made. Re-exported
 * by `Graph` and by the package root.
 *
 * @since 0.2.0
 */
import { Data } from "effect"

/**
 * The graph definition is invalid: no actions, an unknown action in a transition or the
 * entrypoint, or an action that is not a function. `message` names the culprit.
 *
 * @category errors
 * @since 0.1.0
 */
export class GraphError extends Data.TaggedError("GraphError")<{
  readonly message: string
  /** The offending action name, when there is one. */
  readonly action?: string
}> {}
