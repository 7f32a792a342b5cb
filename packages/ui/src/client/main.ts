/**
 * The page: a view per address (projects → applications → one application), redrawn in place
 * when the server says the store changed (server-sent events), so a running application updates
 * without a reload.
 */
import { application } from "./application.js"
import { h } from "./dom.js"
import { projects, project } from "./lists.js"
import { parse } from "./route.js"
import type { View } from "./view.js"

const main = document.getElementById("main")!
const crumbsNav = document.getElementById("crumbs")!
const live = document.getElementById("live")!

const crumbs = (items: ReadonlyArray<Node | string>) => {
  crumbsNav.replaceChildren(...items.flatMap((item, i) => (i === 0 ? [item] : [h("span", { class: "sep" }, "›"), item])))
}

let current: View | undefined
let generation = 0

const show = async (view: View, container: HTMLElement) => {
  try {
    await view.refresh()
  } catch (error) {
    container.replaceChildren(h("div", { class: "error-box" }, `Could not load this view: ${String(error)}`))
  }
}

const route = () => {
  const r = parse(location.hash)
  const mine = ++generation
  // Each view draws into a container of its own: one still loading when the address changes
  // draws into a detached container, and its breadcrumbs are dropped.
  const container = h("div", { class: "view" })
  main.replaceChildren(container)
  const ownCrumbs = (items: ReadonlyArray<Node | string>) => {
    if (mine === generation) crumbs(items)
  }
  current = r.view === "projects"
    ? projects(container, ownCrumbs)
    : r.view === "project"
    ? project(container, ownCrumbs, r.project, r.page)
    : application(container, ownCrumbs, r)
  window.scrollTo(0, 0)
  void show(current, container)
}

window.addEventListener("hashchange", route)
route()

// Live: redraw the current view when the store changes; one redraw at a time, the last one wins.
let pending: number | undefined
let running = false
const refreshSoon = () => {
  if (pending !== undefined) return
  pending = window.setTimeout(async () => {
    pending = undefined
    if (running) return refreshSoon()
    running = true
    const seen = generation
    try {
      if (current !== undefined && seen === generation) await current.refresh()
    } catch {
      // The next change tries again.
    } finally {
      running = false
    }
  }, 120)
}

const events = new EventSource("/api/events")
events.addEventListener("change", () => {
  live.classList.add("on")
  refreshSoon()
})
events.addEventListener("open", () => live.classList.add("on"))
events.addEventListener("error", () => live.classList.remove("on"))
