/**
 * An arbitrary task list: ask a file's mirrors, in parallel, until one of them has it. `tasks`
 * takes any list of `{ branch, state, inputs?, id? }`; here there is one task per mirror, each
 * child named after its mirror, and every option of the combinator is at work:
 *
 * - `concurrency: 2`: two probes at a time;
 * - `timeout: "200 millis"`: a probe that hangs fails with a `TimeoutError`;
 * - `retry`: a probe that failed is tried once more — unless it timed out, since a mirror that
 *   hangs is not worth a second wait (the schedule sees each failure as its input);
 * - `onError: "collect"`: a mirror that keeps failing does not fail the step, it is reported;
 * - `stopWhen`: once a mirror has the file, the probes still running are interrupted and the
 *   ones not yet started never start.
 *
 *   pnpm --filter @teasel/example-parallel tasks
 */
import { pathToFileURL } from "node:url"
import { Cause, Data, Duration, Effect, Schedule, Stream } from "effect"
import { Application, Graph, tasks } from "@teasel/core"

/** How a simulated mirror behaves when probed. */
export type Behaviour = "has-file" | "no-file" | "flaky" | "hangs" | "broken"

export interface Mirror {
  readonly name: string
  readonly behaviour: Behaviour
  /** Milliseconds a probe takes when it answers. */
  readonly latency: number
}

/** A mirror answered with an error. */
export class MirrorError extends Data.TaggedError("MirrorError")<{
  readonly mirror: string
  readonly message: string
}> {}

/** A child's state: the mirror it probes, and what it found. */
export interface Probe {
  readonly mirror: Mirror
  readonly hasFile: boolean
  /** Which attempt answered (retries start the child again from its first state). */
  readonly attempt: number
}

/** The parent's state. */
export interface Search {
  readonly file: string
  readonly mirrors: ReadonlyArray<Mirror>
  /** The mirror that has the file, if one was found. */
  readonly found: string | undefined
  /** Mirrors that answered, in task order. */
  readonly answered: ReadonlyArray<{ readonly mirror: string; readonly hasFile: boolean; readonly attempt: number }>
  /** Mirrors that failed every attempt, in task order. */
  readonly failed: ReadonlyArray<{ readonly id: string; readonly reason: string }>
}

/**
 * The mirrors of the example, in task order. With two probes at a time, a 200 ms timeout and the
 * latencies below, what happens to each is the same on every run:
 */
export const mirrors: ReadonlyArray<Mirror> = [
  { name: "eu", behaviour: "flaky", latency: 10 }, //         fails, answers on the retry: no file
  { name: "us", behaviour: "hangs", latency: 0 }, //          times out at 200 ms: failed, not retried
  { name: "asia", behaviour: "broken", latency: 0 }, //       errors twice: failed
  { name: "nordic", behaviour: "no-file", latency: 120 }, //  answers: no file
  { name: "backup", behaviour: "has-file", latency: 130 }, // has it (at about 260 ms): stopWhen holds
  { name: "archive", behaviour: "no-file", latency: 1000 }, // started at 200 ms: interrupted
  { name: "attic", behaviour: "no-file", latency: 10 } //     never started
]

/** Retry a failed probe once, unless it timed out. */
export const retryPolicy = Schedule.recurs(1).pipe(Schedule.while(({ input }) => !Cause.isTimeoutError(input)))

/** Why a child failed, in a few words: the error's tag and message. */
const reasonOf = (error: unknown): string => {
  const tag = (error as { _tag?: unknown } | undefined)?._tag
  const message = error instanceof Error ? error.message : String(error)
  return typeof tag === "string" ? `${tag}: ${message}` : message
}

/**
 * Searches `mirrors` for `file`: the final state, and how many times each mirror was probed
 * (a simulated network keeps the count, since a retried child starts again from its first state).
 */
export const search = (file: string, list: ReadonlyArray<Mirror> = mirrors) =>
  Effect.gen(function*() {
    const attempts = new Map<string, number>()

    const probe = (s: Probe): Effect.Effect<Probe, MirrorError> =>
      Effect.suspend(() => {
        const name = s.mirror.name
        const attempt = (attempts.get(name) ?? 0) + 1
        attempts.set(name, attempt)
        switch (s.mirror.behaviour) {
          case "hangs":
            return Effect.never
          case "broken":
            return Effect.fail(new MirrorError({ mirror: name, message: "404: no index here" }))
          case "flaky":
            if (attempt === 1) return Effect.fail(new MirrorError({ mirror: name, message: "connection reset" }))
            return Effect.as(Effect.sleep(Duration.millis(s.mirror.latency)), { ...s, hasFile: false, attempt })
          case "has-file":
          case "no-file":
            return Effect.as(Effect.sleep(Duration.millis(s.mirror.latency)), {
              ...s,
              hasFile: s.mirror.behaviour === "has-file",
              attempt
            })
        }
      })

    const probeAll = tasks(
      (s: Search, context) =>
        s.mirrors.map((mirror) => ({
          branch: probe,
          state: { mirror, hasFile: false, attempt: 0 },
          // Ids are the caller's to choose; unique within the step, and here across applications.
          id: `${context.appId}/${mirror.name}`
        })),
      (s, results, failures) => ({
        ...s,
        found: results.find((r) => r.hasFile)?.mirror.name,
        answered: results.map((r) => ({ mirror: r.mirror.name, hasFile: r.hasFile, attempt: r.attempt })),
        failed: failures.map((f) => ({ id: f.id, reason: reasonOf(f.error) }))
      }),
      {
        concurrency: 2,
        timeout: "200 millis",
        retry: retryPolicy,
        onError: "collect",
        stopWhen: (completed) => completed.some((r) => r.hasFile)
      }
    )

    const graph = Graph.make({ actions: { probeAll }, transitions: [], entrypoint: "probeAll" })
    const app = Application.make({
      graph,
      state: { file, mirrors: list, found: undefined, answered: [], failed: [] },
      id: "search"
    })
    const started = Date.now()
    const timeline: Array<string> = []
    let final = app.state
    yield* Stream.runForEach(Application.stream(app), (event) =>
      Effect.sync(() => {
        const at = `${String(Date.now() - started).padStart(5)} ms`
        if (event._tag === "Done") final = event.app.state
        else if (event.appId === app.id) return
        else if (event._tag === "StepStarted") timeline.push(`${at}  ${event.appId.padEnd(15)} probing`)
        else if (event._tag === "StepCompleted") {
          const s = event.state as Probe
          timeline.push(`${at}  ${event.appId.padEnd(15)} ${s.hasFile ? "has the file" : "does not have it"}`)
        } else if (event._tag === "StepFailed") timeline.push(`${at}  ${event.appId.padEnd(15)} ${reasonOf(event.error)}`)
      }))
    return { final, attempts: new Map(attempts), timeline }
  })

const main = Effect.gen(function*() {
  const { attempts, final, timeline } = yield* search("teasel-0.1.0.tgz")
  console.log(`tasks: find "${final.file}" on ${final.mirrors.length} mirrors, two at a time`)
  for (const line of timeline) console.log(`  ${line}`)
  console.log(`  (a probe that times out or is stopped is interrupted: it emits no StepFailed)`)
  console.log(`  found on: ${final.found ?? "no mirror"}`)
  for (const mirror of final.mirrors) {
    const answered = final.answered.find((a) => a.mirror === mirror.name)
    const failed = final.failed.find((f) => f.id === `search/${mirror.name}`)
    const tries = attempts.get(mirror.name) ?? 0
    const outcome = answered !== undefined
      ? `${answered.hasFile ? "has the file" : "no file"} (attempt ${answered.attempt})`
      : failed !== undefined
      ? `failed after ${tries} attempt${tries === 1 ? "" : "s"}: ${failed.reason}`
      : tries > 0
      ? "interrupted: not needed any more"
      : "never started"
    console.log(`    ${mirror.name.padEnd(8)} ${outcome}`)
  }
})

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await Effect.runPromise(main)
}
