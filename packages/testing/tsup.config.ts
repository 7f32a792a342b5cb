import { defineConfig } from "tsup"

export default defineConfig({
  entry: ["src/index.ts", "src/Testing.ts", "src/PersistenceTest.ts"],
  external: ["vitest", "@teasel/core"],
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node22"
})
