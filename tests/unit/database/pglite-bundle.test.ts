/**
 * PGlite's file bundle once PostgreSQL runs (src/db/pglite-bundle.ts): the buffer is freed, the files a
 * running server may open read exactly as before, the others are gone — and Proximity's database work
 * (migrations with plpgsql triggers, NOTIFY, time zones) runs on such an instance.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Extension, PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import { connectDatabase } from "../../../src/db/connect.ts";
import { migrate } from "../../../src/db/migrate.ts";
import { loadPgliteAssets } from "../../../src/db/pglite-assets.ts";
import { neededOnceStarted, trimmableBundle } from "../../../src/db/pglite-bundle.ts";
import { EMBEDDED_SETTINGS } from "../../../src/db/pglite-init.ts";
import { rowsOf } from "../../../src/db/rows.ts";

setDefaultTimeout(120_000);

interface ProbeFs {
  readdir(path: string): string[];
  stat(path: string): { mode: number };
  isDir(mode: number): boolean;
  readFile(path: string): Uint8Array;
  analyzePath(path: string): { exists: boolean };
}

/** Reaches the instance's in-memory file system the way the trim does (an extension's preRun). */
function fsProbe(): { extension: Extension; fs: () => ProbeFs } {
  let fs: ProbeFs | undefined;
  return {
    extension: {
      name: "test-fs-probe",
      setup: async (_pg, opts) => ({
        emscriptenOpts: {
          ...opts,
          preRun: [
            ...(opts.preRun ?? []),
            (mod: { FS: ProbeFs }) => {
              fs = mod.FS;
            },
          ],
        },
      }),
    },
    fs: () => fs!,
  };
}

/** Every regular file below `dir` with its bytes. */
function filesBelow(fs: ProbeFs, dir: string, out = new Map<string, Uint8Array>()): Map<string, Uint8Array> {
  for (const name of fs.readdir(dir)) {
    if (name === "." || name === "..") continue;
    const path = `${dir}/${name}`;
    if (fs.isDir(fs.stat(path).mode)) filesBelow(fs, path, out);
    else out.set(path, fs.readFile(path).slice());
  }
  return out;
}

const root = mkdtempSync(join(tmpdir(), "proximity-bundle-"));
const dataDir = join(root, "data");
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  // An existing data directory, as a server finds it on every start but the first.
  const db = await connectDatabase({ kind: "pglite", dataDir });
  await migrate(db.db);
  await db.close();
});

describe("PGlite's file bundle", () => {
  test("once started, the buffer is freed; kept files read as before, the others are gone", async () => {
    const assets = await loadPgliteAssets({ initdb: false });
    const plain = fsProbe();
    const before = await PGlite.create(dataDir, {
      ...assets,
      postgresqlconf: EMBEDDED_SETTINGS,
      extensions: { probe: plain.extension },
    });
    const original = new Map([...filesBelow(plain.fs(), "/pglite"), ...filesBelow(plain.fs(), "/home")]);
    await before.close();
    // What the bundle holds today: the list below must meet both sides.
    expect(original.has("/pglite/lib/postgresql/plpgsql.so")).toBe(true);
    expect(original.has("/pglite/share/postgresql/postgres.bki")).toBe(true);

    const bundle = await trimmableBundle(assets.fsBundle);
    const held = bundle.fsBundle.size;
    expect(held).toBeGreaterThan(1_000_000);
    const probe = fsProbe();
    const pg = await PGlite.create(dataDir, {
      ...assets,
      fsBundle: bundle.fsBundle,
      postgresqlconf: EMBEDDED_SETTINGS,
      extensions: { trim: bundle.extension, probe: probe.extension },
    });
    try {
      const report = bundle.trim();
      // Detached: nothing can read the buffer any more, so no file may still be a view of it.
      expect(bundle.fsBundle.size).toBe(0);
      expect(report.freedBytes).toBe(held);
      const fs = probe.fs();
      let kept = 0;
      let removed = 0;
      for (const [path, bytes] of original) {
        if (path.startsWith("/pglite/data/")) continue;
        if (neededOnceStarted(path)) {
          kept++;
          expect({ path, same: Buffer.from(fs.readFile(path)).equals(Buffer.from(bytes)) }).toEqual({
            path,
            same: true,
          });
        } else {
          removed++;
          expect({ path, exists: fs.analyzePath(path).exists }).toEqual({ path, exists: false });
        }
      }
      expect(report.removed).toBe(removed);
      expect(report.kept).toBe(kept);
      expect(report.keptBytes).toBeLessThan(held / 4);

      // Files opened only now, after the trim: plpgsql's library, a time zone.
      await pg.exec(
        "create function bundle_probe() returns int language plpgsql as $$ begin return 7; end $$",
      );
      const rows = await pg.query<{ n: number; paris: string }>(
        "select bundle_probe() as n, (timestamptz '2026-07-01 12:00:00+00' at time zone 'Europe/Paris')::text as paris",
      );
      expect(rows.rows).toEqual([{ n: 7, paris: "2026-07-01 14:00:00" }]);
    } finally {
      await pg.close();
    }
  });

  test("a server's connection runs on the trimmed bundle: notifying triggers, time zones, no stemmers", async () => {
    const db = await connectDatabase({ kind: "pglite", dataDir });
    try {
      expect((await migrate(db.db)).applied).toEqual([]);
      if (db.raw.kind !== "pglite") throw new Error("expected PGlite");
      const client = db.raw.client;
      const heard: string[] = [];
      await client.listen("bundle_probe", (payload) => heard.push(payload));
      // A plpgsql trigger function that notifies, as the migrations' session and rotation triggers do.
      await client.exec(`
        create table bundle_probe_t (v text);
        create function bundle_probe_notify() returns trigger language plpgsql as $$
          begin perform pg_notify('bundle_probe', new.v); return new; end $$;
        create trigger bundle_probe_trg after insert on bundle_probe_t
          for each row execute function bundle_probe_notify();
        insert into bundle_probe_t values ('hello');`);
      await Bun.sleep(50);
      expect(heard).toEqual(["hello"]);
      const utc = rowsOf<{ t: string }>(
        await db.db.execute(
          sql`select to_char(timestamptz '2026-12-07 16:00:00+01' at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as t`,
        ),
      );
      expect(utc).toEqual([{ t: "2026-12-07T15:00:00.000Z" }]);
      // The default text search configuration needs no bundle file; the snowball stemmers were dropped,
      // and asking for one fails loudly rather than reading an empty file.
      const simple = rowsOf<{ v: string }>(
        await db.db.execute(sql`select to_tsvector('The cats')::text as v`),
      );
      expect(simple).toEqual([{ v: "'cats':2 'the':1" }]);
      await expect(client.query("select to_tsvector('english', 'cats')")).rejects.toThrow(/dict_snowball/);
    } finally {
      await db.close();
    }
  });
});
