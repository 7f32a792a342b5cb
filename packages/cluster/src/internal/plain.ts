/**
 * A child's error as plain data, for the cluster's storage and the trip back to the parent: its
 * `_tag`, `name`, `message` and own fields, as JSON keeps them. Never throws (a BigInt, a cycle, a
 * hostile `toJSON` give a description instead).
 */
export const toPlain = (error: unknown): unknown => {
  try {
    if (error !== null && typeof error === "object") {
      const fields: Record<string, unknown> = { ...error }
      const e = error as { readonly _tag?: unknown; readonly name?: unknown; readonly message?: unknown }
      if (e._tag !== undefined) fields._tag = e._tag
      if (error instanceof Error) {
        fields.name = e.name
        fields.message = e.message
      }
      return JSON.parse(JSON.stringify(fields, (_key, value) => (value instanceof Error ? { name: value.name, message: value.message } : value)))
    }
    return error === undefined ? null : JSON.parse(JSON.stringify(error) ?? "null")
  } catch {
    return { _tag: "UnserializableError", message: describe(error) }
  }
}

const describe = (error: unknown): string => {
  try {
    return error instanceof Error ? error.message : String(error)
  } catch {
    return typeof error
  }
}
