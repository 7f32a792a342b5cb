/** The server's JSON API, typed with the models of `TrackingStore`. */
import type { TrackingStore } from "@teasel/sql"

const get = async <A>(path: string, params: Record<string, string | number | undefined> = {}): Promise<A> => {
  const query = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, String(v))
  const res = await fetch(`${path}?${query}`)
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return (await res.json()) as A
}

export interface Key {
  readonly pk: string
  readonly id: string
}

export const projects = () => get<ReadonlyArray<TrackingStore.Project>>("/api/projects")

export const applications = (project: string, offset: number, limit: number) =>
  get<TrackingStore.Page<TrackingStore.Application>>("/api/applications", { project, offset, limit })

export const application = (key: Key) => get<TrackingStore.ApplicationDetail | null>("/api/application", { ...key })

export const steps = (key: Key, page: { readonly offset?: number; readonly around?: number; readonly limit: number }) =>
  get<TrackingStore.Page<TrackingStore.Step>>("/api/steps", { ...key, ...page })

export const step = (key: Key, seq: number) => get<TrackingStore.StepDetail | null>("/api/step", { ...key, seq })

export const children = (key: Key, seq: number, offset: number, limit: number) =>
  get<TrackingStore.Children>("/api/children", { ...key, seq, offset, limit })
