/**
 * `bun run db:image` → src/db/image/pgdata.tar.gz and manifest.json: a PGlite data directory initialised and
 * migrated now, which a first start unpacks instead of running initdb (src/db/pglite-image.ts). Run it after
 * adding migrations (an older image still works: the newer migrations run on top at start); `bun run build`
 * runs it when the image lacks a migration, so the binary's image is always current.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectDatabase } from "../src/db/connect.ts";
import { migrate } from "../src/db/migrate.ts";
import { migrations } from "../src/db/migrations.ts";
import { type ImageManifest, packImage } from "../src/db/pglite-image.ts";
import { initDataDir } from "../src/db/pglite-init.ts";

const IMAGE_DIR = new URL("../src/db/image/", import.meta.url).pathname;
export const IMAGE_PATH = join(IMAGE_DIR, "pgdata.tar.gz");
export const MANIFEST_PATH = join(IMAGE_DIR, "manifest.json");

/** The manifest of the image in the tree, or undefined when there is none. */
export function currentManifest(): ImageManifest | undefined {
  try {
    return JSON.parse(readFileSync(MANIFEST_PATH, "utf8")) as ImageManifest;
  } catch {
    return undefined;
  }
}

/** True when the image in the tree holds every migration of the code. */
export function imageIsCurrent(): boolean {
  const manifest = currentManifest();
  return !!manifest && migrations.every((m, i) => manifest.migrations[i] === m.tag);
}

export async function buildEmbeddedDbImage(): Promise<{ bytes: number; ms: number }> {
  const started = performance.now();
  const root = mkdtempSync(join(tmpdir(), "proximity-db-image-"));
  const dataDir = join(root, "pglite");
  try {
    await initDataDir(dataDir);
    const database = await connectDatabase({ kind: "pglite", dataDir }, { initInChild: false, image: null });
    try {
      await migrate(database.db);
    } finally {
      await database.close(); // a clean shutdown: the image opens without recovery
    }
    const archive = await packImage(dataDir);
    const manifest: ImageManifest = {
      postgres: readFileSync(join(dataDir, "PG_VERSION"), "utf8").trim(),
      migrations: migrations.map((m) => m.tag),
    };
    writeFileSync(IMAGE_PATH, archive);
    writeFileSync(MANIFEST_PATH, `${JSON.stringify(manifest, null, 2)}\n`);
    return { bytes: archive.length, ms: performance.now() - started };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { bytes, ms } = await buildEmbeddedDbImage();
  console.log(
    `Wrote ${IMAGE_PATH} (${(bytes / 1024 / 1024).toFixed(1)} MiB, ${migrations.length} migrations) in ${Math.round(ms)} ms`,
  );
}
