/**
 * Docs that run: every ```ts block of README.md and docs/*.md is type-checked (strict, as the
 * packages are) and run from the sources (`@teasel/source`), and every `@example` of the JSDoc in
 * packages/<name>/src type-checks.
 *
 * Markers, an HTML comment on the line before a block (invisible on the rendered page):
 * - `<!-- continues -->`: the block continues the one before it; they run as one program (a page
 *   that builds one program in steps).
 * - `<!-- compile-only: why -->`: type-checked, not run (a runner that serves forever, a program
 *   that needs other processes). The reason is required.
 * - `<!-- fragment: why -->`: neither (an excerpt, an illustration of generated code). The reason
 *   is required. Exceptions, both kinds together, are few (`maxExceptions`).
 *
 * A block whose first line is a file-name comment (`// graph.ts`) is that module of its page, so
 * that another block can import it (`./graph.js`). A block that imports vitest, or is named
 * `*.test.ts`, is a test file: all of them run in one vitest run. Any other block runs with node,
 * each in an empty working directory of its own.
 *
 * A line `console.log(...) // output` states what it prints: it must print that, formatted as
 * `console.log` does on one line, whitespace ignored. A comment may explain after the output:
 * `// 0: the input is unchanged` expects `0`. PostgreSQL blocks use `TEASEL_PG_URL` (default
 * `postgres://postgres@127.0.0.1:5432/test`).
 *
 * The files are generated into tests/.generated/<run> (git-ignored), where they resolve the
 * workspace's packages as this package does, and removed afterwards.
 */
import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
/** This run's files: runs at the same time (another terminal, another checkout's agent) do not share them. */
const runId = `run-${process.pid}-${Date.now().toString(36)}`
const generated = join(root, "tests", ".generated", runId)
const tsc = join(root, "node_modules", "typescript", "bin", "tsc")
const vitest = join(root, "node_modules", "vitest", "vitest.mjs")
const tsx = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href
const pgUrl = process.env.TEASEL_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"

/** How many blocks of the docs may be fragments or compile-only: keep it small. */
const maxExceptions = 8

type Marker = "continues" | "compile-only" | "fragment"

interface Block {
  /** `docs/ui.md:31`: the file and the line of the opening fence. */
  readonly where: string
  readonly file: string
  readonly code: string
  /** The markdown line of the block's first line of code. */
  readonly firstLine: number
  readonly marker: Marker | undefined
  readonly reason: string
}

/** One program: a block and the blocks that continue it. */
interface Unit {
  readonly where: string
  readonly dir: string
  readonly name: string
  readonly blocks: ReadonlyArray<Block>
  readonly compileOnly: boolean
  readonly test: boolean
  /** The markdown `file:line` of each line of the generated file. */
  readonly lines: ReadonlyArray<string>
  readonly code: string
}

const markdownFiles = [
  join(root, "README.md"),
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => join(root, "docs", f))
]

const blocksOf = (file: string): ReadonlyArray<Block> => {
  const lines = readFileSync(file, "utf8").split("\n")
  const blocks: Array<Block> = []
  const rel = relative(root, file)
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(\s*)```(\S*)(.*)$/.exec(lines[i]!)
    if (fence === null) continue
    const end = lines.findIndex((line, j) => j > i && /^\s*```\s*$/.test(line))
    if (end === -1) throw new Error(`${rel}:${i + 1}: a code block is not closed`)
    const lang = fence[2]!
    if (lang === "ts" || lang === "typescript") {
      let before = i - 1
      while (before >= 0 && lines[before]!.trim() === "") before--
      const marker = before >= 0 ? /^<!--\s*(continues|compile-only|fragment)(?::\s*(.*?))?\s*-->$/.exec(lines[before]!.trim()) : null
      blocks.push({
        where: `${rel}:${i + 1}`,
        file: rel,
        code: lines.slice(i + 1, end).map((line) => line.slice(fence[1]!.length)).join("\n"),
        firstLine: i + 2,
        marker: (marker?.[1] as Marker | undefined) ?? undefined,
        reason: marker?.[2] ?? ""
      })
    }
    i = end
  }
  return blocks
}

const blocks = markdownFiles.flatMap(blocksOf)

/** `console.log(args) // output` on one line. */
const expectation = /^(.*?)console\.log\((.*)\)\s*\/\/\s?(.*)$/

/**
 * The blocks grouped into programs. `console.log` lines with an expected output report what they
 * print to the file named by `DOC_LOG`; lines keep their places (the helper goes last).
 */
const units: ReadonlyArray<Unit> = (() => {
  const groups: Array<Array<Block>> = []
  for (const b of blocks) {
    if (b.marker === "fragment") continue
    const last = groups.at(-1)
    if (b.marker === "continues") {
      if (last === undefined || last[0]!.file !== b.file) throw new Error(`${b.where}: <!-- continues --> with no block before it on its page`)
      last.push(b)
    } else groups.push([b])
  }
  return groups.map((group) => {
    const first = group[0]!
    const lines: Array<string> = []
    const code: Array<string> = []
    for (const b of group) {
      b.code.split("\n").forEach((line, k) => {
        const m = expectation.exec(line)
        code.push(m === null ? line : `${m[1]}__docLog(${b.firstLine + k}, ${m[2]}) // ${m[3]}`)
        lines.push(`${b.file}:${b.firstLine + k}`)
      })
    }
    code.push(
      `export {}; import { appendFileSync as __append } from "node:fs"; import { formatWithOptions as __format } from "node:util"; ` +
        `function __docLog(line: number, ...args: Array<unknown>): void { const text = __format({ breakLength: Infinity }, ...args); ` +
        `console.log(text); if (process.env.DOC_LOG) __append(process.env.DOC_LOG, JSON.stringify({ line, text }) + "\\n") }`
    )
    lines.push(`${first.where} (generated)`)
    const text = group.map((b) => b.code).join("\n")
    const named = /^\/\/\s*(?:\S*\/)?([\w.-]+)\.ts\b/.exec(first.code)
    const test = /from "vitest"/.test(text) || (named?.[1]?.endsWith(".test") ?? false)
    const name = named?.[1] ?? `block_${first.firstLine - 1}${test ? ".test" : ""}`
    return {
      where: first.where,
      dir: join(generated, "docs", first.file.replace(/[/.]/g, "_")),
      name,
      blocks: group,
      compileOnly: first.marker === "compile-only",
      test,
      lines,
      code: code.join("\n")
    }
  })
})()

/** The outputs a unit states, by markdown line. */
const expectedOutputs = (u: Unit): ReadonlyMap<number, string> =>
  new Map(
    u.blocks.flatMap((b) =>
      b.code.split("\n").flatMap((line, k) => {
        const m = expectation.exec(line)
        return m === null ? [] : [[b.firstLine + k, m[3]!.trim()] as const]
      })
    )
  )

const squash = (s: string) => s.replace(/\s+/g, "")

/** The output matches the comment: all of it, or the part before an explanation (`: ...`). */
const matches = (printed: string, comment: string): boolean => {
  const p = squash(printed)
  const c = squash(comment)
  return c === p || (c.startsWith(p) && c[p.length] === ":")
}

interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const spawn = (args: ReadonlyArray<string>, cwd: string, env: Record<string, string>): Promise<Result> =>
  new Promise((resolveResult) => {
    execFile(
      process.execPath,
      args,
      { cwd, env: { ...process.env, TEASEL_PG_URL: pgUrl, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 },
      (error, stdout, stderr) =>
        resolveResult({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    )
  })

const tsconfig = (dir: string, include: ReadonlyArray<string>) =>
  JSON.stringify({
    extends: relative(dir, join(root, "tsconfig.base.json")),
    compilerOptions: { lib: ["ES2022", "DOM", "DOM.Iterable"], noEmit: true, sourceMap: false, declaration: false },
    include
  })

const typecheck = async (dir: string): Promise<string> => {
  const result = await spawn([tsc, "-p", join(dir, "tsconfig.json")], root, {})
  return result.code === 0 ? "" : `${result.stdout}${result.stderr}`
}

/** `@example` blocks of the JSDoc in packages/<name>/src (internal modules included). */
const examples = (): ReadonlyArray<{ readonly where: string; readonly code: string }> => {
  const found: Array<{ where: string; code: string }> = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry)
      if (statSync(path).isDirectory()) walk(path)
      else if (entry.endsWith(".ts")) {
        const lines = readFileSync(path, "utf8").split("\n")
        for (let i = 0; i < lines.length; i++) {
          if (!/^\s*\*\s*@example\b/.test(lines[i]!)) continue
          const open = lines.findIndex((line, j) => j > i && /^\s*\*\s*```/.test(line))
          const close = lines.findIndex((line, j) => j > open && /^\s*\*\s*```\s*$/.test(line))
          if (open === -1 || close === -1 || open > i + 2) continue
          found.push({
            where: `${relative(root, path)}:${i + 1}`,
            code: lines.slice(open + 1, close).map((line) => line.replace(/^\s*\* ?/, "")).join("\n")
          })
          i = close
        }
      }
    }
  }
  for (const pkg of readdirSync(join(root, "packages"))) {
    const src = join(root, "packages", pkg, "src")
    try {
      statSync(src)
    } catch {
      continue
    }
    walk(src)
  }
  return found
}

const docsDir = join(generated, "docs")
const examplesDir = join(generated, "examples")
const fileOf = (u: Unit) => join(u.dir, `${u.name}.ts`)

/** The directories of JSDoc examples written beside each package's sources. */
const exampleDirs = new Set<string>()

afterAll(() => {
  rmSync(generated, { recursive: true, force: true })
  for (const dir of exampleDirs) rmSync(dir, { recursive: true, force: true })
})

beforeAll(() => {
  mkdirSync(docsDir, { recursive: true })
  mkdirSync(examplesDir, { recursive: true })
  for (const u of units) {
    mkdirSync(u.dir, { recursive: true })
    writeFileSync(fileOf(u), u.code)
  }
  writeFileSync(join(docsDir, "tsconfig.json"), tsconfig(docsDir, ["*/*.ts"]))
  writeFileSync(
    join(docsDir, "vitest.config.ts"),
    `import { defineConfig } from "vitest/config"\n` +
      `export default defineConfig({ resolve: { conditions: ["@teasel/source"] }, ssr: { resolve: { conditions: ["@teasel/source"] } }, ` +
      `test: { include: ["*/*.test.ts"], testTimeout: 120_000 } })\n`
  )
})

describe("README.md and docs/*.md", () => {
  it("has few exceptions, each saying why it does not run", () => {
    const exceptions = blocks.filter((b) => b.marker === "fragment" || b.marker === "compile-only")
    for (const b of exceptions) expect(b.reason, `${b.where}: <!-- ${b.marker}: why -->`).not.toBe("")
    expect(exceptions.map((b) => b.where).length).toBeLessThanOrEqual(maxExceptions)
    expect(units.length).toBeGreaterThan(40)
  })

  it("every block type-checks", async () => {
    const errors = await typecheck(docsDir)
    // Errors name the generated files: name the markdown file and line instead.
    const readable = errors.replace(/(?:tests\/\.generated\/[\w-]+\/docs\/)?([\w.-]+)\/([\w.-]+)\.ts\((\d+),(\d+)\)/g, (all, dir: string, name: string, line: string) => {
      const u = units.find((c) => c.dir === join(docsDir, dir) && c.name === name)
      return u?.lines[Number(line) - 1] ?? all
    })
    expect(readable).toBe("")
  })

  it.each(units.filter((u) => !u.test && !u.compileOnly).map((u) => [u.where, u] as const))("%s runs and prints what it says", async (_, u) => {
    const cwd = mkdtempSync(join(tmpdir(), "teasel-doc-"))
    const log = join(cwd, ".doc-log")
    writeFileSync(log, "")
    try {
      const result = await spawn(["--conditions=@teasel/source", "--import", tsx, fileOf(u)], cwd, { DOC_LOG: log })
      expect(result.code, `${u.where} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`).toBe(0)
      const printed = readFileSync(log, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { line: number; text: string })
      const file = u.where.split(":")[0]
      for (const [line, comment] of expectedOutputs(u)) {
        const texts = printed.filter((p) => p.line === line).map((p) => p.text)
        expect(texts.length, `${file}:${line} never printed (expected ${comment})`).toBeGreaterThan(0)
        for (const text of texts) expect(matches(text, comment), `${file}:${line} printed ${text}, the comment says ${comment}`).toBe(true)
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true })
    }
  })

  it("the blocks that are tests pass under vitest", async () => {
    const tests = units.filter((u) => u.test && !u.compileOnly)
    expect(tests.length).toBeGreaterThan(0)
    const cwd = mkdtempSync(join(tmpdir(), "teasel-doc-"))
    try {
      const result = await spawn([vitest, "run", "--root", docsDir, "--config", join(docsDir, "vitest.config.ts")], cwd, {})
      expect(result.code, `${tests.map((u) => u.where).join(", ")}:\n${result.stdout}\n${result.stderr}`).toBe(0)
      for (const u of tests) expect(result.stdout, `${u.where} did not run`).toContain(`${u.name}.ts`)
    } finally {
      rmSync(cwd, { recursive: true, force: true })
    }
  })
})

describe("JSDoc", () => {
  it("every @example type-checks", async () => {
    const found = examples()
    expect(found.length).toBeGreaterThan(100)
    // Each package's examples go beside its sources (packages/<name>/.examples/<run>, git-ignored),
    // so that they resolve what that package depends on, itself included; one program checks them all.
    const dirs = exampleDirs
    found.forEach((e, k) => {
      const dir = join(root, e.where.split("/src/")[0]!, ".examples", runId)
      if (!dirs.has(dir)) {
        mkdirSync(dir, { recursive: true })
        dirs.add(dir)
      }
      writeFileSync(join(dir, `example_${k}.ts`), `${e.code}\nexport {}\n`)
    })
    writeFileSync(
      join(examplesDir, "tsconfig.json"),
      tsconfig(examplesDir, [...dirs].map((dir) => `${relative(examplesDir, dir)}/*.ts`))
    )
    const errors = await typecheck(examplesDir)
    const readable = errors.replace(/(?:\S*\.examples\/[\w-]+\/)?example_(\d+)\.ts\((\d+),(\d+)\)/g, (_, k: string, line: string) => {
      const e = found[Number(k)]!
      const [file, at] = e.where.split(":")
      // The example's code starts two lines below its `@example` tag.
      return `${file}:${Number(at) + 1 + Number(line)} (example at ${e.where})`
    })
    expect(readable).toBe("")
  })
})
