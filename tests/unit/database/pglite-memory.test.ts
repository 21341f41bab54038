/**
 * The embedded database gives back the memory PostgreSQL zero-filled and has not used (src/db/pglite-memory.ts),
 * and keeps working: the buffer pool fills again with real pages, read back intact.
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectDatabase } from "../../../src/db/connect.ts";
import { migrate } from "../../../src/db/migrate.ts";

setDefaultTimeout(120_000);

const root = mkdtempSync(join(tmpdir(), "proximity-zero-pages-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("an open embedded database gives back its unused buffer pool, then fills it again with real pages", async () => {
  const dataDir = join(root, "data");
  (await connectDatabase({ kind: "pglite", dataDir })).close();
  const db = await connectDatabase({ kind: "pglite", dataDir });
  try {
    await migrate(db.db);
    if (db.raw.kind !== "pglite") throw new Error("expected PGlite");
    const client = db.raw.client;
    // Most of the 8 MB pool holds no page yet.
    expect(db.discardZeroPages!()).toBeGreaterThan(4 * 1024 * 1024);
    // ~24 MB of rows: three times the pool, so every buffer is written again (and evicted) meanwhile.
    await client.exec(`
      create table pool_probe (id int primary key, body text);
      insert into pool_probe select i, repeat(md5(i::text), 24) from generate_series(1, 30000) as i;`);
    const sums = await client.query<{ n: number; total: string; first: string }>(
      "select count(*)::int as n, sum(length(body))::text as total, (select body from pool_probe where id = 1) as first from pool_probe",
    );
    expect(sums.rows).toEqual([
      {
        n: 30000,
        total: String(30000 * 32 * 24),
        first: "c4ca4238a0b923820dcc509a6f75849b".repeat(24),
      },
    ]);
    // Again, with a full pool: what is given back now is zeros only, and the data reads the same.
    db.discardZeroPages!();
    const intact = await client.query<{ n: number; sum: string }>(
      "select count(*)::int as n, sum(id)::text as sum from pool_probe where body = repeat(md5(id::text), 24)",
    );
    expect(intact.rows).toEqual([{ n: 30000, sum: String((30000 * 30001) / 2) }]);
  } finally {
    await db.close();
  }
});

test("PostgreSQL has no such memory to give back", async () => {
  const db = await connectDatabase({ kind: "postgres", url: "postgres://127.0.0.1:1/none" });
  expect(db.discardZeroPages).toBeUndefined();
  await db.close();
});
