/** The views and their addresses (`#/`, `#/project?name=…`, `#/app?pk=…&id=…&step=…`). */

export type Route =
  | { readonly view: "projects" }
  | { readonly view: "project"; readonly project: string; readonly page: number }
  | { readonly view: "app"; readonly pk: string; readonly id: string; readonly step: number | undefined }

export const parse = (hash: string): Route => {
  const text = hash.replace(/^#/, "")
  const [path = "", search = ""] = text.split("?", 2) as [string?, string?]
  const q = new URLSearchParams(search)
  if (path === "/project" && q.has("name")) {
    return { view: "project", project: q.get("name")!, page: Math.max(0, Number(q.get("page") ?? 0) || 0) }
  }
  if (path === "/app" && q.has("id")) {
    const step = q.get("step")
    return { view: "app", pk: q.get("pk") ?? "", id: q.get("id")!, step: step === null || step === "" ? undefined : Number(step) }
  }
  return { view: "projects" }
}

export const href = (route: Route): string => {
  switch (route.view) {
    case "projects":
      return "#/"
    case "project": {
      const q = new URLSearchParams({ name: route.project })
      if (route.page > 0) q.set("page", String(route.page))
      return `#/project?${q}`
    }
    case "app": {
      const q = new URLSearchParams({ id: route.id })
      if (route.pk !== "") q.set("pk", route.pk)
      if (route.step !== undefined) q.set("step", String(route.step))
      return `#/app?${q}`
    }
  }
}
