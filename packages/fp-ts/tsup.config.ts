import { defineConfig } from "tsup"

export default defineConfig({
  entry: ["src/index.ts", "src/Testing.ts"],
  external: ["@teasel/core", "@teasel/testing", "fp-ts", "fast-check", "effect"],
  format: ["esm"],
  // Declarations are emitted by tsc (tsconfig.build.json), one per module.
  dts: false,
  sourcemap: true,
  clean: true,
  target: "node22"
})
