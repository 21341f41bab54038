/**
 * `bun run catalog:lint [dir …]`: validates the built-in catalog (and any operator directories given) with the
 * same rules the server applies at load, plus the maintenance checks (an end of support that has passed is an
 * error; a pin not checked for a long time is a warning). Exits 1 on any error. `--today=YYYY-MM-DD` overrides
 * the date (tests).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { lintCatalogFiles } from "../src/features/catalog/catalog.lint.ts";

const ENTRIES_DIR = join(import.meta.dir, "../src/features/catalog/entries");
const args = process.argv.slice(2);
const today = args.find((a) => a.startsWith("--today="))?.slice(8) ?? new Date().toISOString().slice(0, 10);
const dirs = args.filter((a) => !a.startsWith("--"));

function yamlFiles(dir: string): [string, string][] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => [join(dir, f), readFileSync(join(dir, f), "utf8")]);
}

const files = [...(dirs.length ? [] : yamlFiles(ENTRIES_DIR)), ...dirs.flatMap(yamlFiles)];
const { entries, findings } = lintCatalogFiles(files, today);
for (const f of findings) console.log(`${f.level === "error" ? "error" : "warn "} ${f.file}: ${f.message}`);
const errors = findings.filter((f) => f.level === "error").length;
const warnings = findings.length - errors;
console.log(
  `catalog:lint: ${files.length} files, ${entries.length} valid, ${errors} errors, ${warnings} warnings`,
);
process.exit(errors > 0 ? 1 : 0);
