import { pipe } from "effect"
import fc from "fast-check"
import { freeze } from "immer"
import { describe, expect, it } from "vitest"
import { State } from "../src/index.js"

interface S {
  readonly count: number
  readonly log: ReadonlyArray<string>
  readonly nested: { readonly deep: { readonly value: number } }
  readonly name: string
}

const base = (): S => freeze({ count: 1, log: ["a"], nested: { deep: { value: 7 } }, name: "x" }, true)

const arbitraryState: fc.Arbitrary<S> = fc
  .record({
    count: fc.integer(),
    log: fc.array(fc.string(), { maxLength: 5 }),
    nested: fc.record({ deep: fc.record({ value: fc.integer() }) }),
    name: fc.string()
  })
  .map((s) => freeze(s, true))

describe("State", () => {
  it("update merges shallowly, data-first and data-last", () => {
    const s = base()
    expect(State.update(s, { count: 5 })).toEqual({ ...s, count: 5 })
    expect(pipe(s, State.update<S>({ name: "y" }))).toEqual({ ...s, name: "y" })
    expect(State.update(s, { count: 5 }).nested).toBe(s.nested)
  })

  it("modify runs an immer recipe and shares untouched structure", () => {
    const s = base()
    const next = State.modify(s, (draft) => {
      draft.nested.deep.value = 8
    })
    expect(next.nested.deep.value).toBe(8)
    expect(s.nested.deep.value).toBe(7)
    expect(next.log).toBe(s.log)
    const piped = pipe(s, State.modify<S>((draft) => {
      draft.count = 0
    }))
    expect(piped.count).toBe(0)
    expect(piped.nested).toBe(s.nested)
  })

  it("append returns a new array and leaves the old one alone", () => {
    const s = base()
    const next = State.append(s, "log", "b", "c")
    expect(next.log).toEqual(["a", "b", "c"])
    expect(s.log).toEqual(["a"])
    expect(pipe(s, State.append<S, "log">("log", "z")).log).toEqual(["a", "z"])
    expect(() => State.append({ log: 3 } as any, "log", 1)).toThrow(/not an array/)
  })

  it("append on a missing key starts a new array", () => {
    const next = State.append({ items: undefined } as any, "items", 1)
    expect(next.items).toEqual([1])
  })

  it("increment adds `by` (default 1), data-first and data-last", () => {
    const s = base()
    expect(State.increment(s, "count").count).toBe(2)
    expect(State.increment(s, "count", 10).count).toBe(11)
    expect(pipe(s, State.increment<S>("count", -1)).count).toBe(0)
    expect(() => State.increment({ count: "1" } as any, "count")).toThrow(/not a number/)
  })

  it("subset keeps only the given keys", () => {
    const s = base()
    expect(State.subset(s, ["count", "name"])).toEqual({ count: 1, name: "x" })
    expect(pipe(s, State.subset<S, "log">(["log"]))).toEqual({ log: ["a"] })
  })

  it("no helper mutates its (deep-frozen) input, and each keeps untouched keys identical", () => {
    fc.assert(
      fc.property(arbitraryState, fc.integer(), fc.string(), (s, n, item) => {
        const results = [
          State.update(s, { count: n }),
          State.modify(s, (d) => {
            d.count = n
          }),
          State.append(s, "log", item),
          State.increment(s, "count", n)
        ]
        for (const r of results) {
          expect(r.nested).toBe(s.nested)
          expect(r.name).toBe(s.name)
        }
        expect(State.increment(State.increment(s, "count", n), "count", -n)).toEqual(s)
        expect(State.append(s, "log", item).log.slice(0, -1)).toEqual(s.log)
      })
    )
  })
})
