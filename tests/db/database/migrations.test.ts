import { describe, expect, test } from "bun:test";
import { getTableName, is, sql } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import { connectDatabase, type Database } from "../../../src/db/connect.ts";
import { migrate } from "../../../src/db/migrate.ts";
import { journalTags, migrations } from "../../../src/db/migrations.ts";
import { rowsOf } from "../../../src/db/rows.ts";
import * as schema from "../../../src/db/schema.ts";
import { getTestDatabase, testDatabaseUrl } from "../../helpers/db.ts";

describe("migrations", () => {
  test("every migration in drizzle/meta/_journal.json is embedded, in order", () => {
    expect(migrations.map((m) => m.tag)).toEqual(journalTags);
  });

  test("running migrations again applies nothing", async () => {
    const { db } = await getTestDatabase();
    expect(await migrate(db)).toEqual({ applied: [], total: migrations.length });
  });

  test("a migration edited after it was applied is refused", async () => {
    const { db } = await getTestDatabase();
    const edited = migrations.map((m) => ({ ...m, sql: `${m.sql}\n-- edited` }));
    await expect(migrate(db, edited)).rejects.toThrow(/changed after it was applied/);
  });

  test("two instances migrating one empty database at once: one applies, the other waits and finds it done", async () => {
    let a: Database;
    let b: Database;
    let cleanup: () => Promise<void>;
    if (testDatabaseUrl) {
      const schema = `test_${process.pid}_mig${Math.random().toString(36).slice(2, 6)}`;
      const admin = await connectDatabase({ kind: "postgres", url: testDatabaseUrl }, { maxConnections: 1 });
      await admin.db.execute(sql.raw(`create schema "${schema}"`));
      a = await connectDatabase({ kind: "postgres", url: testDatabaseUrl }, { searchPath: schema });
      b = await connectDatabase({ kind: "postgres", url: testDatabaseUrl }, { searchPath: schema });
      cleanup = async () => {
        await Promise.all([a.close(), b.close()]);
        await admin.db.execute(sql.raw(`drop schema "${schema}" cascade`));
        await admin.close();
      };
    } else {
      a = await connectDatabase({ kind: "pglite", dataDir: null });
      b = a;
      cleanup = () => a.close();
    }
    try {
      const results = await Promise.all([migrate(a.db), migrate(b.db)]);
      const applied = results.map((r) => r.applied.length).sort();
      expect(applied).toEqual([0, migrations.length]);
      const rows = rowsOf<{ n: number }>(
        await a.db.execute(sql`select count(*)::int as n from proximity_migrations`),
      );
      expect(rows[0]!.n).toBe(migrations.length);
      const tables = rowsOf<{ t: string }>(
        await a.db.execute(
          sql`select tablename as t from pg_tables where schemaname = current_schema() order by 1`,
        ),
      ).map((r) => r.t);
      // Exactly the tables of the Drizzle schema, plus the migrations ledger.
      const declared = Object.values(schema)
        .filter((v) => is(v, PgTable))
        .map((t) => getTableName(t as PgTable));
      expect(tables).toEqual([...declared, "proximity_migrations"].sort());
    } finally {
      await cleanup();
    }
  });
});
