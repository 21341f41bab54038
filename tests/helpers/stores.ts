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

/** Why the apps of the big report store are refused, and how many of each (the order of the report's groups). */
export const BIG_STORE_REFUSALS = [
  { label: "privileged (not allowed)", key: "privileged-not-allowed", count: 12 },
  { label: "a host path", key: "a-host-path", count: 8 },
  { label: "a host device", key: "a-host-device", count: 3 },
  { label: "deprecated by the store", key: "deprecated-by-the-store", count: 1 },
] as const;
/** How many apps of the big report store import. */
export const BIG_STORE_IMPORTED = 6;

/**
 * A Runtipi store of 30 apps written into `dir` (a report longer than a page): 6 import, 24 are refused for
 * BIG_STORE_REFUSALS. App ids sort in the report's order: `app-01` … `app-30`, the refused ones first.
 */
export async function writeBigStore(dir: string): Promise<void> {
  const kinds = [
    ...BIG_STORE_REFUSALS.flatMap((r) => Array.from({ length: r.count }, () => r.key)),
    ...Array.from({ length: BIG_STORE_IMPORTED }, () => "imported"),
  ];
  for (const [i, kind] of kinds.entries()) {
    const id = `app-${String(i + 1).padStart(2, "0")}`;
    const service: Record<string, unknown> = {
      name: id,
      image: `example/${id}:1.0.${i}`,
      isMain: true,
      internalPort: 8080,
      volumes: [{ hostPath: "${APP_DATA_DIR}/data", containerPath: "/data" }],
    };
    if (kind === "privileged-not-allowed") service.privileged = true;
    if (kind === "a-host-path") service.volumes = [{ hostPath: "/run/dbus", containerPath: "/run/dbus" }];
    if (kind === "a-host-device") service.devices = ["/dev/ttyUSB0:/dev/ttyUSB0"];
    const config = {
      name: `App ${String(i + 1).padStart(2, "0")}`,
      id,
      available: true,
      port: 9000 + i,
      version: `1.0.${i}`,
      categories: ["utilities"],
      description: `Report fixture ${i + 1}.`,
      author: "fixture",
      source: "https://example.org/report",
      form_fields: [],
      supported_architectures: ["amd64"],
      ...(kind === "deprecated-by-the-store" ? { deprecated: true } : {}),
    };
    await Bun.write(join(dir, "apps", id, "config.json"), JSON.stringify(config));
    await Bun.write(
      join(dir, "apps", id, "docker-compose.json"),
      JSON.stringify({ schemaVersion: 2, services: [service] }),
    );
  }
}
