/**
 * `bun run catalog:outdated [--json]`: each built-in entry's pin, when it was last verified, its known end of
 * support and where to check, the stalest first, so a maintainer can refresh the catalog in one sitting.
 */

import { outdatedReport, STALE_AFTER_DAYS } from "../src/features/catalog/catalog.lint.ts";
import { loadBuiltinCatalog } from "../src/features/catalog/catalog.loader.ts";

const today = new Date().toISOString().slice(0, 10);
const rows = outdatedReport(
  loadBuiltinCatalog().entries.map((l) => l.entry),
  today,
);
if (process.argv.includes("--json")) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(
    `${pad("app", 22)}${pad("pin", 16)}${pad("verified", 12)}${pad("age", 6)}${pad("eol", 12)}${pad("policy", 12)}source`,
  );
  for (const r of rows) {
    const flag = r.eol && r.eol < today ? " OUT OF SUPPORT" : r.age_days > STALE_AFTER_DAYS ? " stale" : "";
    console.log(
      `${pad(r.id, 22)}${pad(r.version, 16)}${pad(r.verified, 12)}${pad(String(r.age_days), 6)}${pad(r.eol ?? "-", 12)}${pad(r.policy, 12)}${r.source}${flag}`,
    );
    for (const image of r.images) console.log(`${" ".repeat(22)}${image}`);
    if (r.note) console.log(`${" ".repeat(22)}note: ${r.note}`);
  }
  const stale = rows.filter((r) => r.age_days > STALE_AFTER_DAYS).length;
  console.log(
    `\n${rows.length} entries; ${stale} not verified in the last ${STALE_AFTER_DAYS} days (${today}).`,
  );
}
