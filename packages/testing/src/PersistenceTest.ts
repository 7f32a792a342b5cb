/**
 * The conformance suite every `Persistence` backend must pass, re-exported from
 * `@teasel/core/PersistenceTest`: call `suite(name, layer)` from a vitest test file.
 *
 * @example
 * ```ts
 * // test/MyBackend.test.ts
 * import type { Layer } from "effect"
 * import type { Persistence } from "@teasel/core"
 * import { PersistenceTest } from "@teasel/testing"
 * declare const myLayer: Layer.Layer<Persistence.Persistence> // your backend's layer
 * PersistenceTest.suite("my backend", myLayer)
 * ```
 *
 * @since 0.1.0
 */
export { suite } from "@teasel/core/PersistenceTest"
