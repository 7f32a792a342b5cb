import { Persistence } from "@teasel/core"
import * as PersistenceTest from "../src/PersistenceTest.js"

// The conformance suite on the memory backend (every other backend runs it in its own package).
PersistenceTest.suite("memory", Persistence.layerMemory)
