/**
 * The server without a browser: its JSON API over a tracked run, the page and its bundled script
 * (nothing from the network), requests addressed to other hosts refused, and the command line.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Redacted } from "effect"
import { PgClient } from "@effect/sql-pg"
import { SqlClient } from "effect/sql"
import { Application, Graph, Tracking } from "@teasel/core"
import { SqlTracking } from "@teasel/sql"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Server from "../src/Server.js"

const dir = mkdtempSync(join(tmpdir(), "teasel-ui-server-"))
const db = join(dir, "teasel.db")
let server: Server.Server

beforeAll(async () => {
  const inc = (s: { n: number }) => ({ n: s.n + 1 })
  const graph = Graph.make({ actions: { a: inc, b: inc }, transitions: [["a", "b"]], entrypoint: "a" })
  await Effect.runPromise(
    Application.run(Application.make({ graph, state: { n: 0 }, id: "small", partitionKey: "user-1" })).pipe(
      Effect.provide(SqlTracking.layerSqlite({ filename: db })),
      Effect.provideService(Tracking.CurrentProject, "demo")
    )
  )
  server = await Server.start({ filename: db, port: 0 })
})

afterAll(async () => {
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

const get = async (path: string) => {
  const res = await fetch(`${server.url}${path}`)
  return { status: res.status, type: res.headers.get("content-type"), body: await res.text() }
}

/** A request whose Host header names `host`, as a page of another site would send after DNS rebinding. */
const asHost = (host: string) =>
  new Promise<number>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: server.port, path: "/api/projects", headers: { host } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on("error", reject)
    req.end()
  })

describe("the UI server", () => {
  it("listens on 127.0.0.1", () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(Server.defaultHost).toBe("127.0.0.1")
    expect(Server.defaultPort).toBe(7241)
  })

  it("serves the page, its styles and its bundled script, with nothing from elsewhere", async () => {
    const page = await get("/")
    expect(page.status).toBe(200)
    expect(page.body).toContain(`<script type="module" src="/app.js">`)
    const script = await get("/app.js")
    expect(script.type).toMatch(/javascript/)
    expect(script.body).toContain("EventSource")
    // Bundled whole: no import left to resolve, and no address outside this server.
    expect(script.body).not.toMatch(/^\s*import\s/m)
    for (const body of [page.body, script.body, (await get("/style.css")).body]) {
      expect(body).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/)
    }
  })

  it("answers the API from the tracking store", async () => {
    expect(JSON.parse((await get("/api/projects")).body)).toMatchObject([{ project: "demo", applications: 1 }])
    const apps = JSON.parse((await get("/api/applications?project=demo")).body)
    expect(apps).toMatchObject({ total: 1, items: [{ appId: "small", partitionKey: "user-1", status: "completed", steps: 2 }] })
    const step = JSON.parse((await get("/api/step?pk=user-1&id=small&seq=2")).body)
    expect(step).toMatchObject({ action: "b", state: { n: 2 }, previous: { n: 1 } })
    expect(JSON.parse((await get("/api/application?pk=&id=small")).body)).toBeNull()
    expect((await get("/api/nothing")).status).toBe(404)
  })

  it("refuses requests addressed to another host", async () => {
    expect(await asHost("evil.example")).toBe(403)
    expect(await asHost(`localhost:${server.port}`)).toBe(200)
    expect(await asHost(`127.0.0.1:${server.port}`)).toBe(200)
  })

  it("tells the store changed, as server-sent events", async () => {
    const controller = new AbortController()
    const res = await fetch(`${server.url}/api/events`, { signal: controller.signal })
    expect(res.headers.get("content-type")).toBe("text/event-stream")
    const reader = res.body!.getReader()
    let text = ""
    while (!text.includes("event: change")) text += new TextDecoder().decode((await reader.read()).value)
    controller.abort()
    expect(text).toMatch(/event: change\ndata: ".+"/)
  })
})

describe("the UI server on PostgreSQL", () => {
  const url = process.env["TEASEL_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"
  const schema = `teasel_ui_${process.pid}_${Date.now().toString(36)}`
  // Fails (never skips) when the server is not there: .ci/run starts it.
  const admin = (statement: string) =>
    Effect.runPromise(
      Effect.flatMap(Effect.service(SqlClient.SqlClient), (sql) => sql.unsafe(statement)).pipe(
        Effect.provide(PgClient.layer({ url: Redacted.make(url), connectTimeout: "5 seconds", maxConnections: 1 }))
      )
    )
  let pg: Server.Server | undefined

  afterAll(async () => {
    await pg?.close()
    await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  })

  it("answers the API from a PostgreSQL tracking store, in the schema it was written to", async () => {
    await admin(`CREATE SCHEMA ${schema}`)
    const inc = (s: { n: number }) => ({ n: s.n + 1 })
    const graph = Graph.make({ actions: { a: inc, b: inc }, transitions: [["a", "b"]], entrypoint: "a" })
    await Effect.runPromise(
      Application.run(Application.make({ graph, state: { n: 0 }, id: "in-pg" }), { haltAfter: ["a"] }).pipe(
        Effect.provide(SqlTracking.layerPg({ url, startupParameters: { search_path: schema } })),
        Effect.provideService(Tracking.CurrentProject, "pg-demo")
      )
    )
    pg = await Server.start({ url, pgSchema: schema, port: 0 })
    const res = await fetch(`${pg.url}/api/applications?project=pg-demo`)
    expect(await res.json()).toMatchObject({ total: 1, items: [{ appId: "in-pg", status: "halted", steps: 1, next: "b" }] })
    const step = await (await fetch(`${pg.url}/api/step?pk=&id=in-pg&seq=1`)).json()
    expect(step).toMatchObject({ action: "a", state: { n: 1 }, previous: { n: 0 } })
  })

  it("refuses to start with both a file and a URL, or neither", async () => {
    await expect(Server.start({ filename: db, url, port: 0 })).rejects.toThrow(/either a SQLite filename or a PostgreSQL url \(got both/)
    await expect(Server.start({ port: 0 })).rejects.toThrow(/\(got neither\)/)
  })
})

describe("teasel (the command)", () => {
  const teasel = (...args: ReadonlyArray<string>) =>
    spawnSync(process.execPath, ["--conditions=@teasel/source", "--import", "tsx", "src/cli.ts", ...args], {
      cwd: join(import.meta.dirname, ".."),
      encoding: "utf8"
    })

  it("prints its usage, and refuses what it does not know", () => {
    expect(teasel("--help").stdout).toMatch(/usage: teasel ui \[--db FILE \| --db postgres:\/\/\.\.\.\] \[--schema NAME\] \[--port N\] \[--host ADDRESS\]/)
    const unknown = teasel("serve")
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toMatch(/unknown command "serve"/)
    expect(teasel("ui", "--port", "http").stderr).toMatch(/--port must be a whole number/)
    const schemaAlone = teasel("ui", "--schema", "teasel")
    expect(schemaAlone.status).toBe(2)
    expect(schemaAlone.stderr).toMatch(/--schema goes with a PostgreSQL URL/)
  })

  it("reads a PostgreSQL URL from --db, and says so when it cannot connect (password never printed)", () => {
    const refused = teasel("ui", "--db", "postgres://teasel:secret@127.0.0.1:1/nothing", "--port", "0")
    expect(refused.status).toBe(1)
    expect(refused.stderr).toMatch(/teasel ui could not start/)
    expect(refused.stderr + refused.stdout).not.toContain("secret")
  })
})
