/**
 * Record and replay: a step that really ran — the state before it, its inputs and the state after
 * it — becomes a test case (JSON) and a vitest file that replays it, so that a behaviour seen in
 * production or in a demo is pinned by a test.
 *
 * Cases come from the records of a tracker (`Tracking.makeMemory()`, via `fromRecords`) or are
 * written directly. `replayFiles` renders the two files, `writeReplay` writes them, and `replay`
 * is what the generated test calls.
 *
 * @since 0.1.0
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { Layer } from "effect"
import { type Action, Tracking } from "@teasel/core"
import { freeze } from "immer"
import { LawError } from "./LawError.js"
import { evaluate, isMutation } from "./internal/property.js"
import { at, describeError, difference, normalize, show } from "./internal/value.js"

/**
 * One recorded step: the action, where it ran, and the states around it. Plain JSON.
 *
 * @example
 * ```ts
 * import type { Testing } from "@teasel/testing"
 * const testCase: Testing.ReplayCase<{ n: number }, { by: number }> = {
 *   action: "add",
 *   appId: "counter-1",
 *   sequenceId: 3,
 *   before: { n: 2 },
 *   inputs: { by: 5 },
 *   after: { n: 7 }
 * }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface ReplayCase<S = unknown, I = unknown> {
  readonly action: string
  readonly appId?: string | undefined
  readonly sequenceId?: number | undefined
  readonly before: S
  readonly inputs?: I | undefined
  readonly after: S
}

/**
 * Options of `fromRecords`.
 *
 * @example
 * ```ts
 * import { Testing } from "@teasel/testing"
 * declare const records: ReadonlyArray<import("@teasel/core").Tracking.TrackingRecord>
 * // The first step of "A" had inputs { by: 2 }; only "add" steps are wanted.
 * const cases = Testing.fromRecords(records, {
 *   action: "add",
 *   initial: { A: { n: 0 } },
 *   inputs: (step) => (step.appId === "A" && step.sequenceId === 1 ? { by: 2 } : undefined)
 * })
 * ```
 * @category models
 * @since 0.1.0
 */
export interface FromRecordsOptions {
  /** Only steps of this application / of this action. */
  readonly appId?: string | undefined
  readonly action?: string | undefined
  /**
   * The state each application started from, by id: tracking records the state after each step,
   * so a first step has a "before" only when it is given here.
   */
  readonly initial?: { readonly [appId: string]: unknown } | undefined
  /** The inputs of a step, when it had any (tracking does not record inputs). */
  readonly inputs?: ((step: { readonly appId: string; readonly action: string; readonly sequenceId: number }) => unknown) | undefined
}

/**
 * The replay cases of the completed steps in tracking records: each `StepCompleted` whose
 * "before" is known (the previous step of the same application, or `initial`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Application, Graph, Tracking } from "@teasel/core"
 * import { Testing } from "@teasel/testing"
 * const inc = (s: { n: number }) => ({ n: s.n + 1 })
 * const graph = Graph.make({ actions: { inc }, transitions: [["inc", "inc"]], entrypoint: "inc" })
 * const tracker = Tracking.makeMemory()
 * await Effect.runPromise(Application.run(Application.make({ graph, state: { n: 0 }, id: "A" }), { haltAfter: ["inc"] }).pipe(Effect.provide(tracker.layer)))
 * Testing.fromRecords(tracker.records, { initial: { A: { n: 0 } } })
 * // [{ action: "inc", appId: "A", sequenceId: 1, before: { n: 0 }, inputs: undefined, after: { n: 1 } }]
 * ```
 * @category record
 * @since 0.1.0
 */
export const fromRecords = (records: ReadonlyArray<Tracking.TrackingRecord>, options: FromRecordsOptions = {}): Array<ReplayCase> => {
  const last = new Map<string, { sequenceId: number; state: unknown }>()
  const cases: Array<ReplayCase> = []
  for (const record of records) {
    if (record._tag === "ApplicationStarted" && options.initial !== undefined && record.appId in options.initial) {
      if (!last.has(record.appId)) last.set(record.appId, { sequenceId: record.sequenceId, state: options.initial[record.appId] })
    }
    if (record._tag !== "StepCompleted") continue
    const previous = last.get(record.appId)
    last.set(record.appId, { sequenceId: record.sequenceId, state: record.state })
    if (previous === undefined || previous.sequenceId !== record.sequenceId - 1) continue
    if (options.appId !== undefined && record.appId !== options.appId) continue
    if (options.action !== undefined && record.action !== options.action) continue
    const step = { appId: record.appId, action: record.action, sequenceId: record.sequenceId }
    const recorded = (record as { inputs?: unknown }).inputs
    cases.push({
      ...step,
      before: previous.state,
      inputs: recorded !== undefined ? recorded : options.inputs?.(step),
      after: record.state
    })
  }
  return cases
}

/**
 * Replays a case: runs `action` on a deep-frozen `before` with `inputs` and checks it gives
 * `after` (compared as JSON, as the case was stored). Rejects with a `LawError` ("gives the
 * recorded next state") showing where the states differ. This is what generated tests call.
 *
 * @example
 * ```ts
 * import { it } from "vitest"
 * import { Testing } from "@teasel/testing"
 * const inc = (s: { n: number }) => ({ n: s.n + 1 })
 * it("replays inc", () => Testing.replay(inc, { action: "inc", before: { n: 1 }, after: { n: 2 } }))
 * ```
 * @category replay
 * @since 0.1.0
 */
export const replay = async <S, I = any>(
  action: (state: S, inputs: I) => Action.Next<S, any, any>,
  testCase: ReplayCase<unknown, unknown>,
  options?: { readonly layer?: Layer.Layer<any, any, never> | undefined }
): Promise<void> => {
  const law = "gives the recorded next state"
  const subject = `Action "${testCase.action}"`
  const where = testCase.appId === undefined ? "" : ` (application "${testCase.appId}", step ${testCase.sequenceId})`
  const before = freeze(structuredClone(testCase.before), true)
  const inputs = testCase.inputs === undefined ? undefined : freeze(structuredClone(testCase.inputs), true)
  const outcome = await evaluate(() => action(before as S, inputs as I), options?.layer, 0)
  let detail: string | undefined
  if (outcome._tag === "Failure") {
    detail = isMutation(outcome.error)
      ? `It wrote to its frozen state or inputs: ${describeError(outcome.error)}`
      : `It failed: ${describeError(outcome.error)}`
  } else {
    const got = normalize(outcome.value)
    const want = normalize(testCase.after)
    const d = difference(want, got)
    if (d !== undefined) detail = `The next state differs at ${d}: ${show(at(got, d), 200)} instead of the recorded ${show(at(want, d), 200)}.`
  }
  if (detail === undefined) return
  throw new LawError({
    law,
    subject,
    counterexample: { before: testCase.before, inputs: testCase.inputs, after: testCase.after },
    detail,
    seed: 0,
    path: "",
    runs: 1,
    shrinks: 0,
    message: [
      `${subject}${where} broke the law "${law}".`,
      `  before: ${show(testCase.before)}`,
      `  inputs: ${show(testCase.inputs)}`,
      detail
    ].join("\n")
  })
}

/**
 * How a generated test gets a value: `import { <name> } from "<from>"`, then `expression` (which
 * defaults to the name), e.g. `{ from: "../src/poems.js", name: "workflow", expression: "workflow.actions.join" }`.
 *
 * @example
 * ```ts
 * import type { Testing } from "@teasel/testing"
 * // The generated test will say: import { workflow } from "../src/poems.js" … workflow.actions.join
 * const join: Testing.ReplayImport = { from: "../src/poems.js", name: "workflow", expression: "workflow.actions.join" }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface ReplayImport {
  readonly from: string
  readonly name: string
  readonly expression?: string | undefined
}

/**
 * Options of `replayFiles` and `writeReplay`.
 *
 * @example
 * ```ts
 * import type { Testing } from "@teasel/testing"
 * const options: Testing.ReplayFileOptions = {
 *   action: { from: "../src/poems.js", name: "drafting", expression: "drafting.actions.edit" },
 *   layer: { from: "../src/model.js", name: "Model", expression: "Model.layerLocal()" },
 *   name: "edit-sonnet"
 * }
 * ```
 * @category models
 * @since 0.1.0
 */
export interface ReplayFileOptions {
  /** How the test gets the action. */
  readonly action: ReplayImport
  /** How the test gets the layer an effectful action requires, if it requires one. */
  readonly layer?: ReplayImport | undefined
  /** File name without extension; by default `<action>-<appId>-<sequenceId>`. */
  readonly name?: string | undefined
  /** Where the test imports `Testing` from (`"@teasel/testing"` by default). */
  readonly testing?: string | undefined
}

/**
 * The two files of a replay test: `<name>.case.json` (the case) and `<name>.replay.test.ts` (a
 * vitest test that reads it and calls `Testing.replay`).
 *
 * @example
 * ```ts
 * import { Testing } from "@teasel/testing"
 * const files = Testing.replayFiles(
 *   { action: "inc", appId: "A", sequenceId: 1, before: { n: 0 }, after: { n: 1 } },
 *   { action: { from: "../src/counter.js", name: "inc" } }
 * )
 * files.testFile // "inc-A-1.replay.test.ts"
 * ```
 * @category record
 * @since 0.1.0
 */
export const replayFiles = (
  testCase: ReplayCase,
  options: ReplayFileOptions
): { readonly caseFile: string; readonly testFile: string; readonly json: string; readonly test: string } => {
  const name = options.name ?? fileName(testCase)
  const caseFile = `${name}.case.json`
  const testFile = `${name}.replay.test.ts`
  const json = JSON.stringify(
    {
      action: testCase.action,
      ...(testCase.appId === undefined ? {} : { appId: testCase.appId }),
      ...(testCase.sequenceId === undefined ? {} : { sequenceId: testCase.sequenceId }),
      before: testCase.before,
      ...(testCase.inputs === undefined ? {} : { inputs: testCase.inputs }),
      after: testCase.after
    },
    null,
    2
  ) + "\n"
  const imports = new Map<string, Set<string>>()
  const use = (i: ReplayImport) => {
    const names = imports.get(i.from) ?? new Set()
    names.add(i.name)
    imports.set(i.from, names)
  }
  use(options.action)
  if (options.layer !== undefined) use(options.layer)
  const where = testCase.appId === undefined ? "" : ` (application ${literal(testCase.appId)}, step ${testCase.sequenceId})`
  const title = `replays ${literal(testCase.action)}${where}`
  const test = [
    `// Replays a recorded step of ${literal(testCase.action)}${where}. Generated by Testing.writeReplay; the case is ${caseFile.replace(lineBreaks, "_")}.`,
    `import { readFileSync } from "node:fs"`,
    `import { Testing } from ${literal(options.testing ?? "@teasel/testing")}`,
    `import { it } from "vitest"`,
    ...[...imports].map(([from, names]) => `import { ${[...names].sort().join(", ")} } from ${literal(from)}`),
    ``,
    `const testCase = JSON.parse(readFileSync(new URL(${literal(`./${caseFile}`)}, import.meta.url), "utf8"))`,
    ``,
    `it(${literal(title)}, () =>`,
    `  Testing.replay(${expressionOf(options.action)}, testCase${
      options.layer === undefined ? "" : `, { layer: ${expressionOf(options.layer)} }`
    }))`,
    ``
  ].join("\n")
  return { caseFile, testFile, json, test }
}

/**
 * Writes the files of `replayFiles` into `dir` (created if needed) and returns their paths.
 *
 * @example
 * ```ts
 * import { Testing } from "@teasel/testing"
 * declare const testCase: Testing.ReplayCase
 * Testing.writeReplay(testCase, "test/replays", { action: { from: "../../src/poems.js", name: "workflow", expression: "workflow.actions.join" } })
 * ```
 * @category record
 * @since 0.1.0
 */
export const writeReplay = (
  testCase: ReplayCase,
  dir: string,
  options: ReplayFileOptions
): { readonly caseFile: string; readonly testFile: string } => {
  const files = replayFiles(testCase, options)
  mkdirSync(dir, { recursive: true })
  const caseFile = join(dir, files.caseFile)
  const testFile = join(dir, files.testFile)
  writeFileSync(caseFile, files.json)
  writeFileSync(testFile, files.test)
  return { caseFile, testFile }
}

const expressionOf = (i: ReplayImport): string => i.expression ?? i.name

/**
 * `value` as a JavaScript literal that is safe anywhere in generated code, comments included:
 * JSON leaves U+2028 and U+2029 as they are, and either ends a `//` comment — a recorded id or
 * action name holding one would run the rest of it as code.
 */
const literal = (value: unknown): string =>
  JSON.stringify(value).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`)

/** Every character that ends a line in JavaScript source. */
const lineBreaks = /[\n\r\u2028\u2029]/g

const fileName = (testCase: ReplayCase): string =>
  [testCase.action, testCase.appId, testCase.sequenceId]
    .filter((part) => part !== undefined)
    .map((part) => String(part).replace(/[^A-Za-z0-9_.-]+/g, "_"))
    .join("-")
