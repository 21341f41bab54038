/**
 * `bun run catalog:outdated [--json | --markdown] [--today=YYYY-MM-DD]`: every built-in entry's pin, when it was
 * last verified, its known end of support and where to check, then its sidecar images (databases, caches …)
 * with theirs; the stalest first, so a maintainer can refresh the catalog in one sitting. `--markdown` prints
 * the same facts as one table (docs/catalog.md keeps a copy).
 */

import { type OutdatedRow, outdatedReport, STALE_AFTER_DAYS } from "../src/features/catalog/catalog.lint.ts";
import { loadBuiltinCatalog } from "../src/features/catalog/catalog.loader.ts";

const args = process.argv.slice(2);
const today = args.find((a) => a.startsWith("--today="))?.slice(8) ?? new Date().toISOString().slice(0, 10);
const rows = outdatedReport(
  loadBuiltinCatalog().entries.map((l) => l.entry),
  today,
);

/** The earliest end of support among the app and its sidecars: when the entry next needs attention. */
function nextEol(r: OutdatedRow): string | null {
  const dates = [r.eol, ...r.sidecars.map((s) => s.eol)].filter((d): d is string => d !== null);
  return dates.sort()[0] ?? null;
}

function flag(r: OutdatedRow): string {
  const eol = nextEol(r);
  if (eol !== null && eol < today) return "OUT OF SUPPORT";
  if (r.age_days > STALE_AFTER_DAYS) return "stale";
  if (r.sidecars.some((s) => s.source === null)) return "sidecar not recorded";
  return "";
}

if (args.includes("--json")) {
  console.log(JSON.stringify(rows, null, 2));
} else if (args.includes("--markdown")) {
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  console.log("| App | Pin | Sidecars | Verified | End of support | Policy | Source |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of [...rows].sort((a, b) => a.id.localeCompare(b.id))) {
    const sidecars = r.sidecars.map((s) => `\`${s.image}\``).join("<br>") || "-";
    const eols = [
      r.eol ? `${r.eol}` : null,
      ...r.sidecars.filter((s) => s.eol).map((s) => `${s.image.split(":")[0]}: ${s.eol}`),
    ].filter(Boolean);
    console.log(
      `| ${r.id} | ${cell(r.version)} | ${cell(sidecars)} | ${r.verified} | ${cell(eols.join("<br>") || "-")} | ${r.policy} | ${r.source} |`,
    );
  }
} else {
  const pad = (s: string, n: number) => (n === 0 ? s : s.length >= n ? `${s} ` : s.padEnd(n));
  const head = (cols: [string, number][]) => cols.map(([s, n]) => pad(s, n)).join("");
  const widths = { app: 21, pin: 16, verified: 12, age: 6, eol: 12, policy: 12 };
  console.log(
    head([
      ["APP", widths.app],
      ["PIN", widths.pin],
      ["VERIFIED", widths.verified],
      ["AGE", widths.age],
      ["EOL", widths.eol],
      ["POLICY", widths.policy],
      ["SOURCE", 0],
    ]),
  );
  const indent = " ".repeat(widths.app);
  for (const r of rows) {
    const status = flag(r);
    console.log(
      head([
        [r.id, widths.app],
        [r.version, widths.pin],
        [r.verified, widths.verified],
        [String(r.age_days), widths.age],
        [r.eol ?? "-", widths.eol],
        [r.policy, widths.policy],
        [`${r.source}${status ? `  [${status}]` : ""}`, 0],
      ]),
    );
    const sidecars = new Set(r.sidecars.map((s) => s.image));
    for (const image of new Set(r.images.filter((i) => !sidecars.has(i))))
      console.log(`${indent}image    ${image}`);
    for (const s of r.sidecars) {
      console.log(
        `${indent}sidecar  ${pad(s.image, 48)}${pad(`eol ${s.eol ?? "-"}`, 16)}${s.source ?? "NOT RECORDED (pin.sidecars)"}`,
      );
    }
    if (r.note) console.log(`${indent}note     ${r.note}`);
  }
  const stale = rows.filter((r) => r.age_days > STALE_AFTER_DAYS).length;
  const out = rows.filter((r) => flag(r) === "OUT OF SUPPORT").length;
  const sidecars = rows.flatMap((r) => r.sidecars);
  const unrecorded = sidecars.filter((s) => s.source === null).length;
  console.log(
    `\n${rows.length} entries (${today}): ${out} out of support, ${stale} not verified in the last ${STALE_AFTER_DAYS} days; ` +
      `${sidecars.length} sidecar images, ${unrecorded} without a recorded source.`,
  );
}
