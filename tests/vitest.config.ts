import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@teasel/source"] },
  ssr: { resolve: { conditions: ["@teasel/source"] } },
  test: {
    name: "repo",
    include: ["*.test.ts"],
    // Builds, npm installs and compilers in child processes: minutes, not milliseconds.
    testTimeout: 900_000,
    hookTimeout: 900_000
  }
})
