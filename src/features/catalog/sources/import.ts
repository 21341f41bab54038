/**
 * A store's files → the report of every app in it: imported (with the entry) or refused (with reasons).
 * The format is detected from the layout unless the source names it.
 */
import { runtime } from "../../../core/runtime/index.ts";
import { readCasaos } from "./casaos.ts";
import { appDirs, type StoreFiles } from "./files.ts";
import type { ImportedEntry, StoreApp, StoreFormat, StoreRead } from "./model.ts";
import { slugOf } from "./parts.ts";
import { readRuntipi } from "./runtipi.ts";
import { cpuImagesOf, translate } from "./translate.ts";
import { readUmbrel } from "./umbrel.ts";

/** The store format of a file tree, or undefined when it is none of the three. */
export function detectFormat(files: StoreFiles): StoreFormat | undefined {
  if (appDirs(files, "apps", "config.json").length > 0) return "runtipi";
  if (appDirs(files, "Apps", "docker-compose.yml").length > 0) return "casaos";
  if (appDirs(files, "", "umbrel-app.yml").length > 0) return "umbrel";
  return undefined;
}

const READERS: Record<StoreFormat, (files: StoreFiles) => StoreRead[]> = {
  runtipi: readRuntipi,
  casaos: readCasaos,
  umbrel: readUmbrel,
};

/** Apps translated between two non-blocking collections (what each leaves behind is garbage at once). */
const GC_EVERY = 64;

export interface StoreImport {
  format: StoreFormat;
  entries: ImportedEntry[];
}

/**
 * Translate every app of a store. One app's failure (even an exception in a reader) is that app's refusal;
 * it never stops the others.
 */
export function importStore(files: StoreFiles, source: string, format: StoreFormat): StoreImport {
  const entries: ImportedEntry[] = [];
  const ids = new Set<string>();
  const apps = READERS[format](files);
  // The images the store runs without a GPU: an app's GPU variant of one of them runs without it (gpu.ts).
  const store = { cpuImages: cpuImagesOf(apps.filter((a): a is StoreApp => !("refusal" in a))) };
  for (const app of apps) {
    let result: ImportedEntry;
    if ("refusal" in app) {
      result = {
        id: `${source}/${slugOf(app.appId)}`,
        name: app.name.slice(0, 80),
        status: "refused",
        reasons: [app.refusal],
      };
    } else {
      try {
        result = translate(app, source, store);
      } catch (err) {
        result = {
          id: `${source}/${slugOf(app.appId)}`,
          name: app.name.slice(0, 80),
          status: "refused",
          reasons: [`cannot be translated: ${(err as Error).message.split("\n")[0]}`],
        };
      }
    }
    if (ids.has(result.id)) {
      result = {
        id: result.id,
        name: result.name,
        status: "refused",
        reasons: [`another app of the store has the id ${result.id}`],
      };
    } else ids.add(result.id);
    entries.push(result);
    if (entries.length % GC_EVERY === 0) runtime.collectGarbageSoon();
  }
  return { format, entries };
}
