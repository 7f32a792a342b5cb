/**
 * Every kind of action can read where it runs — application, partition, step, action, parent —
 * and plain functions stay plain.
 */
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { Action, Application, Graph, mapStates } from "../src/index.js"

interface Log {
  readonly log: ReadonlyArray<string>
}
const line = (c: Action.Context) => `${c.appId}|${c.partitionKey}|${c.sequenceId}|${c.action}|${c.parentId ?? "-"}|${c.parentSequenceId ?? "-"}`

describe("an action's context", () => {
  it("reaches plain, Promise and Effect actions, with the step and the action's name in the graph", async () => {
    const plain = Action.withContext((s: Log, _inputs: unknown, c) => ({ log: [...s.log, line(c)] }))
    const later = Action.withContext(async (s: Log, _inputs: unknown, c) => ({ log: [...s.log, line(c)] }))
    const effect = (s: Log) => Effect.map(Action.context, (c) => ({ log: [...s.log, line(c)] }))
    const untouched = (s: Log, ...rest: Array<unknown>) => ({ log: [...s.log, `args:${rest.length}`] })
    const graph = Graph.make({
      actions: { first: plain, second: later, third: effect, fourth: untouched },
      transitions: [["first", "second"], ["second", "third"], ["third", "fourth"]],
      entrypoint: "first"
    })
    const app = await Effect.runPromise(Application.run(Application.make({ graph, state: { log: [] }, id: "ctx", partitionKey: "p1" })))
    expect(app.state.log).toEqual(["ctx|p1|1|first|-|-", "ctx|p1|2|second|-|-", "ctx|p1|3|third|-|-", "args:1"])
  })

  it("tells a child its parent and the parent's step", async () => {
    const child = Action.withContext((c: { x: number; where?: string }, _i: unknown, context) => ({ ...c, where: line(context) }))
    const fan = mapStates(
      child,
      (_: Log): Array<{ x: number; where?: string }> => [{ x: 1 }, { x: 2 }],
      (_, results) => ({ log: results.map((r) => r.where ?? "") })
    )
    const graph = Graph.make({ actions: { warm: (s: Log) => s, fan }, transitions: [["warm", "fan"]], entrypoint: "warm" })
    const app = await Effect.runPromise(Application.run(Application.make({ graph, state: { log: [] }, id: "P" })))
    // A plain branch runs as a graph of its one action, named after the function ("branch" when it has none).
    expect(app.state.log).toEqual(["P:2:fan:0||1|branch|P|2", "P:2:fan:1||1|branch|P|2"])
  })

  it("keeps its declarations through Action.make and Action.bind", async () => {
    const stamp = Action.make({
      writes: ["log"],
      run: Action.withContext((s: Log, inputs: { tag: string }, c) => ({ log: [...s.log, `${inputs.tag}@${c.sequenceId}`] }))
    })
    const bound = Action.bind(stamp, { tag: "b" })
    const graph = Graph.make({ actions: { stamp: bound }, transitions: [], entrypoint: "stamp" })
    const app = await Effect.runPromise(Application.run(Application.make({ graph, state: { log: [] } })))
    expect(app.state.log).toEqual(["b@1"])
  })

  it("Action.context outside a running application says so", async () => {
    const exit = await Effect.runPromiseExit(Action.context)
    expect(exit._tag).toBe("Failure")
  })
})
