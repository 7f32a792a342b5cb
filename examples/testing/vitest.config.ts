import { defineProject } from "vitest/config"

export default defineProject({
  resolve: { conditions: ["@teasel/source"] },
  ssr: { resolve: { conditions: ["@teasel/source"] } },
  test: {
    name: "example-testing",
    include: ["test/**/*.test.ts"]
  }
})
