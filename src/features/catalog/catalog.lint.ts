/**
 * The catalog's maintenance checks, on top of the schema (which already refuses an entry that breaks a rule,
 * at load time too): pins whose upstream support has ended, pins nobody has checked for a long time, and the
 * facts `catalog:outdated` prints so a maintainer can refresh every pin in one sitting.
 */
import type { CatalogEntry } from "./catalog.schemas.ts";
import { composeImages, sidecarImagesOf } from "./compose-policy.ts";
import { parseCatalogFile } from "./entry-rules.ts";

/** A pin not checked against its source for this long is reported (a warning, not an error). */
export const STALE_AFTER_DAYS = 120;

export interface LintFinding {
  file: string;
  level: "error" | "warning";
  message: string;
}

export interface LintReport {
  entries: CatalogEntry[];
  findings: LintFinding[];
}

const DAY_MS = 86_400_000;

/** Whole days from `from` to `to` (ISO dates). */
function daysBetween(from: string, to: string): number {
  return Math.floor((Date.parse(to) - Date.parse(from)) / DAY_MS);
}

/** Lint catalog files (file name → YAML text) as of `today` (YYYY-MM-DD). */
export function lintCatalogFiles(files: Iterable<[file: string, text: string]>, today: string): LintReport {
  const entries: CatalogEntry[] = [];
  const findings: LintFinding[] = [];
  for (const [file, text] of files) {
    const id = (file.split("/").at(-1) ?? file).replace(/\.ya?ml$/, "");
    const result = parseCatalogFile(text, id);
    if (!result.ok) {
      for (const message of result.issues) findings.push({ file, level: "error", message });
      continue;
    }
    const { entry } = result;
    entries.push(entry);
    if (entry.pin.eol !== undefined && entry.pin.eol < today) {
      findings.push({
        file,
        level: "error",
        message: `pin.eol: ${entry.name} ${entry.version} is out of upstream support since ${entry.pin.eol}: update the pin (${entry.pin.source})`,
      });
    }
    for (const sidecar of entry.pin.sidecars ?? []) {
      if (sidecar.eol !== undefined && sidecar.eol < today) {
        findings.push({
          file,
          level: "error",
          message: `pin.sidecars: ${sidecar.image} is out of upstream support since ${sidecar.eol}: update it (${sidecar.source})`,
        });
      }
    }
    const recorded = new Set((entry.pin.sidecars ?? []).map((s) => s.image));
    for (const image of sidecarImagesOf(entry)) {
      if (!recorded.has(image)) {
        findings.push({
          file,
          level: "warning",
          message: `pin.sidecars: ${image} does not carry version ${entry.version}; record where its tag was checked`,
        });
      }
    }
    const age = daysBetween(entry.pin.verified, today);
    if (age > STALE_AFTER_DAYS) {
      findings.push({
        file,
        level: "warning",
        message: `pin.verified: last checked ${age} days ago (${entry.pin.verified}); check ${entry.pin.source}`,
      });
    }
  }
  return { entries, findings };
}

export interface OutdatedSidecar {
  image: string;
  source: string | null;
  eol: string | null;
  note: string | null;
}

export interface OutdatedRow {
  id: string;
  version: string;
  images: string[];
  /** The images that do not carry `version`, with where their tags were checked (null: not recorded). */
  sidecars: OutdatedSidecar[];
  verified: string;
  age_days: number;
  eol: string | null;
  policy: CatalogEntry["update_policy"];
  source: string;
  support: string | null;
  note: string | null;
}

/** One row per entry, the stalest first: what `catalog:outdated` prints. */
export function outdatedReport(entries: CatalogEntry[], today: string): OutdatedRow[] {
  return entries
    .map((e) => ({
      id: e.id,
      version: e.version,
      images: composeImages(e.compose),
      sidecars: sidecarImagesOf(e).map((image) => {
        const pin = e.pin.sidecars?.find((s) => s.image === image);
        return { image, source: pin?.source ?? null, eol: pin?.eol ?? null, note: pin?.note ?? null };
      }),
      verified: e.pin.verified,
      age_days: daysBetween(e.pin.verified, today),
      eol: e.pin.eol ?? null,
      policy: e.update_policy,
      source: e.pin.source,
      support: e.pin.support ?? null,
      note: e.pin.note ?? null,
    }))
    .sort((a, b) => b.age_days - a.age_days || a.id.localeCompare(b.id));
}
