import { Persistence } from "../src/index.js"
import { suite } from "../src/PersistenceTest.js"

suite("memory", Persistence.layerMemory)
