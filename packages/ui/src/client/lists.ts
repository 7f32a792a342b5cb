/** The first two views: the projects of the store, and the applications of one project. */
import * as Api from "./api.js"
import { badge, count, duration, h, time } from "./dom.js"
import { href } from "./route.js"
import type { View } from "./view.js"

export const projects = (main: HTMLElement, crumbs: (items: ReadonlyArray<Node | string>) => void): View => {
  let last = ""
  const refresh = async () => {
    const list = await Api.projects()
    const key = JSON.stringify(list)
    if (key === last) return
    last = key
    crumbs(["Projects"])
    main.replaceChildren(
      h("h1", null, "Projects"),
      list.length === 0
        ? h(
          "div",
          { class: "empty card" },
          h("p", null, "Nothing is tracked in this store yet."),
          h("p", null, "Run ", h("code", null, "pnpm demo"), ", or give your program ", h("code", null, "SqlTracking.layerSqlite({ filename })"), " from ", h("code", null, "@teasel/sql"), ": its runs appear here as they happen.")
        )
        : h(
          "table",
          { class: "list card" },
          h("thead", null, h("tr", null, h("th", null, "Project"), h("th", { class: "num" }, "Applications"), h("th", { class: "num" }, "Failed"), h("th", null, "Last activity"))),
          h(
            "tbody",
            null,
            list.map((p) =>
              h(
                "tr",
                null,
                h("td", null, h("a", { href: href({ view: "project", project: p.project, page: 0 }), "data-testid": "project-link" }, p.project)),
                h("td", { class: "num" }, p.applications.toLocaleString()),
                h("td", { class: `num${p.failed > 0 ? " bad" : ""}` }, p.failed.toLocaleString()),
                h("td", null, time(p.updatedAt))
              )
            )
          )
        )
    )
  }
  return { refresh }
}

const PAGE = 50

export const project = (
  main: HTMLElement,
  crumbs: (items: ReadonlyArray<Node | string>) => void,
  name: string,
  page: number
): View => {
  let last = ""
  const refresh = async () => {
    const list = await Api.applications(name, page * PAGE, PAGE)
    const key = JSON.stringify(list)
    if (key === last) return
    last = key
    crumbs([h("a", { href: "#/" }, "Projects"), name])
    const pages = Math.max(1, Math.ceil(list.total / PAGE))
    main.replaceChildren(
      h("h1", null, name, h("span", { class: "muted small" }, ` ${count(list.total, "application")}`)),
      h(
        "table",
        { class: "list card", "data-testid": "applications" },
        h(
          "thead",
          null,
          h("tr", null, h("th", null, "Application"), h("th", null, "Status"), h("th", { class: "num" }, "Steps"), h("th", { class: "num" }, "Duration"), h("th", { class: "num" }, "Children"), h("th", null, "Started"))
        ),
        h(
          "tbody",
          null,
          list.items.map((a) =>
            h(
              "tr",
              { "data-testid": "app-row", "data-app": a.appId },
              h("td", null, h("a", { class: "mono", href: href({ view: "app", pk: a.partitionKey, id: a.appId, step: undefined }), "data-testid": "app-link" }, a.appId), a.partitionKey === "" ? null : h("span", { class: "muted small" }, ` · ${a.partitionKey}`)),
              h("td", null, badge(a.status), a.runningAction === undefined ? null : h("span", { class: "muted small" }, ` ${a.runningAction}`)),
              h("td", { class: "num" }, a.steps.toLocaleString()),
              h("td", { class: "num" }, duration(a.durationMs)),
              h("td", { class: "num" }, a.children.toLocaleString()),
              h("td", null, time(a.startedAt))
            )
          )
        )
      ),
      ...(pages <= 1 ? [] : [h(
          "div",
          { class: "pager" },
          h("a", { class: page === 0 ? "disabled" : "", href: href({ view: "project", project: name, page: Math.max(0, page - 1) }) }, "‹ newer"),
          h("span", null, `page ${page + 1} of ${pages}`),
          h("a", { class: page + 1 >= pages ? "disabled" : "", href: href({ view: "project", project: name, page: Math.min(pages - 1, page + 1) }) }, "older ›")
        )])
    )
  }
  return { refresh }
}
