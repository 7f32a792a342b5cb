/** A child's error as plain data for the trip back (internal): tag and fields kept, never throws. */
import { Data } from "effect"
import { describe, expect, it } from "vitest"
import { toPlain } from "../src/internal/plain.js"

class Refused extends Data.TaggedError("Refused")<{ readonly i: number; readonly why: string }> {}

describe("toPlain", () => {
  it("keeps a tagged error's tag, message and fields", () => {
    expect(toPlain(new Refused({ i: 3, why: "no" }))).toMatchObject({ _tag: "Refused", i: 3, why: "no" })
    expect(toPlain(new Error("boom"))).toMatchObject({ name: "Error", message: "boom" })
    expect(toPlain("plain string")).toBe("plain string")
    expect(toPlain(undefined)).toBe(null)
  })

  it("describes what JSON cannot carry instead of throwing", () => {
    const cycle: Record<string, unknown> = { _tag: "Cycle" }
    cycle.self = cycle
    expect(toPlain(cycle)).toMatchObject({ _tag: "UnserializableError" })
    expect(toPlain({ n: 1n })).toMatchObject({ _tag: "UnserializableError" })
  })
})
