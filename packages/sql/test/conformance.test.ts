import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Layer } from "effect"
import * as Reactivity from "effect/reactivity/Reactivity"
import { SqlClient } from "effect/sql"
import * as PersistenceTest from "@teasel/testing/PersistenceTest"
import { afterAll, beforeAll } from "vitest"
import { SqliteClient, SqlPersistence } from "../src/index.js"
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
// The same SQLite client seen only as a `SqlClient`, as any other Effect SQL client would be: the
// persistence then takes its Effect SQL path (the statements a PostgreSQL or third-party client
// runs), not the synchronous one.
PersistenceTest.suite(
  "SQLite through Effect SQL statements",
  SqlPersistence.layer.pipe(
    Layer.provide(
      Layer.effect(SqlClient.SqlClient, SqliteClient.make({ filename: join(dir, "effect-sql.db") })).pipe(
        Layer.provide(Reactivity.layer)
      )
    )
  )
)
