import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@teasel/source"] },
  ssr: { resolve: { conditions: ["@teasel/source"] } },
  test: {
    name: "cluster",
    include: ["test/**/*.test.ts"],
    // Real databases and child processes: slower than unit tests.
    testTimeout: 300_000,
    hookTimeout: 300_000
  }
})
