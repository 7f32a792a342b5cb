/** A view on the page: it draws itself, and draws itself again when the store changes. */
export interface View {
  readonly refresh: () => Promise<void>
}
