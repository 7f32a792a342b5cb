/**
 * A runner: the whole of its main module. Start one per machine:
 *
 *   TEASEL_PG_URL=postgres://... TEASEL_RUNNER_HOST=10.0.0.5 TEASEL_RUNNER_PORT=34431 \
 *     node --conditions=@teasel/source --import tsx src/runner.ts
 */
import { Runner } from "@teasel/cluster"
import { branches } from "./graph.js"

Runner.main({ branches })
