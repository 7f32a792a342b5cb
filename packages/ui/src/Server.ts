/**
 * The tracking UI's server: a page, its script and styles, a small JSON API over
 * `TrackingReader`, and server-sent events that tell open pages when something was tracked.
 *
 * Everything is served from this package (no CDN, nothing fetched at run time). It listens on
 * 127.0.0.1 unless told otherwise, and while it does it answers only requests addressed to a
 * loopback name, so that a web page elsewhere cannot read the store through DNS rebinding.
 *
 * @since 0.1.0
 */
import { existsSync, readFileSync } from "node:fs"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { fileURLToPath } from "node:url"
import { Effect, type Layer, ManagedRuntime } from "effect"
import { TrackingReader } from "@teasel/sql"

/**
 * Where the server listens and what it reads.
 *
 * @example
 * ```ts
 * import type { Server } from "@teasel/ui"
 * const options: Server.Options = { filename: ".teasel/teasel.db", port: 7241 }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** The SQLite file the applications were tracked in (`SqlTracking.layerSqlite`). */
  readonly filename?: string | undefined
  /**
   * Instead of `filename`: the PostgreSQL database they were tracked in (`SqlTracking.layerPg`), as
   * a `postgres://` URL; `pgSchema` names the schema when it is not the default search path.
   */
  readonly url?: string | undefined
  readonly pgSchema?: string | undefined
  /** Default 7241; 0 picks a free port. */
  readonly port?: number | undefined
  /** Default `127.0.0.1`. Anything else exposes the store to whoever can reach that address. */
  readonly host?: string | undefined
  /** How often the store is looked at for changes while a page listens. Default 250 ms. */
  readonly pollInterval?: number | undefined
}

/**
 * A running server.
 *
 * @example
 * ```ts
 * import { Server } from "@teasel/ui"
 * const server = await Server.start({ filename: ".teasel/teasel.db", port: 0 })
 * console.log(server.url)
 * await server.close()
 * ```
 * @category models
 * @since 0.1.0
 */
export interface Server {
  /** `http://host:port`. */
  readonly url: string
  readonly port: number
  readonly close: () => Promise<void>
}

/** The default port of `teasel ui`. */
export const defaultPort = 7241

/** The default address: this machine only. */
export const defaultHost = "127.0.0.1"

const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]", "::1"])

/** Where the server reads: exactly one of a SQLite file and a PostgreSQL URL. */
const storeLayer = (options: Options): Layer.Layer<TrackingReader.TrackingReader, unknown> => {
  if ((options.filename === undefined) === (options.url === undefined)) {
    throw new Error(
      `teasel ui reads one tracking store: give either a SQLite filename or a PostgreSQL url (got ${
        options.filename === undefined ? "neither" : `both "${options.filename}" and a url`
      })`
    )
  }
  if (options.url !== undefined) {
    return TrackingReader.layerPg({
      url: options.url,
      connectTimeout: "5 seconds",
      ...(options.pgSchema === undefined ? {} : { startupParameters: { search_path: options.pgSchema } })
    })
  }
  return TrackingReader.layerSqlite({ filename: options.filename!, busyTimeout: 2_000 })
}

/**
 * Starts the server; resolves once it listens.
 *
 * @example
 * ```ts
 * import { Server } from "@teasel/ui"
 * const server = await Server.start({ filename: ".teasel/teasel.db" })
 * // open server.url (http://127.0.0.1:7241) in a browser
 * ```
 * @category constructors
 * @since 0.1.0
 */
export const start = async (options: Options): Promise<Server> => {
  const host = options.host ?? defaultHost
  const runtime = ManagedRuntime.make(storeLayer(options))
  // Opens the file (creating the tables when a store is new), so that a bad path fails here.
  const store = await runtime.runPromise(Effect.service(TrackingReader.TrackingReader))
  const run = <A>(effect: Effect.Effect<A, unknown>) => runtime.runPromise(effect)
  const assets = loadAssets()
  const listeners = new Set<ServerResponse>()
  const loopbackOnly = LOOPBACK_NAMES.has(host)

  const api = async (path: string, q: URLSearchParams): Promise<unknown> => {
    const key = { partitionKey: q.get("pk") ?? "", appId: q.get("id") ?? "" }
    switch (path) {
      case "/api/projects":
        return run(store.projects())
      case "/api/applications":
        return run(store.applications({ project: q.get("project") ?? "", offset: int(q, "offset"), limit: int(q, "limit") }))
      case "/api/application":
        return (await run(store.application(key))) ?? null
      case "/api/steps":
        return run(store.steps({ ...key, offset: int(q, "offset"), limit: int(q, "limit"), around: int(q, "around") }))
      case "/api/step":
        return (await run(store.step({ ...key, sequenceId: int(q, "seq") ?? 0 }))) ?? null
      case "/api/children":
        return run(store.children({ ...key, sequenceId: int(q, "seq") ?? 0, offset: int(q, "offset"), limit: int(q, "limit") }))
      default:
        return undefined
    }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (loopbackOnly && !LOOPBACK_NAMES.has(hostName(req.headers.host))) {
      return send(res, 403, "text/plain; charset=utf-8", "teasel ui answers only requests addressed to this machine\n")
    }
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain; charset=utf-8", "GET only\n")
    const url = new URL(req.url ?? "/", "http://localhost")
    if (url.pathname === "/" || url.pathname === "/index.html") return send(res, 200, "text/html; charset=utf-8", assets.html)
    if (url.pathname === "/style.css") return send(res, 200, "text/css; charset=utf-8", assets.css)
    if (url.pathname === "/app.js") return send(res, 200, "text/javascript; charset=utf-8", await assets.script())
    if (url.pathname === "/api/events") return listen(res)
    if (url.pathname.startsWith("/api/")) {
      try {
        const body = await api(url.pathname, url.searchParams)
        if (body === undefined) return send(res, 404, "application/json", JSON.stringify({ error: "no such endpoint" }))
        return send(res, 200, "application/json", JSON.stringify(body))
      } catch (error) {
        return send(res, 500, "application/json", JSON.stringify({ error: String(error) }))
      }
    }
    return send(res, 404, "text/plain; charset=utf-8", "not found\n")
  }

  // Server-sent events: one poll of the store for all pages, only while some page listens.
  let version: string | undefined
  let polling = false
  const poll = async () => {
    if (polling || listeners.size === 0) return
    polling = true
    try {
      const now = await run(store.version())
      if (now !== version) {
        version = now
        for (const res of listeners) res.write(`event: change\ndata: ${JSON.stringify(now)}\n\n`)
      }
    } catch {
      // The store is being written or was moved: try again at the next tick.
    } finally {
      polling = false
    }
  }
  const timer = setInterval(() => void poll(), options.pollInterval ?? 250)
  const keepAlive = setInterval(() => {
    for (const res of listeners) res.write(": keep-alive\n\n")
  }, 15_000)

  const listen = (res: ServerResponse) => {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive"
    })
    res.write(`retry: 1000\n\n`)
    listeners.add(res)
    res.on("close", () => listeners.delete(res))
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", `${String(error)}\n`)
      else res.end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? defaultPort, host, () => {
      server.off("error", reject)
      resolve()
    })
  }).catch(async (error) => {
    clearInterval(timer)
    clearInterval(keepAlive)
    await runtime.dispose()
    throw error
  })
  const port = (server.address() as AddressInfo).port
  const shownHost = host.includes(":") ? `[${host}]` : host
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close: async () => {
      clearInterval(timer)
      clearInterval(keepAlive)
      for (const res of listeners) res.end()
      listeners.clear()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await runtime.dispose()
    }
  }
}

const int = (q: URLSearchParams, name: string): number | undefined => {
  const value = q.get(name)
  if (value === null || value.trim() === "") return undefined
  const n = Number(value)
  return Number.isFinite(n) ? Math.trunc(n) : undefined
}

/** The host name a request was addressed to, without its port. */
const hostName = (header: string | undefined): string => {
  if (header === undefined) return ""
  if (header.startsWith("[")) return header.slice(0, header.indexOf("]") + 1)
  const colon = header.indexOf(":")
  return colon < 0 ? header : header.slice(0, colon)
}

const send = (res: ServerResponse, status: number, type: string, body: string) => {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", "content-length": Buffer.byteLength(body) })
  res.end(body)
}

/**
 * The page, its styles and its script. Built, the script is `dist/client.js`; in this repository,
 * run from the sources, it is bundled from `src/client/main.ts` with esbuild on first request.
 */
const loadAssets = () => {
  const staticDir = new URL("../static/", import.meta.url)
  const html = readFileSync(new URL("index.html", staticDir), "utf8")
  const css = readFileSync(new URL("style.css", staticDir), "utf8")
  let script: Promise<string> | undefined
  const bundle = async (): Promise<string> => {
    const built = fileURLToPath(new URL("./client.js", import.meta.url))
    if (existsSync(built)) return readFileSync(built, "utf8")
    const source = fileURLToPath(new URL("./client/main.ts", import.meta.url))
    const esbuild = await import("esbuild")
    const out = await esbuild.build({
      entryPoints: [source],
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      target: "es2022",
      logLevel: "silent"
    })
    return out.outputFiles[0]!.text
  }
  return {
    html,
    css,
    script: () => {
      script ??= bundle().catch((error) => {
        script = undefined
        throw error
      })
      return script
    }
  }
}
