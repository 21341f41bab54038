/** The fixture stores of tests/fixtures/stores, one a format, and which of their apps import. */
import { join } from "node:path";

export const STORE_FIXTURES = join(import.meta.dir, "../fixtures/stores");

/** The apps of each fixture store that import; its other apps are refused (the tests say why). */
const IMPORTED = {
  runtipi: ["dyndns", "kvstore", "legacy-wiki", "notepad", "rolling", "seeded", "templated", "wikidb"],
  casaos: ["davshare", "diskshare", "gpubox", "headless", "mediabox", "pastebin", "securenotes", "webfront"],
  umbrel: ["ledger", "notes-app", "photo-frame", "welcome-page"],
} as const;

/** The catalog ids the imported apps of a fixture store get under a source named `source`, sorted. */
export function importedIds(format: keyof typeof IMPORTED, source: string): string[] {
  return IMPORTED[format].map((app) => `${source}/${app}`);
}
