/** Test helpers: JSON requests, a server-sent events reader, and server processes. */
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { fileURLToPath } from "node:url"

export interface Reply {
  readonly status: number
  readonly body: any
}

/** A JSON request; the reply's body parsed (or `undefined` when empty). */
export const request = async (base: string, method: string, path: string, body?: unknown): Promise<Reply> => {
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  })
  const text = await response.text()
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) }
}

export interface SseMessage {
  readonly event: string
  readonly data: any
}

/**
 * Opens `GET /tickets/:id/events` and reads messages until `stop(message)` holds (returning every
 * message read, the last included) or the server ends the stream.
 */
export const readEvents = async (
  base: string,
  id: string,
  stop: (message: SseMessage) => boolean = () => false,
  onOpen?: () => void | Promise<void>
): Promise<{ readonly messages: ReadonlyArray<SseMessage>; readonly ended: boolean }> => {
  const controller = new AbortController()
  const response = await fetch(`${base}/tickets/${id}/events`, { signal: controller.signal })
  if (response.status !== 200 || response.body === null) throw new Error(`events: status ${response.status}`)
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  const messages: Array<SseMessage> = []
  let buffer = ""
  let opened = false
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return { messages, ended: true }
      buffer += value
      let cut: number
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut)
        buffer = buffer.slice(cut + 2)
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message"
        const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? "null")
        const message = { event, data }
        messages.push(message)
        if (!opened) {
          opened = true
          await onOpen?.()
        }
        if (stop(message)) return { messages, ended: false }
      }
    }
  } finally {
    controller.abort()
  }
}

/** Reads a ticket's events until its status is `status` (which may be the snapshot's). */
export const untilStatus = (base: string, id: string, status: string, onOpen?: () => void | Promise<void>) =>
  readEvents(base, id, (m) => m.event === "status" && m.data.status === status, onOpen)

/** A server process (src/main.ts) and what it printed. */
export interface Server {
  readonly base: string
  readonly child: ChildProcess
  readonly output: () => string
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>
}

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url))

/** Starts a server process on a free port and waits until it listens. */
export const startServer = async (env: Record<string, string>): Promise<Server> => {
  const child = spawn(process.execPath, ["--conditions=@teasel/source", "--import", "tsx", main], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    // A DATABASE_URL of the environment must not turn a SQLite test into a PostgreSQL one.
    env: { ...process.env, PORT: "0", DATABASE_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk))
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk))
  const exited = once(child, "exit").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }))
  const base = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(output)
      if (match?.[1] !== undefined) {
        child.stdout.off("data", check)
        resolve(match[1])
      }
    }
    child.stdout.on("data", check)
    void exited.then(({ code, signal }) => reject(new Error(`server exited (${code ?? signal}) before listening:\n${output}`)))
  })
  return { base, child, output: () => output, exited }
}
