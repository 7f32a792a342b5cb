/**
 * The packages as a user gets them: every publishable package under packages/ is built, packed
 * with `pnpm pack` and installed with npm into a fresh project outside the workspace, where a
 * program using every package is type-checked (`strict`, `skipLibCheck: false`) and run.
 *
 * Two steps, in one project:
 * 1. SQLite only: core, sql and testing without `@effect/sql-pg` and without vitest. The driver
 *    must not be installed with them, `import { Testing } from "@teasel/testing"` must load, and
 *    `layerPg` must fail with a message naming the missing driver.
 * 2. Everything: the rest of the packages (and the PostgreSQL driver) added.
 *
 * Nothing here skips: a missing tool, registry or package fails the test with its output.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const tsc = join(root, "node_modules", "typescript", "bin", "tsc")

interface Manifest {
  readonly name: string
  readonly private?: boolean
  readonly version: string
  readonly license?: string
  readonly engines?: { readonly node?: string }
  readonly repository?: unknown
  readonly homepage?: string
  readonly keywords?: ReadonlyArray<string>
  readonly dependencies?: Readonly<Record<string, string>>
  readonly peerDependencies?: Readonly<Record<string, string>>
  readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>
}

/** Every publishable package of the workspace: packages/<dir>/package.json, not private. */
const packages = readdirSync(join(root, "packages"))
  .filter((dir) => existsSync(join(root, "packages", dir, "package.json")))
  .map((dir) => ({
    dir: join(root, "packages", dir),
    manifest: JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8")) as Manifest
  }))
  .filter((p) => p.manifest.private !== true)

/**
 * What the user's program does with each package (step 2). A package missing here fails the
 * test: a new package must say how a user uses it.
 */
const uses: Readonly<Record<string, { readonly imports: string; readonly code: string }>> = {
  "@teasel/ui": {
    imports: `import { Server } from "@teasel/ui"`,
    code: `
const server = await Server.start({ filename: "tracked.db", port: 0 })
const page = await fetch(server.url)
console.log("ui", page.status)
await server.close()`
  },
  "@teasel/fp-ts": {
    imports: `import * as FpE from "fp-ts/lib/Either.js"
import * as FpN from "fp-ts/lib/number.js"
import { fromEither, reduceWith } from "@teasel/fp-ts"
import { checkMonoid } from "@teasel/fp-ts/Testing"`,
    code: `
const checked = fromEither((s: Counter): FpE.Either<{ readonly _tag: "Negative" }, Counter> =>
  s.count < 0 ? FpE.left({ _tag: "Negative" }) : FpE.right(s))
const sum = reduceWith(FpN.MonoidSum, (s: Counter, total: number) => ({ count: s.count + total }))
const fpGraph = Graph.make({ actions: { checked }, transitions: [], entrypoint: "checked" })
const fpDone = await Application.runPromise(Application.make({ graph: fpGraph, state: { count: 1 } }))
await checkMonoid(FpN.MonoidSum, { values: Schema.Int, seed: 1 })
console.log("fp-ts", fpDone.state.count, sum({ count: 1 }, [2, 3]).count)`
  },
  "@teasel/cluster": {
    imports: `import { Branches, ClusterExecutor, Settings } from "@teasel/cluster"
import type { Runner } from "@teasel/cluster"`,
    code: `
const branches = Branches.make({ double })
const runnerOptions: Partial<Runner.Options> = {}
console.log("cluster", branches.nameOf(double), typeof ClusterExecutor.layer, typeof Settings.defaults, Object.keys(runnerOptions).length)`
  }
}

/** Step 1: core, sql (SQLite) and testing, with neither the PostgreSQL driver nor vitest. */
const sqliteProgram = `
import { Cause, Effect, Exit, Layer, Schema } from "effect"
import { Action, Application, Graph, State, type ApplicationType } from "@teasel/core"
import { SqlPersistence, SqlTracking } from "@teasel/sql"
import { Testing } from "@teasel/testing"
import * as TestingModule from "@teasel/testing/Testing"

interface Counter {
  readonly count: number
}
export const double = (c: { readonly n: number }) => ({ n: c.n * 2 })
const increment = Action.make({ writes: ["count"], run: (s: Counter) => State.increment(s, "count") })
const graph = Graph.make({
  actions: { increment, done: (s: Counter) => s },
  transitions: [["increment", "done", (s) => s.count >= 3], ["increment", "increment"]],
  entrypoint: "increment"
})

const stores = Layer.mergeAll(
  SqlPersistence.layerSqlite({ filename: "steps.db" }),
  SqlTracking.layerSqlite({ filename: "tracked.db" })
)
const final: ApplicationType<Counter, "increment" | "done"> = await Effect.runPromise(
  Effect.gen(function*() {
    const app = yield* Application.load({ graph, id: "counter", state: { count: 0 } })
    return yield* Application.run(app, { haltAfter: ["done"] })
  }).pipe(Effect.provide(stores))
)
console.log("core+sql", final.state.count, final.last)

await Testing.checkAction(increment, { state: Schema.Struct({ count: Schema.Int }), seed: 1 })
console.log("testing", typeof TestingModule.checkAction)

const pg = await Effect.runPromiseExit(
  Effect.provide(Effect.void, SqlPersistence.layerPg({ url: "postgres://127.0.0.1:1/none" }))
)
console.log("layerPg", Exit.isFailure(pg) ? Cause.pretty(pg.cause).split("\\n")[0] : "succeeded")
`

const tsconfig = {
  compilerOptions: {
    target: "ES2022",
    lib: ["ES2022", "DOM"],
    module: "NodeNext",
    moduleResolution: "NodeNext",
    types: ["node"],
    strict: true,
    skipLibCheck: false,
    noEmit: true
  },
  include: ["main.ts"]
}

const run = (command: string, args: ReadonlyArray<string>, cwd: string): string => {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: "pipe", maxBuffer: 64 * 1024 * 1024 })
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string }
    throw new Error(`${command} ${args.join(" ")} (in ${cwd}) failed:\n${e.stdout ?? ""}\n${e.stderr ?? ""}\n${e.message}`)
  }
}

let project = ""
const tarballs = new Map<string, string>()

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "teasel-packaging-"))
  const packs = join(project, "packs")
  mkdirSync(packs)
  // The packages as `pnpm build` builds them (declarations by tsc), then packed: `workspace:*`
  // becomes the version.
  run("pnpm", ["-r", ...packages.flatMap((p) => ["--filter", p.manifest.name]), "run", "build"], root)
  for (const p of packages) {
    const out = run("pnpm", ["pack", "--pack-destination", packs], p.dir).trim().split("\n")
    const tgz = out.filter((line) => line.trim().endsWith(".tgz")).pop()
    if (tgz === undefined) throw new Error(`pnpm pack printed no tarball for ${p.manifest.name}:\n${out.join("\n")}`)
    tarballs.set(p.manifest.name, resolve(p.dir, tgz.trim()))
  }
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user", private: true, type: "module" }))
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify(tsconfig, null, 2))
})

afterAll(() => {
  if (project !== "") rmSync(project, { recursive: true, force: true })
})

const tarball = (name: string): string => {
  const tgz = tarballs.get(name)
  if (tgz === undefined) throw new Error(`${name} was not packed`)
  return tgz
}

const npmInstall = (specs: ReadonlyArray<string>) =>
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...specs], project)

const typecheckAndRun = (source: string): string => {
  writeFileSync(join(project, "main.ts"), source)
  run(process.execPath, [tsc, "-p", "tsconfig.json"], project)
  // Node runs the program as the user would, with types stripped (22.13 needs the flag; later
  // versions strip by default).
  return run(process.execPath, ["--experimental-strip-types", "--no-warnings", "main.ts"], project)
}

describe("the packed packages, installed with npm outside the workspace", () => {
  it("every package has what a registry page and an install need", () => {
    const names = packages.map((p) => p.manifest.name)
    expect(names).toEqual(expect.arrayContaining(["@teasel/core", "@teasel/sql", "@teasel/testing", "@teasel/ui"]))
    for (const p of packages) {
      const m = p.manifest
      expect({ name: m.name, license: m.license, node: m.engines?.node }).toEqual({
        name: m.name,
        license: "MIT",
        node: ">=22.13.0"
      })
      expect(m.repository, `${m.name}: repository`).toBeDefined()
      expect(m.homepage, `${m.name}: homepage`).toMatch(/^https:\/\//)
      expect(m.keywords?.length ?? 0, `${m.name}: keywords`).toBeGreaterThan(0)
      expect(readFileSync(join(p.dir, "LICENSE"), "utf8"), `${m.name}: LICENSE`).toMatch(/^MIT License/)
      expect(readFileSync(join(p.dir, "README.md"), "utf8"), `${m.name}: README.md`).toContain(`# ${m.name}`)
      expect(Object.keys(uses).concat(["@teasel/core", "@teasel/sql", "@teasel/testing"]), `${m.name}: no use in this test`)
        .toContain(m.name)
    }
    const sql = packages.find((p) => p.manifest.name === "@teasel/sql")!.manifest
    expect(sql.dependencies?.["@effect/sql-pg"]).toBeUndefined()
    expect(sql.peerDependenciesMeta?.["@effect/sql-pg"]?.optional).toBe(true)
  })

  it("SQLite only: core, sql and testing type-check and run without the PostgreSQL driver or vitest", () => {
    npmInstall([
      tarball("@teasel/core"),
      tarball("@teasel/sql"),
      tarball("@teasel/testing"),
      "effect@4.1.0",
      "fast-check@4",
      "@types/node@22"
    ])
    expect(existsSync(join(project, "node_modules", "@effect", "sql-pg")), "@effect/sql-pg was installed").toBe(false)
    expect(existsSync(join(project, "node_modules", "vitest")), "vitest was installed").toBe(false)
    for (const name of ["@teasel/core", "@teasel/sql", "@teasel/testing"]) {
      const installed = join(project, "node_modules", ...name.split("/"))
      expect(existsSync(join(installed, "README.md")), `${name}: README.md packed`).toBe(true)
      expect(existsSync(join(installed, "LICENSE")), `${name}: LICENSE packed`).toBe(true)
    }
    const out = typecheckAndRun(sqliteProgram)
    expect(out).toContain("core+sql 3 done")
    expect(out).toContain("testing function")
    expect(out).toMatch(/layerPg .*@effect\/sql-pg.*not.*loaded/)
  })

  it("every package: type-checks with skipLibCheck false and runs", () => {
    const rest = packages.map((p) => p.manifest.name).filter((name) => uses[name] !== undefined)
    npmInstall([...rest.map(tarball), "@effect/sql-pg@4.0.5", ...(rest.includes("@teasel/fp-ts") ? ["fp-ts@2"] : [])])
    const program = [
      ...rest.map((name) => uses[name]!.imports),
      sqliteProgram,
      ...rest.map((name) => uses[name]!.code)
    ].join("\n")
    const out = typecheckAndRun(program)
    expect(out).toContain("core+sql 3 done")
    if (rest.includes("@teasel/ui")) expect(out).toContain("ui 200")
    if (rest.includes("@teasel/fp-ts")) expect(out).toContain("fp-ts 1 6")
    if (rest.includes("@teasel/cluster")) expect(out).toContain("cluster double function object 0")
    // With the driver installed, layerPg gets past loading it (the connection itself is refused).
    expect(out).not.toMatch(/could not be loaded/)
  })
})
