import { defineConfig } from "tsup"

// The page's script, bundled whole into dist/client.js: the UI loads nothing from the network.
export default defineConfig({
  entry: { client: "src/client/main.ts" },
  format: ["esm"],
  platform: "browser",
  target: "es2022",
  noExternal: [/.*/],
  sourcemap: true,
  clean: false
})
