import { Persistence } from "@teasel/core"
import { PersistenceTest } from "../src/index.js"

// The conformance suite, as this package re-exports it, on the memory backend.
PersistenceTest.suite("memory (via @teasel/testing)", Persistence.layerMemory)
