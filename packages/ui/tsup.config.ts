import { defineConfig } from "tsup"

// The server and the `teasel` command. The page's script is built after it, by
// tsup.client.config.ts (one after the other: this build empties dist first).
export default defineConfig({
  entry: ["src/index.ts", "src/cli.ts"],
  format: ["esm"],
  // Only for running from the sources (the built package serves dist/client.js).
  external: ["esbuild"],
  // Declarations are emitted by tsc (tsconfig.build.json), one per module.
  dts: false,
  sourcemap: true,
  clean: true,
  target: "node22"
})
