import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@teasel/source"] },
  ssr: { resolve: { conditions: ["@teasel/source"] } },
  test: {
    name: "sql",
    include: ["test/**/*.test.ts"],
    // Real databases and child processes: slower than unit tests.
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
