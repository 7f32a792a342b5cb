/** A runner process of the `cluster` scenario (address and database from the environment). */
import { Runner } from "@teasel/cluster"
import { branches } from "./clusterBranches.js"

Runner.main({ branches })
