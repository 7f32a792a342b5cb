/**
 * The runtime representation of an application value, shared by the public module and the step
 * loop (which builds the application it returns).
 */
import { pipeArguments } from "effect/Pipeable"
import type { Application } from "../Application.js"
import type { Graph } from "../Graph.js"

export const TypeId: unique symbol = Symbol.for("@teasel/core/Application")

export interface Fields {
  readonly graph: Graph<any, string, any, any>
  readonly id: string
  readonly partitionKey: string
  readonly parentId: string | undefined
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
  toJSON(this: Fields) {
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

export const make = (fields: Fields): Application<any, any, any, any> => {
  const app = Object.create(Proto)
  app.graph = fields.graph
  app.id = fields.id
  app.partitionKey = fields.partitionKey
  app.parentId = fields.parentId
  app.state = fields.state
  app.next = fields.next
  app.last = fields.last
  app.sequenceId = fields.sequenceId
  return app
}

export const isApplication = (u: unknown): u is Application<unknown, string, unknown, unknown> =>
  typeof u === "object" && u !== null && TypeId in u
