/**
 * `fanout`: one parallel step of N children, each computing `x + 1` from its own `x`, reduced into
 * the sum of their results, in memory, for N = 1,000, 10,000 and 100,000. The figure is a whole
 * run, so the table shows how each library grows with the width of a fan-out.
 */
import * as Scenario from "../Scenario.js"

interface Parent {
  readonly n: number
  readonly sum: number
}

interface Child {
  readonly x: number
}

const add1 = (c: Child): Child => ({ x: c.x + 1 })

// The children start from x = 0 .. n-1, so their results are 1 .. n.
const children = (s: Parent): ReadonlyArray<Child> => Array.from({ length: s.n }, (_, x) => ({ x }))
const expectedSum = (n: number): number => (n * (n + 1)) / 2

const SIZES = [1_000, 10_000, 100_000] as const
const FULL = process.env["BENCH_FULL"] === "1"

const TEN_K_TARGET_S = 0.1
const HUNDRED_K_TARGET_S = 1.5
const HUNDRED_K_RSS_TARGET_MB = 300
const GROWTH_TARGET = 12

// A 1,000-child run of Teasel takes about a millisecond and a 100,000-child run a fraction of a
// second: fewer runs for bigger fan-outs keep each process to seconds while the median stays steady.
const runsAt = (n: number): { readonly warmupRuns: number; readonly timedRuns: number } =>
  n <= 1_000
    ? { warmupRuns: 20, timedRuns: 30 }
    : n <= 10_000
      ? { warmupRuns: 10, timedRuns: 30 }
      : { warmupRuns: 3, timedRuns: 7 }

/**
 * Teasel: one `mapStates` action over the N child states. With `effectful`, the branch returns
 * `Effect.succeed(...)`, so every child runs in a fiber of its own rather than being finished
 * synchronously.
 */
const teaselAt = (name: string, effectful: boolean, n: number): Scenario.Subject => ({
  name,
  size: n,
  steps: n,
  ...runsAt(n),
  ...(effectful ? { note: "the branch returns Effect.succeed({ x: x + 1 }): one fiber per child" } : {}),
  setup: async () => {
    const { Effect } = await import("effect")
    const { Application, Graph, mapStates } = await import("@teasel/core")
    const reduce = (s: Parent, results: ReadonlyArray<Child>): Parent => ({
      ...s,
      sum: results.reduce((a, r) => a + r.x, 0)
    })
    const fan = effectful
      ? mapStates((c: Child) => Effect.succeed(add1(c)), children, reduce)
      : mapStates(add1, children, reduce)
    const graph = Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
    const app = Application.make({ graph, state: { n, sum: 0 } })
    return async () => {
      const final = await Effect.runPromise(Application.run(app))
      Scenario.check(name, final.state.sum === expectedSum(n), `sum ${expectedSum(n)}`, final.state.sum)
    }
  }
})

const LANGGRAPH_NOTE =
  "Send fan-out, quadratic in N (76-97 s and 456-547 MB measured at 10,000): 10,000 only with BENCH_FULL=1, 100,000 never"

/**
 * LangGraph JS: a `fan` node whose conditional edges return one `Send("child", { x })` per child;
 * each child writes its `x + 1` into a concatenating channel, and a `reduce` node sums it.
 */
const langgraphAt = (n: number, skip: string | undefined): Scenario.Subject => ({
  name: "langgraph",
  size: n,
  steps: n,
  note: LANGGRAPH_NOTE,
  ...(skip === undefined ? {} : { skip }),
  // About a second a run at 1,000 children, a minute and a half at 10,000.
  ...(n <= 1_000 ? { warmupRuns: 1, timedRuns: 5 } : { warmupRuns: 0, timedRuns: 1 }),
  setup: async () => {
    const { Annotation, END, Send, StateGraph } = await import("@langchain/langgraph")
    const State = Annotation.Root({
      n: Annotation<number>,
      // Concatenation copies the channel on every write (quadratic too), but its share is a
      // fraction of a percent of LangGraph's own cost at these sizes.
      results: Annotation<ReadonlyArray<number>>({ reducer: (a, b) => a.concat(b), default: () => [] }),
      sum: Annotation<number>
    })
    const ChildState = Annotation.Root({ x: Annotation<number> })
    const graph = new StateGraph(State)
      .addNode("fan", () => ({}))
      .addNode("child", (c: typeof ChildState.State) => ({ results: [c.x + 1] }), { input: ChildState })
      .addNode("reduce", (s: typeof State.State) => ({ sum: s.results.reduce((a, r) => a + r, 0) }))
      .addEdge("__start__", "fan")
      .addConditionalEdges("fan", (s: typeof State.State) => children(s).map((c) => new Send("child", c)))
      .addEdge("child", "reduce")
      .addEdge("reduce", END)
      .compile()
    return async () => {
      const final = await graph.invoke({ n, sum: 0 })
      Scenario.check("langgraph", final.sum === expectedSum(n), `sum ${expectedSum(n)}`, final.sum)
    }
  }
})

const langgraphSkip = (n: number): string | undefined =>
  n <= 1_000
    ? undefined
    : n <= 10_000
      ? FULL
        ? undefined
        : "76-97 s a run at 10,000 children; set BENCH_FULL=1 to measure it (the 1,000 figure stands in)"
      : "never run: quadratic, 76-97 s already at 10,000 children"

const seconds = (samples: Scenario.Samples, key: string): number | undefined => {
  const s = samples(key)
  return s === undefined ? undefined : Scenario.secondsPerRun.of(s)
}

const atMost = (actual: number | undefined, limit: number, unit: string) =>
  actual === undefined ? undefined : { met: actual <= limit, actual: `${actual.toPrecision(3)} ${unit}` }

export const fanout = Scenario.make({
  name: "fanout",
  description: "one parallel step of N children computing x + 1, reduced into their sum, in memory",
  figure: Scenario.secondsPerRun,
  // Every subject sets its own run counts by size (`runsAt`, LangGraph's); these are the fallback.
  warmupRuns: 10,
  timedRuns: 30,
  subjects: SIZES.flatMap((n) => [
    teaselAt("teasel", false, n),
    teaselAt("teasel-effect", true, n),
    langgraphAt(n, langgraphSkip(n))
  ]),
  targets: [
    {
      subject: "teasel@10000",
      description: `10,000 children <= ${TEN_K_TARGET_S} s`,
      met: (samples) => atMost(seconds(samples, "teasel@10000"), TEN_K_TARGET_S, "s")
    },
    {
      subject: "teasel@100000",
      description: `100,000 children <= ${HUNDRED_K_TARGET_S} s`,
      met: (samples) => atMost(seconds(samples, "teasel@100000"), HUNDRED_K_TARGET_S, "s")
    },
    {
      subject: "teasel@100000",
      description: `linear: time(100k)/time(10k) <= ${GROWTH_TARGET}x`,
      met: (samples) => {
        const big = seconds(samples, "teasel@100000")
        const small = seconds(samples, "teasel@10000")
        if (big === undefined || small === undefined) return undefined
        return { met: big / small <= GROWTH_TARGET, actual: `${(big / small).toPrecision(3)}x` }
      }
    },
    {
      subject: "teasel@100000",
      metric: "peak-rss",
      description: `100,000 children <= ${HUNDRED_K_RSS_TARGET_MB} MB peak RSS`,
      met: (samples) => atMost(samples("teasel@100000")?.peakRssMb, HUNDRED_K_RSS_TARGET_MB, "MB")
    }
  ]
})
