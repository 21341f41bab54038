/** Opens a PGlite data directory with the given settings and prints RSS after GC (bench/footprint.ts). */
import { PGlite } from "@electric-sql/pglite";
import { loadPgliteAssets } from "../../src/db/pglite-assets.ts";

const dir = process.argv[2]!;
const conf = process.argv.slice(3);
const t0 = performance.now();
const db = await PGlite.create(dir, {
  ...(await loadPgliteAssets()),
  ...(conf.length ? { postgresqlconf: conf } : {}),
});
await db.query("select 1");
const ms = performance.now() - t0;
Bun.gc(true);
await Bun.sleep(500);
Bun.gc(true);
console.log(JSON.stringify({ ms: Math.round(ms), rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20) }));
await db.close();
