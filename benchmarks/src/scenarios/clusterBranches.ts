/**
 * The branch registry of the `cluster` scenario, loaded by the benchmark's parent and by its
 * runner processes (`clusterRunner.ts`).
 */
import { Branches } from "@teasel/cluster"

export interface Child {
  readonly x: number
}

export const add1 = (c: Child): Child => ({ x: c.x + 1 })

export const branches = Branches.make({ add1 })
