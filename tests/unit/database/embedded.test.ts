/**
 * The embedded database after the memory tuning: directories written by the previous default (PGlite's own
 * settings, initdb in-process) still open with their data; new ones are initialised by a child process.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { connectDatabase } from "../../../src/db/connect.ts";
import { migrate } from "../../../src/db/migrate.ts";
import { migrations } from "../../../src/db/migrations.ts";
import { loadPgliteAssets } from "../../../src/db/pglite-assets.ts";
import { isInitialised } from "../../../src/db/pglite-init.ts";
import { rowsOf } from "../../../src/db/rows.ts";

setDefaultTimeout(240_000);

const root = mkdtempSync(join(tmpdir(), "proximity-embedded-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("embedded database", () => {
  test("a data directory written with PGlite's default settings opens with its data and migrates", async () => {
    const dir = join(root, "old-default");
    // What the previous release did: initdb in this process, PGlite's default settings, the first migrations.
    const old = await PGlite.create(dir, { ...(await loadPgliteAssets()) });
    await old.exec(
      "create table proximity_migrations (tag text primary key, hash text not null, applied_at timestamptz not null default now())",
    );
    await old.close();
    const first = await connectDatabase({ kind: "pglite", dataDir: dir });
    await migrate(first.db, migrations.slice(0, 4));
    await first.db.execute(sql`insert into settings (key, value) values ('registration', '"open"'::jsonb)`);
    await first.close();

    const reopened = await connectDatabase({ kind: "pglite", dataDir: dir });
    try {
      const { applied } = await migrate(reopened.db);
      expect(applied).toEqual(migrations.slice(4).map((m) => m.tag));
      const rows = rowsOf<{ value: unknown }>(
        await reopened.db.execute(sql`select value from settings where key = 'registration'`),
      );
      expect(rows).toEqual([{ value: "open" }]);
      const shared = rowsOf<{ shared_buffers: string }>(await reopened.db.execute(sql`show shared_buffers`));
      expect(shared[0]!.shared_buffers).toBe("8MB");
    } finally {
      await reopened.close();
    }
  });

  test("a new data directory is initialised by a child process, then opened and migrated", async () => {
    const dir = join(root, "fresh");
    expect(isInitialised(dir)).toBe(false);
    const db = await connectDatabase({ kind: "pglite", dataDir: dir });
    try {
      expect(isInitialised(dir)).toBe(true);
      expect((await migrate(db.db)).applied).toHaveLength(migrations.length);
      await db.ping();
    } finally {
      await db.close();
    }
  });
});
