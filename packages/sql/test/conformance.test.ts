import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as PersistenceTest from "@teasel/testing/PersistenceTest"
import { afterAll, beforeAll } from "vitest"
import { SqlPersistence } from "../src/index.js"
import { createSchema, dropSchema, pgLayer, schemaName } from "./pg.js"

const dir = mkdtempSync(join(tmpdir(), "teasel-sql-conformance-"))
const schema = schemaName("conformance")

beforeAll(() => createSchema(schema))
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  await dropSchema(schema)
})

// A parent directory that does not exist yet: the layer creates it.
PersistenceTest.suite("SQLite", SqlPersistence.layerSqlite({ filename: join(dir, "nested", "teasel.db") }))
PersistenceTest.suite("PostgreSQL", pgLayer(schema))
