/**
 * `sqlite-step`, `pg-step`, `sqlite-fanout`: the workloads of `loop` and `fanout`, with every
 * completed step saved to a database before the next begins, so the figures are the cost of a
 * persisted step and of a persisted fan-out.
 *
 * Every subject writes to a database of its own (a SQLite file in a fresh temporary directory, a
 * fresh PostgreSQL schema), removed when its runs are over; every run is a new application (a new
 * id or thread), and checks both its result and what the store holds afterwards.
 */
import type { Layer } from "effect"
import type { Persistence } from "@teasel/core"
import * as Scenario from "../Scenario.js"

interface Counter {
  readonly count: number
}

interface Parent {
  readonly n: number
  readonly sum: number
}

interface Child {
  readonly x: number
}

const inc = (s: Counter): Counter => ({ count: s.count + 1 })
const add1 = (c: Child): Child => ({ x: c.x + 1 })

const STEPS = 5_000
// LangGraph takes a millisecond a persisted step: fewer steps keep a run near half a second.
const LANGGRAPH_STEPS = 500
const FANOUT = 10_000

const SQLITE_STEP_TARGET_US = 60
const PG_STEP_TARGET_US = 400
const SQLITE_FANOUT_TARGET_S = 1.5
/** Tracking into the same file may slow a persisted step by at most this much. */
const TRACKED_OVERHEAD_TARGET = 0.2

// Measured on this machine with each library's SQLite persistence, for the note beside LangGraph.
const REFERENCE = "reference figures here: Burr ~1,300 us, LangGraph JS ~1,055 us per persisted step"

const pgUrl = process.env["TEASEL_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"

/** A PostgreSQL schema of this process's own, and its removal. */
const pgSchema = async () => {
  const { Effect, Redacted } = await import("effect")
  const { PgClient } = await import("@effect/sql-pg")
  const { SqlClient } = await import("effect/sql")
  const schema = `teasel_bench_${process.pid}_${Date.now().toString(36)}`
  const admin = (statement: string) =>
    Effect.runPromise(
      Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) => sql.unsafe(statement)).pipe(
        Effect.provide(PgClient.layer({ url: Redacted.make(pgUrl), connectTimeout: "5 seconds", maxConnections: 1 }))
      )
    )
  await admin(`CREATE SCHEMA ${schema}`)
  return { schema, drop: () => admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).then(() => undefined) }
}

/**
 * Teasel: the counter loop of `loop` (a and b taking turns; it ends after `STEPS` steps), each step
 * saved to `store`. The store is opened once (its runtime outlives the runs); each run is a new
 * application, and reads its last step back to check it was saved.
 */
const teaselStep = async (
  name: string,
  store: Layer.Layer<Persistence.Persistence, unknown, never>,
  release: () => Promise<void>
): Promise<Scenario.Run> => {
  const { Effect, ManagedRuntime } = await import("effect")
  const { Application, Graph, Persistence } = await import("@teasel/core")
  const graph = Graph.make({
    actions: { a: inc, b: inc },
    transitions: [["a", "b"], ["b", "a", (s) => s.count < STEPS]],
    entrypoint: "a"
  })
  const runtime = ManagedRuntime.make(store)
  let runs = 0
  const run = async () => {
    const id = `${name}-${process.pid}-${runs++}`
    const { final, saved } = await runtime.runPromise(Effect.gen(function*() {
      const final = yield* Application.run(Application.make({ graph, id, state: { count: 0 } }))
      const saved = yield* (yield* Persistence.Persistence).load({ appId: id, partitionKey: "" })
      return { final, saved }
    }))
    Scenario.check(
      name,
      final.state.count === STEPS && final.sequenceId === STEPS && saved?.sequenceId === STEPS &&
        (saved.state as Counter).count === STEPS && saved.next === undefined,
      `count ${STEPS} at step ${STEPS}, saved as the last step`,
      { count: final.state.count, sequenceId: final.sequenceId, saved: saved && { ...saved, state: saved.state } }
    )
  }
  return Scenario.withClose(run, async () => {
    await runtime.dispose()
    await release()
  })
}

const teaselSqliteStep: Scenario.Subject = {
  name: "teasel",
  steps: STEPS,
  note: "SqlPersistence.layerSqlite (node:sqlite, WAL, synchronous=NORMAL)",
  setup: async () => {
    const { SqlPersistence } = await import("@teasel/sql")
    const dir = await Scenario.tempDir("sqlite-step")
    return teaselStep("teasel", SqlPersistence.layerSqlite({ filename: dir.file }), async () => dir.remove())
  }
}

/**
 * The same, tracked into the same SQLite file as it persists to, over one connection: what the
 * demo and `teasel ui` use. The tracker's own writes happen on its fiber while the run goes on.
 */
const teaselTrackedStep: Scenario.Subject = {
  name: "teasel-tracked",
  steps: STEPS,
  note: "teasel with SqlTracking in the same SQLite file (one SqliteClient), as `pnpm demo` runs",
  setup: async () => {
    const { Layer } = await import("effect")
    const { SqliteClient, SqlPersistence, SqlTracking } = await import("@teasel/sql")
    const dir = await Scenario.tempDir("sqlite-tracked")
    const layer = Layer.mergeAll(SqlPersistence.layer, SqlTracking.layer).pipe(
      Layer.provide(SqliteClient.layer({ filename: dir.file }))
    )
    return teaselStep("teasel-tracked", layer, async () => dir.remove())
  }
}

const teaselMemoryStep: Scenario.Subject = {
  name: "teasel-memory",
  steps: STEPS,
  note: "Persistence.layerMemory: the loop and the encoding of every step, without a database",
  setup: async () => {
    const { Persistence } = await import("@teasel/core")
    return teaselStep("teasel-memory", Persistence.layerMemory, async () => {})
  }
}

const teaselPgStep: Scenario.Subject = {
  name: "teasel",
  steps: STEPS,
  note: `SqlPersistence.layerPg at ${pgUrl.replace(/\/\/[^@/]*@/, "//")} (a fresh schema, dropped afterwards)`,
  setup: async () => {
    const { SqlPersistence } = await import("@teasel/sql")
    const { drop, schema } = await pgSchema()
    return teaselStep(
      "teasel",
      SqlPersistence.layerPg({ url: pgUrl, connectTimeout: "5 seconds", startupParameters: { search_path: schema } }),
      drop
    )
  }
}

/**
 * LangGraph JS: nodes a -> b, b -> a until the count is reached, compiled with a checkpointer, so
 * each superstep is checkpointed. Every run is a new thread, whose last checkpoint is read back.
 */
const langgraphStep = (
  name: string,
  note: string,
  checkpointer: () => Promise<{
    readonly saver: import("@langchain/langgraph").BaseCheckpointSaver
    readonly close: () => Promise<void>
  }>
): Scenario.Subject => ({
  name,
  steps: LANGGRAPH_STEPS,
  note,
  warmupRuns: 1,
  timedRuns: 5,
  setup: async () => {
    const { Annotation, END, START, StateGraph } = await import("@langchain/langgraph")
    const { close, saver } = await checkpointer()
    const State = Annotation.Root({ count: Annotation<number> })
    const graph = new StateGraph(State)
      .addNode("a", inc)
      .addNode("b", inc)
      .addEdge(START, "a")
      .addEdge("a", "b")
      .addConditionalEdges("b", (s) => (s.count >= LANGGRAPH_STEPS ? END : "a"))
      .compile({ checkpointer: saver })
    let runs = 0
    const run = async () => {
      const config = { recursionLimit: LANGGRAPH_STEPS + 10, configurable: { thread_id: `${name}-${runs++}` } }
      const final = await graph.invoke({ count: 0 }, config)
      const saved = await graph.getState(config)
      Scenario.check(
        name,
        final.count === LANGGRAPH_STEPS && saved.values.count === LANGGRAPH_STEPS && saved.next.length === 0,
        `count ${LANGGRAPH_STEPS}, checkpointed as the last step`,
        { count: final.count, saved: saved.values, next: saved.next }
      )
    }
    return Scenario.withClose(run, close)
  }
})

const langgraphSqliteStep = langgraphStep(
  "langgraph",
  `SqliteSaver (better-sqlite3, WAL, synchronous=NORMAL as Teasel's); ${LANGGRAPH_STEPS} steps per run; ${REFERENCE}`,
  async () => {
    const { SqliteSaver } = await import("@langchain/langgraph-checkpoint-sqlite")
    const dir = await Scenario.tempDir("langgraph")
    let saver: InstanceType<typeof SqliteSaver>
    try {
      saver = SqliteSaver.fromConnString(dir.file)
    } catch (cause) {
      dir.remove()
      throw new Error(
        "LangGraph's SqliteSaver could not open its database: better-sqlite3's native module is missing " +
          "(run `pnpm --filter @teasel/benchmarks native` to build it from source)",
        { cause }
      )
    }
    // The same durability as Teasel's SQLite: a commit survives a process crash, not a power loss.
    // (better-sqlite3's build already defaults to NORMAL under WAL; said here so it stays so.)
    saver.db.pragma("synchronous = NORMAL")
    return {
      saver,
      close: async () => {
        saver.db.close()
        dir.remove()
      }
    }
  }
)

const langgraphMemoryStep = langgraphStep(
  "langgraph-memory",
  `MemorySaver: LangGraph's in-memory checkpointer, no database; ${LANGGRAPH_STEPS} steps per run`,
  async () => {
    const { MemorySaver } = await import("@langchain/langgraph")
    return { saver: new MemorySaver(), close: async () => {} }
  }
)

/**
 * Teasel: one `mapStates` step of `FANOUT` children (`x + 1`, reduced into their sum), every child's
 * step and the parent's saved to a SQLite file. Each run is a new parent; it reads back the
 * parent's step and its last child's.
 */
const teaselSqliteFanout: Scenario.Subject = {
  name: "teasel",
  steps: FANOUT,
  note: `${FANOUT} children, each saving its step, then the parent's step`,
  warmupRuns: 2,
  timedRuns: 7,
  setup: async () => {
    const { Effect, ManagedRuntime } = await import("effect")
    const { Application, Graph, mapStates, Parallel, Persistence } = await import("@teasel/core")
    const { SqlPersistence } = await import("@teasel/sql")
    const dir = await Scenario.tempDir("sqlite-fanout")
    const fan = mapStates(
      add1,
      (s: Parent) => Array.from({ length: s.n }, (_, x) => ({ x })),
      (s, results) => ({ ...s, sum: results.reduce((a, r) => a + r.x, 0) })
    )
    const graph = Graph.make({ actions: { fan }, transitions: [], entrypoint: "fan" })
    const runtime = ManagedRuntime.make(SqlPersistence.layerSqlite({ filename: dir.file }))
    const expected = (FANOUT * (FANOUT + 1)) / 2
    let runs = 0
    const run = async () => {
      const id = `fanout-${process.pid}-${runs++}`
      const lastChild = Parallel.childId(id, 1, "fan", FANOUT - 1)
      const { child, final, parent } = await runtime.runPromise(Effect.gen(function*() {
        const final = yield* Application.run(Application.make({ graph, id, state: { n: FANOUT, sum: 0 } }))
        const store = yield* Persistence.Persistence
        const parent = yield* store.load({ appId: id, partitionKey: "" })
        const child = yield* store.load({ appId: lastChild, partitionKey: "" })
        return { child, final, parent }
      }))
      Scenario.check(
        "teasel",
        final.state.sum === expected && (parent?.state as Parent | undefined)?.sum === expected &&
          (child?.state as Child | undefined)?.x === FANOUT && child?.parentId === id,
        `sum ${expected} saved for the parent, x ${FANOUT} saved for child ${lastChild}`,
        { sum: final.state.sum, parent: parent?.state, child: child?.state }
      )
    }
    return Scenario.withClose(run, async () => {
      await runtime.dispose()
      dir.remove()
    })
  }
}

const perStepTarget = (limit: number): Scenario.Target => ({
  subject: "teasel",
  description: `<= ${limit} us/step`,
  met: (samples) => {
    const t = samples("teasel")?.usPerStep
    return t === undefined ? undefined : { met: t <= limit, actual: `${t.toPrecision(3)} us` }
  }
})

export const sqliteStep = Scenario.make({
  name: "sqlite-step",
  description: "the counter loop of `loop`, every step saved to a SQLite file",
  figure: Scenario.microsecondsPerStep,
  warmupRuns: 3,
  timedRuns: 10,
  subjects: [teaselSqliteStep, teaselTrackedStep, teaselMemoryStep, langgraphSqliteStep, langgraphMemoryStep],
  targets: [
    perStepTarget(SQLITE_STEP_TARGET_US),
    Scenario.overhead("teasel-tracked", "teasel", TRACKED_OVERHEAD_TARGET)
  ]
})

export const pgStep = Scenario.make({
  name: "pg-step",
  description: "the counter loop of `loop`, every step saved to PostgreSQL",
  figure: Scenario.microsecondsPerStep,
  warmupRuns: 1,
  timedRuns: 5,
  subjects: [teaselPgStep],
  targets: [perStepTarget(PG_STEP_TARGET_US)]
})

export const sqliteFanout = Scenario.make({
  name: "sqlite-fanout",
  description: `one parallel step of ${FANOUT} children computing x + 1, every child's step saved to a SQLite file`,
  figure: Scenario.secondsPerRun,
  warmupRuns: 2,
  timedRuns: 7,
  subjects: [teaselSqliteFanout],
  targets: [
    {
      subject: "teasel",
      description: `${FANOUT} persisted children <= ${SQLITE_FANOUT_TARGET_S} s`,
      met: (samples) => {
        const s = samples("teasel")
        if (s === undefined) return undefined
        const t = Scenario.secondsPerRun.of(s)
        return { met: t <= SQLITE_FANOUT_TARGET_S, actual: `${t.toPrecision(3)} s` }
      }
    }
  ]
})

/** The persisted scenarios, in the order they are run. */
export const persisted: ReadonlyArray<Scenario.Scenario> = [sqliteStep, pgStep, sqliteFanout]
