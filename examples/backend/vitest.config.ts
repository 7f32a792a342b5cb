import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@teasel/source"] },
  ssr: { resolve: { conditions: ["@teasel/source"] } },
  test: {
    name: "example-backend",
    include: ["test/**/*.test.ts"],
    // The restart tests start real server processes.
    testTimeout: 120_000,
    hookTimeout: 60_000
  }
})
