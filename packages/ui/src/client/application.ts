/**
 * One application: its header (status, steps, duration, children, lineage), its graph with the
 * selected and running actions highlighted, its steps a page at a time (a parallel step lists its
 * children inline, each expandable in place), and the selected step's state, its changes from
 * the step before, and its error.
 *
 * With no step chosen the view follows the application: it shows the latest step, and the live
 * updates move it along.
 */
import type { TrackingStore } from "@teasel/sql"
import * as Api from "./api.js"
import { diff } from "./diff.js"
import { badge, count, duration, errorBox, h, pretty, preview, time } from "./dom.js"
import * as Graph from "./graph.js"
import { href, type Route } from "./route.js"
import type { View } from "./view.js"

const STEPS_PER_PAGE = 100
const CHILDREN_PER_PAGE = 50
const CHILD_STEPS = 20
const LAST = Number.MAX_SAFE_INTEGER

interface Loaded {
  readonly app: TrackingStore.ApplicationDetail
  readonly page: TrackingStore.Page<TrackingStore.Step>
  readonly detail: TrackingStore.StepDetail | null
  readonly children: ReadonlyMap<number, TrackingStore.Children>
  readonly childSteps: ReadonlyMap<string, TrackingStore.Page<TrackingStore.Step>>
}

export const application = (
  main: HTMLElement,
  crumbs: (items: ReadonlyArray<Node | string>) => void,
  route: Extract<Route, { view: "app" }>
): View => {
  const key: Api.Key = { pk: route.pk, id: route.id }
  const ui = {
    follow: route.step === undefined,
    selected: route.step,
    /** The steps page shown; `undefined`: the page of the selected step (or the last page). */
    offset: undefined as number | undefined,
    /** Steps whose children are shown, with the offset of the page of children shown. */
    expanded: new Map<number, number>(),
    /** Children opened in place. */
    open: new Set<string>()
  }
  let last = ""

  const load = async (): Promise<Loaded | null> => {
    const app = await Api.application(key)
    if (app === null) return null
    const page = await Api.steps(
      key,
      ui.offset !== undefined ? { offset: ui.offset, limit: STEPS_PER_PAGE } : { around: ui.follow ? LAST : ui.selected ?? LAST, limit: STEPS_PER_PAGE }
    )
    if (ui.follow) {
      const lastStep = page.items[page.items.length - 1]
      ui.selected = app.runningSequenceId ?? lastStep?.sequenceId
    }
    const detail = ui.selected === undefined ? null : await Api.step(key, ui.selected)
    const children = new Map<number, TrackingStore.Children>()
    const childSteps = new Map<string, TrackingStore.Page<TrackingStore.Step>>()
    for (const [seq, offset] of ui.expanded) {
      if (!page.items.some((s) => s.sequenceId === seq)) continue
      const list = await Api.children(key, seq, offset, CHILDREN_PER_PAGE)
      children.set(seq, list)
      for (const child of list.items) {
        if (ui.open.has(child.appId)) {
          childSteps.set(child.appId, await Api.steps({ pk: child.partitionKey, id: child.appId }, { around: LAST, limit: CHILD_STEPS }))
        }
      }
    }
    return { app, page, detail, children, childSteps }
  }

  const refresh = async () => {
    const loaded = await load()
    if (loaded === null) {
      crumbs([h("a", { href: "#/" }, "Projects"), route.id])
      main.replaceChildren(h("div", { class: "empty card" }, `No application "${route.id}" in this store (yet).`))
      last = ""
      return
    }
    const now = loaded.app.status === "running" ? Math.floor(Date.now() / 1000) : 0
    const stamp = JSON.stringify([loaded.app, loaded.page, loaded.detail, [...loaded.children], [...loaded.childSteps], now, ui.selected])
    if (stamp === last) return
    last = stamp
    draw(loaded)
  }

  const go = (change: () => void) => {
    change()
    history.replaceState(null, "", href({ view: "app", pk: key.pk, id: key.id, step: ui.follow ? undefined : ui.selected }))
    void refresh()
  }

  const select = (seq: number) =>
    go(() => {
      ui.selected = seq
      ui.follow = false
    })

  const draw = ({ app, childSteps, children, detail, page }: Loaded) => {
    const parentCrumbs: Array<Node | string> = app.parentId === undefined
      ? []
      : [h("a", { href: href({ view: "app", pk: app.partitionKey, id: app.parentId, step: app.parentSequenceId }) }, shortId(app.parentId))]
    crumbs([
      h("a", { href: "#/" }, "Projects"),
      h("a", { href: href({ view: "project", project: app.project, page: 0 }) }, app.project),
      ...parentCrumbs,
      shortId(app.appId)
    ])

    const end = app.status === "running" ? Date.now() : app.updatedAt
    // The timeline of the page shown: from its first step's start to its last step's end.
    const tookOf = (s: TrackingStore.Step) => (s.status === "running" ? Date.now() - s.startedAt : s.durationMs ?? 0)
    const from = Math.min(...page.items.map((s) => s.startedAt))
    const span = Math.max(1e-3, Math.max(...page.items.map((s) => s.startedAt + tookOf(s))) - from)
    const visited = new Set(page.items.map((s) => s.action))

    const header = h(
      "section",
      { class: "app-head" },
      h("h1", null, h("span", { class: "mono", "data-testid": "app-id" }, app.appId), " ", badge(app.status, "app-status")),
      h(
        "div",
        { class: "facts" },
        fact("project", app.project),
        app.partitionKey === "" ? null : fact("partition", app.partitionKey),
        fact("steps", app.steps.toLocaleString(), "app-steps"),
        fact("duration", duration(end - app.startedAt)),
        fact("children", app.children.toLocaleString()),
        fact("started", time(app.startedAt)),
        app.runningAction === undefined ? null : fact("running", `step ${app.runningSequenceId} · ${app.runningAction}`),
        app.status === "completed" || app.next === undefined ? null : fact("next", app.next)
      ),
      app.parentId === undefined ? null : h(
        "div",
        { class: "lineage", "data-testid": "lineage" },
        "Child of ",
        h("a", { class: "mono", href: href({ view: "app", pk: app.partitionKey, id: app.parentId, step: app.parentSequenceId }), "data-testid": "parent-link" }, app.parentId),
        `, spawned by step ${app.parentSequenceId ?? "?"}`,
        app.parentAction === undefined ? null : [" (", h("b", null, app.parentAction), ")"]
      )
    )

    const graph = h(
      "section",
      { class: "card graph-card" },
      h("h2", null, "Graph", h("span", { class: "muted small" }, " — the selected step's action is outlined")),
      h(
        "div",
        { class: "graph-wrap" },
        Graph.render(app.graph, { selected: detail?.action, running: app.runningAction, visited }, (action) => {
          const found = [...page.items].reverse().find((s) => s.action === action)
          if (found !== undefined) select(found.sequenceId)
        })
      )
    )

    const stepRows = page.items.flatMap((s) => {
      const expanded = children.get(s.sequenceId)
      const running = s.status === "running"
      const took = tookOf(s)
      const row = h(
        "tr",
        {
          class: `step${s.sequenceId === ui.selected ? " selected" : ""}`,
          "data-testid": "step-row",
          "data-seq": s.sequenceId,
          "data-action": s.action,
          onclick: () => select(s.sequenceId)
        },
        h("td", { class: "num mono" }, s.sequenceId),
        h("td", { class: "mono" }, s.action),
        h("td", null, badge(s.status)),
        h("td", { class: "num" }, duration(running ? took : s.durationMs)),
        h(
          "td",
          { class: "bar-cell" },
          h("div", {
            class: `bar ${s.status}`,
            style: `left:${pct(Math.min(0.996, (s.startedAt - from) / span))};width:${pct(Math.max(0.004, took / span))}`
          })
        ),
        h(
          "td",
          null,
          s.children === 0 ? null : h(
            "button",
            {
              class: "link",
              "data-testid": "children-toggle",
              "aria-expanded": expanded !== undefined ? "true" : "false",
              onclick: (event: Event) => {
                event.stopPropagation()
                go(() => {
                  if (ui.expanded.has(s.sequenceId)) ui.expanded.delete(s.sequenceId)
                  else ui.expanded.set(s.sequenceId, 0)
                })
              }
            },
            `${expanded !== undefined ? "▾" : "▸"} ${count(s.children, "child", "children")}`
          )
        )
      )
      if (expanded === undefined) return [row]
      return [row, h("tr", { class: "children-row" }, h("td", { colspan: 6 }, childrenBlock(s, expanded, childSteps)))]
    })

    const pages = Math.max(1, Math.ceil(page.total / STEPS_PER_PAGE))
    const pageNo = Math.floor(page.offset / STEPS_PER_PAGE)
    const toPage = (n: number) =>
      go(() => {
        ui.offset = Math.max(0, Math.min(pages - 1, n)) * STEPS_PER_PAGE
        ui.follow = false
      })
    const pager = pages <= 1 ? null : h(
      "div",
      { class: "pager", "data-testid": "steps-pager" },
      h("button", { class: "link", disabled: pageNo === 0, onclick: () => toPage(0) }, "« first"),
      h("button", { class: "link", disabled: pageNo === 0, onclick: () => toPage(pageNo - 1) }, "‹ prev"),
      h("span", { "data-testid": "steps-page" }, `steps ${page.offset + 1}–${page.offset + page.items.length} of ${page.total.toLocaleString()}`),
      h("button", { class: "link", disabled: pageNo + 1 >= pages, onclick: () => toPage(pageNo + 1) }, "next ›"),
      h("button", { class: "link", disabled: pageNo + 1 >= pages, onclick: () => toPage(pages - 1) }, "last »"),
      h(
        "form",
        {
          class: "goto",
          onsubmit: (event: Event) => {
            event.preventDefault()
            const input = (event.target as HTMLFormElement).elements.namedItem("step") as HTMLInputElement
            const seq = Number(input.value)
            if (Number.isInteger(seq) && seq > 0) {
              go(() => {
                ui.offset = undefined
                ui.selected = seq
                ui.follow = false
              })
            }
          }
        },
        h("input", { name: "step", type: "number", min: 1, placeholder: "step #", "aria-label": "go to step" })
      )
    )

    const steps = h(
      "section",
      { class: "card" },
      h("h2", null, "Steps", h("span", { class: "muted small" }, ` ${page.total.toLocaleString()}`)),
      pager,
      h(
        "table",
        { class: "steps", "data-testid": "steps" },
        h("thead", null, h("tr", null, h("th", { class: "num" }, "#"), h("th", null, "Action"), h("th", null, "Status"), h("th", { class: "num" }, "Duration"), h("th", null, "Timeline"), h("th", null, ""))),
        h("tbody", null, stepRows)
      ),
      page.items.length === 0 ? h("p", { class: "muted" }, "No step has run yet.") : null
    )

    main.replaceChildren(
      header,
      ...(app.error === undefined ? [] : [errorBox(app.error, `Failed at step ${app.steps + 1}`)]),
      h(
        "div",
        { class: "app-grid" },
        h("div", { class: "col-main" }, graph, steps),
        h("div", { class: "col-side" }, stepDetail(detail))
      )
    )
  }

  /** A parallel step's children: figures over all of them, then a page of them. */
  const childrenBlock = (
    step: TrackingStore.Step,
    list: TrackingStore.Children,
    childSteps: ReadonlyMap<string, TrackingStore.Page<TrackingStore.Step>>
  ) => {
    const pages = Math.max(1, Math.ceil(list.total / CHILDREN_PER_PAGE))
    const pageNo = Math.floor(list.offset / CHILDREN_PER_PAGE)
    const toPage = (n: number) => go(() => ui.expanded.set(step.sequenceId, Math.max(0, Math.min(pages - 1, n)) * CHILDREN_PER_PAGE))
    const shared = sharedKeys(list.items.map((c) => c.result))
    return h(
      "div",
      { class: "children", "data-testid": "children", "data-seq": step.sequenceId },
      h(
        "div",
        { class: "aggregates", "data-testid": "aggregates" },
        h("b", null, count(list.total, "child", "children")),
        h("span", { class: "ok" }, `${list.succeeded} succeeded`),
        h("span", { class: list.failed > 0 ? "bad" : "" }, `${list.failed} failed`),
        h("span", { class: list.interrupted > 0 ? "warn" : "" }, `${list.interrupted} interrupted`),
        list.running > 0 ? h("span", { class: "run" }, `${list.running} running`) : null,
        list.slowest === undefined ? null : h(
          "span",
          { "data-testid": "slowest" },
          "slowest: ",
          h("a", { class: "mono", href: href({ view: "app", pk: key.pk, id: list.slowest.appId, step: undefined }) }, shortId(list.slowest.appId)),
          ` (${duration(list.slowest.durationMs)})`
        )
      ),
      list.items.map((child) => {
        const open = ui.open.has(child.appId)
        const own = childSteps.get(child.appId)
        return h(
          "div",
          { class: `child${open ? " open" : ""}`, "data-testid": "child-row", "data-child": child.appId },
          h(
            "div",
            {
              class: "child-line",
              role: "button",
              tabindex: 0,
              "aria-expanded": open ? "true" : "false",
              onclick: () =>
                go(() => {
                  if (open) ui.open.delete(child.appId)
                  else ui.open.add(child.appId)
                })
            },
            h("span", { class: "caret" }, open ? "▾" : "▸"),
            h("span", { class: "mono idx" }, `#${indexOf(child.appId)}`),
            badge(child.status),
            h("span", { class: "muted" }, count(child.steps, "step")),
            h("span", { class: "num" }, duration(child.status === "running" ? Date.now() - child.startedAt : child.durationMs)),
            h("span", { class: "mono result", title: preview(child.result, 2000) }, preview(omit(child.result, shared), 90)),
            h(
              "a",
              {
                class: "open-child",
                href: href({ view: "app", pk: child.partitionKey, id: child.appId, step: undefined }),
                "data-testid": "open-child",
                onclick: (event: Event) => event.stopPropagation()
              },
              "open →"
            )
          ),
          open
            ? h(
              "div",
              { class: "child-detail", "data-testid": "child-detail" },
              h("div", { class: "mono small muted" }, child.appId),
              child.error === undefined ? null : errorBox(child.error),
              own === undefined ? null : h(
                "div",
                { class: "mini-steps" },
                own.offset > 0 ? h("span", { class: "muted" }, `… ${own.offset} earlier steps`) : null,
                own.items.map((s) =>
                  h("span", { class: `mini ${s.status}`, title: `step ${s.sequenceId}: ${s.action} (${s.status}, ${duration(s.durationMs)})` }, `${s.sequenceId} ${s.action}`)
                )
              ),
              h("div", { class: "label" }, child.status === "completed" ? "Result" : "Last state"),
              h("pre", { class: "json small" }, pretty(child.result, 20_000))
            )
            : null
        )
      }),
      pages <= 1 ? null : h(
        "div",
        { class: "pager" },
        h("button", { class: "link", disabled: pageNo === 0, onclick: () => toPage(pageNo - 1) }, "‹ prev"),
        h("span", null, `children ${list.offset + 1}–${list.offset + list.items.length} of ${list.total.toLocaleString()}`),
        h("button", { class: "link", disabled: pageNo + 1 >= pages, onclick: () => toPage(pageNo + 1) }, "next ›")
      )
    )
  }

  return { refresh }
}

/** The selected step: what it did to the state, the state after it, and its error. */
const stepDetail = (detail: TrackingStore.StepDetail | null) => {
  if (detail === null) return h("section", { class: "card step-detail", "data-testid": "step-detail" }, h("p", { class: "muted" }, "Select a step."))
  const completed = detail.status === "completed"
  const changes = completed ? diff(detail.previous, detail.state) : []
  return h(
    "section",
    { class: "card step-detail", "data-testid": "step-detail", "data-seq": detail.sequenceId },
    h("h2", null, `Step ${detail.sequenceId} · `, h("span", { class: "mono" }, detail.action), " ", badge(detail.status)),
    h(
      "div",
      { class: "facts" },
      fact("started", time(detail.startedAt)),
      fact("duration", detail.status === "running" ? `${duration(Date.now() - detail.startedAt)} so far` : duration(detail.durationMs)),
      detail.chunks > 0 ? fact("chunks", detail.chunks.toLocaleString()) : null,
      detail.children > 0 ? fact("children", detail.children.toLocaleString()) : null,
      completed ? fact("next", detail.next ?? "— (ended)") : null
    ),
    detail.error === undefined ? null : errorBox(detail.error, "Failed with"),
    detail.status === "interrupted" ? h("p", { class: "note" }, "Interrupted while it ran: its state did not change.") : null,
    detail.status === "running" ? h("p", { class: "note" }, "Running: its state appears when it completes.") : null,
    completed
      ? h(
        "div",
        null,
        h("h3", null, `Changes from ${detail.sequenceId === 1 ? "the initial state" : `step ${detail.sequenceId - 1}`}`),
        detail.previous === undefined
          ? h("p", { class: "muted" }, "The state before it was not tracked.")
          : changes.length === 0
          ? h("p", { class: "muted", "data-testid": "diff" }, "No change.")
          : h(
            "ul",
            { class: "diff", "data-testid": "diff" },
            changes.map((c) =>
              h(
                "li",
                { class: c.kind },
                h("span", { class: "mono path" }, c.path),
                h("span", { class: `kind ${c.kind}` }, c.kind),
                c.kind === "added" ? null : h("span", { class: "mono before", title: preview(c.before, 4000) }, preview(c.before, 160)),
                c.kind === "changed" ? h("span", { class: "arrow-text" }, "→") : null,
                c.kind === "removed" ? null : h("span", { class: "mono after", title: preview(c.after, 4000) }, preview(c.after, 160))
              )
            )
          ),
        h("h3", null, `State after step ${detail.sequenceId}`),
        h("pre", { class: "json", "data-testid": "state" }, pretty(detail.state))
      )
      : null,
    h(
      "details",
      { class: "before", open: completed ? undefined : true },
      h("summary", null, detail.sequenceId === 1 ? "Initial state" : `State before (after step ${detail.sequenceId - 1})`),
      h("pre", { class: "json", "data-testid": "previous-state" }, pretty(detail.previous))
    )
  )
}

/** The keys every result of the page holds with the same value: left out of the previews, which then differ. */
const sharedKeys = (results: ReadonlyArray<unknown>): ReadonlySet<string> => {
  const objects = results.filter((r): r is Record<string, unknown> => typeof r === "object" && r !== null && !Array.isArray(r))
  if (objects.length < 2 || objects.length !== results.length) return new Set()
  const first = objects[0]!
  return new Set(
    Object.keys(first).filter((k) => {
      const json = JSON.stringify(first[k])
      return objects.every((o) => k in o && JSON.stringify(o[k]) === json)
    })
  )
}

const omit = (value: unknown, keys: ReadonlySet<string>): unknown => {
  if (keys.size === 0 || typeof value !== "object" || value === null || Array.isArray(value)) return value
  return Object.fromEntries(Object.entries(value).filter(([k]) => !keys.has(k)))
}

const fact = (label: string, value: string, testid?: string) =>
  h("span", { class: "fact" }, h("span", { class: "fact-label" }, label), h("span", { class: "fact-value", "data-testid": testid }, value))

const pct = (x: number) => `${(Math.min(1, Math.max(0, x)) * 100).toFixed(2)}%`

/** A long child id (`parent:1:poems:2`) as its last parts. */
const shortId = (id: string) => (id.length > 42 ? `…${id.slice(-40)}` : id)

/** A child's task index: the last part of a derived id. */
const indexOf = (id: string) => {
  const tail = id.slice(id.lastIndexOf(":") + 1)
  return /^\d+$/.test(tail) ? tail : shortId(id)
}
