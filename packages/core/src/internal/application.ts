/**
 * The runtime representation of an application value, and its one constructor.
 *
 * An application is an identity (graph, id, partition, parent) plus a position (state, next, last,
 * sequence id). Every application value — made by a user, loaded, forked, resumed, returned by the
 * step loop, or a child — is built by `make` from those two parts.
 */
import { pipeArguments } from "effect/Pipeable"
import type { Application } from "../Application.js"
import type { Graph } from "../Graph.js"

export const TypeId: unique symbol = Symbol.for("@teasel/core/Application")

/** Which application: it never changes while the application runs. */
export interface Identity {
  readonly graph: Graph<any, string, any, any>
  readonly id: string
  readonly partitionKey: string
  readonly parentId: string | undefined
}

/** Where the application stands. */
export interface Position {
  readonly state: unknown
  readonly next: string | undefined
  readonly last: string | undefined
  readonly sequenceId: number
}

const Proto = {
  [TypeId]: TypeId,
  pipe() {
    return pipeArguments(this, arguments)
  },
  toJSON(this: Identity & Position) {
    return {
      _id: "Application",
      id: this.id,
      partitionKey: this.partitionKey,
      parentId: this.parentId,
      state: this.state,
      next: this.next,
      last: this.last,
      sequenceId: this.sequenceId
    }
  }
}

/** The application `identity` at `position`. */
export const make = (identity: Identity, position: Position): Application<any, any, any, any> => {
  const app = Object.create(Proto)
  app.graph = identity.graph
  app.id = identity.id
  app.partitionKey = identity.partitionKey
  app.parentId = identity.parentId
  app.state = position.state
  app.next = position.next
  app.last = position.last
  app.sequenceId = position.sequenceId
  return app
}

/** A fresh application: `state` at `entrypoint`, no step run yet. */
export const start = (identity: Identity, state: unknown, entrypoint: string): Application<any, any, any, any> =>
  make(identity, { state, next: entrypoint, last: undefined, sequenceId: 0 })

export const isApplication = (u: unknown): u is Application<unknown, string, unknown, unknown> =>
  typeof u === "object" && u !== null && TypeId in u
