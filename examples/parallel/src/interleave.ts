/**
 * Full control, 1: an action starts several children itself and interleaves their streams as
 * their chunks arrive — three "writers" each streaming a short line, word by word, at its own
 * pace. `Children.stream` is a child application's events; `Stream.merge` interleaves them.
 *
 *   pnpm --filter @teasel/example-parallel interleave
 */
import { pathToFileURL } from "node:url"
import { Effect, Stream } from "effect"
import { Action, Application, Children, Graph } from "@teasel/core"

/** One writer's child state: who writes, and the line written so far. */
export interface Line {
  readonly writer: string
  readonly text: string
}

/** The parent's state: every chunk as it arrived (`writer: word`), and each writer's final line. */
export interface Room {
  readonly heard: ReadonlyArray<string>
  readonly lines: ReadonlyArray<string>
}

/** A writer streams its words, one every `pace` ms (a model streaming tokens). */
const writer = (words: ReadonlyArray<string>, pace: number) =>
  Action.stream(
    (_: Line) => Stream.fromIterable(words).pipe(Stream.tap(() => Effect.sleep(pace))),
    (line, chunks) => ({ ...line, text: chunks.join(" ") })
  )

const writers = [
  { key: "ann", action: writer(["teasels", "flower", "in", "july"], 30) },
  { key: "bo", action: writer(["goldfinches", "eat", "the", "seeds"], 45) },
  { key: "cy", action: writer(["the", "heads", "dry", "brown"], 20) }
] as const

/** Listens to every writer at once: the chunks in the order they arrive, then each final line. */
const listen = (room: Room) =>
  Effect.gen(function*() {
    const heard: Array<string> = []
    const lines: Array<string> = []
    const all = Stream.mergeAll(
      writers.map(({ action, key }) => Children.stream(action, { writer: key, text: "" }, { key })),
      { concurrency: "unbounded" }
    )
    yield* Stream.runForEach(all, (event) =>
      Effect.sync(() => {
        if (event._tag === "Chunk") heard.push(`${event.appId.split(":").at(-1)}: ${String(event.chunk)}`)
        if (event._tag === "Done") lines.push(`${(event.app.state as Line).writer}: ${(event.app.state as Line).text}`)
      }))
    return { ...room, heard: [...room.heard, ...heard], lines: lines.sort() }
  })

export const graph = Graph.make({ actions: { listen }, transitions: [], entrypoint: "listen" })

export const run = Effect.map(
  Application.run(Application.make({ graph, state: { heard: [], lines: [] }, id: "room" })),
  (app) => app.state
)

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const room = await Effect.runPromise(run)
  for (const chunk of room.heard) console.log(chunk)
  console.log("---")
  for (const line of room.lines) console.log(line)
}
