/** `pnpm --filter @teasel/example-fp-ts start`: three purchases, with a catalog in memory. */
import { Effect } from "effect"
import * as TE from "fp-ts/lib/TaskEither.js"
import { Application } from "@teasel/core"
import { CatalogService, graph, start } from "./quotes.js"

const prices: Record<string, Record<string, number>> = {
  acme: { teapot: 30, kettle: 55 },
  bolt: { teapot: 24 },
  cray: { teapot: 27, kettle: 80 }
}
const catalog = {
  quote: (supplier: string, item: string) => {
    const price = prices[supplier]?.[item]
    return price === undefined ? TE.left(`${supplier} has no ${item}`) : TE.right(price)
  }
}

const buy = (item: string, budget: number) =>
  Application.run(Application.make({ graph, state: start(item, budget, ["acme", "bolt", "cray"]) })).pipe(
    Effect.map(({ state }) =>
      state.best.answered === 0
        ? `${item}: ${state.status}, no supplier has it`
        : `${item}: ${state.status} at ${state.best.price} from ${state.best.supplier} (${state.failed} supplier(s) failed)`
    ),
    Effect.catchTag("OverBudget", (e) => Effect.succeed(`${item}: over budget, ${e.price} > ${e.budget}`)),
    Effect.provideService(CatalogService, catalog)
  )

for (const [item, budget] of [["teapot", 25], ["kettle", 60], ["teapot", 20], ["spoon", 5]] as const) {
  console.log(await Effect.runPromise(buy(item, budget)))
}
