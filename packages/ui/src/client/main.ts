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

const show = async (view: View) => {
  try {
    await view.refresh()
  } catch (error) {
    main.replaceChildren(h("div", { class: "error-box" }, `Could not load this view: ${String(error)}`))
  }
}

const route = () => {
  const r = parse(location.hash)
  generation++
  current = r.view === "projects"
    ? projects(main, crumbs)
    : r.view === "project"
    ? project(main, crumbs, r.project, r.page)
    : application(main, crumbs, r)
  window.scrollTo(0, 0)
  void show(current)
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
