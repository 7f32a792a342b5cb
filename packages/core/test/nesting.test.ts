/**
 * "Interrupting the fiber that runs `Application.run` … interrupts every running child, at every
 * depth, and waits for their finalizers" (docs/parallelism.md, "Cancellation"): a sub-graph
 * branch with a parallel step of its own, two and three levels down. The test interrupts once
 * every leaf is running (a Deferred counts them in), so no timing is involved.
 */
import { Deferred, Effect, Exit, Fiber, type Layer } from "effect"
import { describe, expect, it } from "vitest"
import { Application, Graph, mapStates, Persistence } from "../src/index.js"

interface Node {
  readonly path: string
}
interface Level {
  readonly path: string
  readonly width: number
}

/**
 * A tree of parallel steps `depth` levels deep, `width` children per step; each leaf signals
 * that it runs and waits forever, recording its path into `closed` when interrupted.
 */
const tree = (depth: number, leaf: (n: Node) => Effect.Effect<Node>) => {
  const levelOf = (d: number): Graph.Graph<Level, "fan", unknown> => {
    const branch = d === 1
      ? (c: Level) => Effect.as(leaf({ path: c.path }), c)
      : Graph.subgraph(levelOf(d - 1))
    const fan = mapStates(
      branch as (c: Level) => Effect.Effect<Level>,
      (s: Level) => Array.from({ length: s.width }, (_, i): Level => ({ path: `${s.path}/${i}`, width: s.width })),
      (s) => s
    )
    return Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
  }
  return levelOf(depth)
}

const interruptWhenAllRun = (depth: number, width: number, layer?: Layer.Layer<Persistence.Persistence>) =>
  Effect.runPromise(
    Effect.gen(function*() {
      const leaves = width ** depth
      const closed: Array<string> = []
      const allRunning = yield* Deferred.make<void>()
      let running = 0
      const leaf = (n: Node) =>
        Effect.suspend(() => (++running === leaves ? Deferred.succeed(allRunning, undefined) : Effect.void)).pipe(
          Effect.andThen(Effect.never),
          Effect.as(n),
          Effect.onInterrupt(() => Effect.sync(() => closed.push(n.path)))
        )
      const graph = tree(depth, leaf)
      const run = Application.run(Application.make({ graph, state: { path: "root", width }, id: "N" }))
      const fiber = yield* Effect.forkChild(layer === undefined ? run : Effect.provide(run, layer))
      yield* Deferred.await(allRunning)
      yield* Fiber.interrupt(fiber)
      return { exit: yield* Fiber.await(fiber), closed, leaves }
    })
  )

const expectedPaths = (depth: number, width: number): Array<string> => {
  let paths = ["root"]
  for (let d = 0; d < depth; d++) paths = paths.flatMap((p) => Array.from({ length: width }, (_, i) => `${p}/${i}`))
  return paths.sort()
}

describe("interruption reaches children at every depth", () => {
  it.each([
    { depth: 2, width: 2, persisted: false },
    { depth: 3, width: 2, persisted: false },
    { depth: 2, width: 3, persisted: true },
    { depth: 3, width: 2, persisted: true }
  ])("depth $depth, width $width, persisted: $persisted — every leaf's finalizer runs", async ({ depth, persisted, width }) => {
    const { closed, exit } = await interruptWhenAllRun(depth, width, persisted ? Persistence.layerMemory : undefined)
    expect(Exit.hasInterrupts(exit)).toBe(true)
    expect([...closed].sort()).toEqual(expectedPaths(depth, width))
  })
})
