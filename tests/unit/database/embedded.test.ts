/**
 * The embedded database after the memory tuning: directories written by the previous default (PGlite's own
 * settings, initdb in-process) still open with their data; new ones are unpacked from the shipped image
 * (src/db/pglite-image.ts), or initialised by a child process when the image cannot be used.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { connectDatabase } from "../../../src/db/connect.ts";
import shippedManifest from "../../../src/db/image/manifest.json" with { type: "json" };
import { migrate } from "../../../src/db/migrate.ts";
import { migrations } from "../../../src/db/migrations.ts";
import { loadPgliteAssets } from "../../../src/db/pglite-assets.ts";
import { type ImageManifest, packImage } from "../../../src/db/pglite-image.ts";
import { isInitialised } from "../../../src/db/pglite-init.ts";
import { rowsOf } from "../../../src/db/rows.ts";

// About 3× the slowest test measured alone on the 2-core machine (66 s: initdb in a child process).
setDefaultTimeout(200_000);

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
      const slots = rowsOf<{ max_connections: string }>(await reopened.db.execute(sql`show max_connections`));
      expect(slots[0]!.max_connections).toBe("5");
    } finally {
      await reopened.close();
    }
  });

  test("a new data directory is initialised by a child process when the image is not an archive", async () => {
    const dir = join(root, "fresh");
    expect(isInitialised(dir)).toBe(false);
    const db = await connectDatabase(
      { kind: "pglite", dataDir: dir },
      { image: new TextEncoder().encode("not a tar archive") },
    );
    try {
      expect(db.created).toBe("initdb");
      expect(isInitialised(dir)).toBe(true);
      // Three migrations only: this directory becomes the "older image" of the next test.
      expect((await migrate(db.db, migrations.slice(0, 3))).applied).toHaveLength(3);
      await db.ping();
    } finally {
      await db.close();
    }
    expect(existsSync(`${dir}.unpacking`)).toBe(false);
  });

  test("an image older than the code is unpacked and the newer migrations run on top", async () => {
    const image = await packImage(join(root, "fresh"));
    const dir = join(root, "from-old-image");
    const db = await connectDatabase({ kind: "pglite", dataDir: dir }, { image });
    try {
      expect(db.created).toBe("image");
      expect((await migrate(db.db)).applied).toEqual(migrations.slice(3).map((m) => m.tag));
    } finally {
      await db.close();
    }
  });

  test("a new data directory is unpacked from the shipped image: no initdb, its migrations already there", async () => {
    const manifest: ImageManifest = shippedManifest;
    const dir = join(root, "from-shipped-image");
    const db = await connectDatabase({ kind: "pglite", dataDir: dir });
    try {
      expect(db.created).toBe("image");
      // Owner-only, and directories enterable, whatever modes the archive carries.
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, "base")).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, "PG_VERSION")).mode & 0o777).toBe(0o600);
      const recorded = rowsOf<{ tag: string }>(
        await db.db.execute(sql`select tag from proximity_migrations order by tag`),
      ).map((r) => r.tag);
      expect(recorded).toEqual(manifest.migrations);
      // An image that lags the code gets the rest on top; a current one needs nothing.
      const { applied } = await migrate(db.db);
      expect(applied).toEqual(migrations.map((m) => m.tag).filter((t) => !manifest.migrations.includes(t)));
      const shared = rowsOf<{ shared_buffers: string }>(await db.db.execute(sql`show shared_buffers`));
      expect(shared[0]!.shared_buffers).toBe("8MB");
    } finally {
      await db.close();
    }
    // Reopened like any existing directory.
    const again = await connectDatabase({ kind: "pglite", dataDir: dir });
    try {
      expect(again.created).toBeUndefined();
      expect((await migrate(again.db)).applied).toEqual([]);
    } finally {
      await again.close();
    }
  });
});
