/**
 * Docs that run: every ```ts block of README.md and docs/*.md is type-checked (strict, as the
 * packages are) and run from the sources (`@teasel/source`), and every `@example` of the JSDoc in
 * packages/<name>/src type-checks.
 *
 * - A block preceded by `<!-- fragment: why -->` is not compiled; the reason is required, and such
 *   blocks are few (see `maxFragments`).
 * - A block that imports vitest is a test file: it runs under vitest (all of them in one run); any
 *   other block runs with node, each in its own empty working directory.
 * - A line `console.log(...) // output` states what it prints: it must print that, formatted as
 *   `console.log` does on one line, with whitespace ignored. A comment may explain after the
 *   output: `// 0: the input is unchanged` expects `0`.
 * - PostgreSQL blocks use `TEASEL_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
 *
 * The generated files are written to tests/.generated (git-ignored) so that they resolve the
 * workspace's packages as the tests package does.
 */
import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { basename, dirname, join, relative, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { beforeAll, describe, expect, it } from "vitest"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const generated = join(root, "tests", ".generated")
const tsc = join(root, "node_modules", "typescript", "bin", "tsc")
const vitest = join(root, "node_modules", "vitest", "vitest.mjs")
const tsx = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href
const pgUrl = process.env.TEASEL_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"

/** How many blocks of the docs may be fragments: keep it small, prefer code that runs. */
const maxFragments = 8

interface Block {
  /** `docs/ui.md:31`: the file and the line of the opening fence. */
  readonly where: string
  readonly name: string
  readonly code: string
  readonly firstLine: number
  readonly fragment: string | undefined
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
    if (lang === "ts" || lang === "typescript" || lang === "tsx") {
      let before = i - 1
      while (before >= 0 && lines[before]!.trim() === "") before--
      const marker = before >= 0 ? /^<!--\s*fragment(?::\s*(.*?))?\s*-->$/.exec(lines[before]!.trim()) : null
      blocks.push({
        where: `${rel}:${i + 1}`,
        name: `${rel.replace(/[/.]/g, "_")}_${i + 1}`,
        code: lines.slice(i + 1, end).map((line) => line.slice(fence[1]!.length)).join("\n"),
        firstLine: i + 2,
        fragment: marker === null ? undefined : (marker[1] ?? "")
      })
    }
    i = end
  }
  return blocks
}

const blocks = markdownFiles.flatMap(blocksOf)
const compiled = blocks.filter((b) => b.fragment === undefined)
const isTest = (b: Block) => /from "vitest"/.test(b.code)

/** `console.log(args) // output` on one line. */
const expectation = /^(.*?)console\.log\((.*)\)\s*\/\/\s?(.*)$/

/**
 * The block as a module: `console.log` lines with an expected output report what they print to
 * the file named by `DOC_LOG`. Lines keep their numbers (the helper goes on the last line).
 */
const instrument = (b: Block): string => {
  const lines = b.code.split("\n").map((line, k) => {
    const m = expectation.exec(line)
    return m === null ? line : `${m[1]}__docLog(${b.firstLine + k}, ${m[2]}) // ${m[3]}`
  })
  lines.push(
    `export {}; import { appendFileSync as __append } from "node:fs"; import { formatWithOptions as __format } from "node:util"; ` +
      `function __docLog(line: number, ...args: Array<unknown>): void { const text = __format({ breakLength: Infinity }, ...args); ` +
      `console.log(text); if (process.env.DOC_LOG) __append(process.env.DOC_LOG, JSON.stringify({ line, text }) + "\\n") }`
  )
  return lines.join("\n")
}

/** The outputs a block states, by line of the markdown file. */
const expectedOutputs = (b: Block): ReadonlyMap<number, string> =>
  new Map(
    b.code.split("\n").flatMap((line, k) => {
      const m = expectation.exec(line)
      return m === null ? [] : [[b.firstLine + k, m[3]!.trim()] as const]
    })
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

const tsconfig = (dir: string) =>
  JSON.stringify({
    extends: relative(dir, join(root, "tsconfig.base.json")),
    compilerOptions: { lib: ["ES2022", "DOM", "DOM.Iterable"], noEmit: true, sourceMap: false },
    include: ["*.ts"]
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
const fileOf = (b: Block) => join(docsDir, `${b.name}${isTest(b) ? ".test" : ""}.ts`)

beforeAll(() => {
  rmSync(generated, { recursive: true, force: true })
  mkdirSync(docsDir, { recursive: true })
  mkdirSync(examplesDir, { recursive: true })
  for (const b of compiled) writeFileSync(fileOf(b), instrument(b))
  writeFileSync(join(docsDir, "tsconfig.json"), tsconfig(docsDir))
  writeFileSync(
    join(docsDir, "vitest.config.ts"),
    `import { defineConfig } from "vitest/config"\n` +
      `export default defineConfig({ resolve: { conditions: ["@teasel/source"] }, ssr: { resolve: { conditions: ["@teasel/source"] } }, ` +
      `test: { include: ["*.test.ts"], testTimeout: 120_000 } })\n`
  )
})

describe("README.md and docs/*.md", () => {
  it("has few fragments, each saying why it does not compile", () => {
    const fragments = blocks.filter((b) => b.fragment !== undefined)
    for (const b of fragments) expect(b.fragment, `${b.where}: <!-- fragment: why -->`).not.toBe("")
    expect(fragments.map((b) => b.where).length).toBeLessThanOrEqual(maxFragments)
    expect(compiled.length).toBeGreaterThan(50)
  })

  it("every block type-checks", async () => {
    const errors = await typecheck(docsDir)
    // Errors name the generated files: name the markdown file and line instead.
    const readable = errors.replace(/(?:tests\/\.generated\/docs\/)?(\S+?)(?:\.test)?\.ts\((\d+),(\d+)\)/g, (all, name: string, line: string) => {
      const b = compiled.find((c) => c.name === name)
      return b === undefined ? all : `${b.where.split(":")[0]}:${b.firstLine + Number(line) - 1}`
    })
    expect(readable).toBe("")
  })

  it.each(compiled.filter((b) => !isTest(b)).map((b) => [b.where, b] as const))("%s runs and prints what it says", async (_, b) => {
    const cwd = mkdtempSync(join(tmpdir(), "teasel-doc-"))
    const log = join(cwd, ".doc-log")
    writeFileSync(log, "")
    try {
      const result = await spawn(["--conditions=@teasel/source", "--import", tsx, fileOf(b)], cwd, { DOC_LOG: log })
      expect(result.code, `${b.where} exited with ${result.code}:\n${result.stdout}\n${result.stderr}`).toBe(0)
      const printed = readFileSync(log, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { line: number; text: string })
      for (const [line, comment] of expectedOutputs(b)) {
        const at = `${b.where.split(":")[0]}:${line}`
        const texts = printed.filter((p) => p.line === line).map((p) => p.text)
        expect(texts.length, `${at} never printed (expected ${comment})`).toBeGreaterThan(0)
        for (const text of texts) expect(matches(text, comment), `${at} printed ${text}, the comment says ${comment}`).toBe(true)
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true })
    }
  })

  it("the blocks that are tests pass under vitest", async () => {
    const tests = compiled.filter(isTest)
    expect(tests.length).toBeGreaterThan(0)
    const cwd = mkdtempSync(join(tmpdir(), "teasel-doc-"))
    try {
      const result = await spawn([vitest, "run", "--root", docsDir, "--config", join(docsDir, "vitest.config.ts")], cwd, {})
      const names = tests.map((b) => basename(fileOf(b)))
      expect(result.code, `${tests.map((b) => b.where).join(", ")}:\n${result.stdout}\n${result.stderr}`).toBe(0)
      for (const name of names) expect(result.stdout).toContain(name)
    } finally {
      rmSync(cwd, { recursive: true, force: true })
    }
  })
})

describe("JSDoc", () => {
  it("every @example type-checks", async () => {
    const found = examples()
    expect(found.length).toBeGreaterThan(100)
    found.forEach((e, k) => writeFileSync(join(examplesDir, `example_${k}.ts`), `${e.code}\nexport {}\n`))
    writeFileSync(join(examplesDir, "tsconfig.json"), tsconfig(examplesDir))
    const errors = await typecheck(examplesDir)
    const readable = errors.replace(/(?:tests\/\.generated\/examples\/)?example_(\d+)\.ts\((\d+),(\d+)\)/g, (_, k: string, line: string) => {
      const e = found[Number(k)]!
      const [file, at] = e.where.split(":")
      // The example's code starts two lines below its `@example` tag.
      return `${file}:${Number(at) + 1 + Number(line)} (example at ${e.where})`
    })
    expect(readable).toBe("")
  })
})
