import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@teasel/source"] },
  ssr: { resolve: { conditions: ["@teasel/source"] } },
  test: {
    name: "ui",
    include: ["test/**/*.test.ts"],
    // A real Chromium, the demo in child processes, and a 10,000-step run: slower than unit tests.
    testTimeout: 120_000,
    hookTimeout: 120_000
  }
})
