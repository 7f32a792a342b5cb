/**
 * Building the page: `h` makes an element from a tag, attributes and children; the formatters
 * turn times, durations and values into short text.
 */

export type Child = Node | string | number | null | undefined | false | ReadonlyArray<Child>

type Attribute = string | number | boolean | undefined | null | ((event: Event) => void)

export const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Readonly<Record<string, Attribute>> | null,
  ...children: ReadonlyArray<Child>
): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (typeof value === "function") node.addEventListener(key.replace(/^on/, "").toLowerCase(), value)
    else if (key === "class") node.className = String(value)
    else node.setAttribute(key, value === true ? "" : String(value))
  }
  append(node, children)
  return node
}

const append = (node: Node, children: ReadonlyArray<Child>) => {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    if (Array.isArray(child)) append(node, child)
    else node.appendChild(typeof child === "object" ? (child as Node) : document.createTextNode(String(child)))
  }
}

/** A duration in milliseconds, shortly: `0.12 ms`, `45 ms`, `1.20 s`, `2m 05s`. */
export const duration = (ms: number | undefined): string => {
  if (ms === undefined || !Number.isFinite(ms)) return "—"
  if (ms < 0.01) return "<0.01 ms"
  if (ms < 1) return `${ms.toFixed(2)} ms`
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`
  const s = Math.round(ms / 1000)
  return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`
}

/** A moment: the time of day, with the date when it is not today. */
export const time = (epochMs: number): string => {
  const d = new Date(epochMs)
  const clock = d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false })
  return d.toDateString() === new Date().toDateString() ? clock : `${d.toLocaleDateString()} ${clock}`
}

/** A value as one line of JSON, cut at `max` characters. */
export const preview = (value: unknown, max = 120): string => {
  const text = value === undefined ? "—" : JSON.stringify(value) ?? String(value)
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** A value as indented JSON, cut at `max` characters (a huge state must not freeze the page). */
export const pretty = (value: unknown, max = 200_000): string => {
  const text = value === undefined ? "(none)" : JSON.stringify(value, null, 2) ?? String(value)
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters)` : text
}

export const badge = (status: string, testid?: string) =>
  h("span", { class: `badge ${status}`, "data-testid": testid }, status)

/** Plural: `3 children`, `1 step`. */
export const count = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`

/** The error of a step or application, with its chain of causes. */
export const errorBox = (error: unknown, title = "Error"): HTMLElement => {
  const chain: Array<Record<string, unknown>> = []
  let e: unknown = error
  while (typeof e === "object" && e !== null && chain.length < 10) {
    chain.push(e as Record<string, unknown>)
    e = (e as { cause?: unknown }).cause
  }
  return h(
    "div",
    { class: "error-box", "data-testid": "error" },
    h("div", { class: "error-title" }, title),
    chain.map((item, i) => {
      const { _tag, cause: _cause, message, name, stack, ...fields } = item
      const label = [typeof _tag === "string" ? _tag : undefined, typeof name === "string" && name !== _tag ? name : undefined]
        .filter(Boolean)
        .join(" · ")
      const shown = Object.entries(fields).filter(([, v]) => v !== undefined && typeof v !== "object")
      return h(
        "div",
        { class: "cause" },
        i > 0 ? h("span", { class: "cause-label" }, "caused by ") : null,
        label !== "" ? h("b", null, label, ": ") : null,
        h("span", { class: "error-message" }, String(message ?? "")),
        shown.length > 0
          ? h("div", { class: "error-fields" }, shown.map(([k, v]) => h("span", null, h("i", null, k), " ", String(v))))
          : null,
        typeof stack === "string" ? h("details", null, h("summary", null, "stack"), h("pre", null, stack)) : null
      )
    })
  )
}
