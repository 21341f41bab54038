/**
 * Loading catalog files.
 *
 * Built-in entries come from `./apps/index.ts`, which imports every YAML file as text, so they are embedded in
 * a `bun build --compile` binary and nothing is read from `src/features/catalog/entries` at run time.
 *
 * The operator may add or replace apps with `*.yaml` / `*.yml` files in an optional directory
 * (`$DATA_DIR/catalog`). They are validated exactly like the built-ins. An operator file whose id equals a
 * built-in id replaces that built-in (so an operator can pin another image tag or change defaults without
 * rebuilding); the override is logged. An operator entry's `icon` may name an .svg or .png file beside its
 * YAML, which becomes the app's icon. An invalid file — built-in or operator — is skipped with one log line
 * naming the file and its first validation issue; it never stops the others from loading.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { log as processLog } from "../../core/log.ts";
import { type CatalogEntry, ICON_FILE_PATTERN } from "./catalog.schemas.ts";
import { BUILTIN_CATALOG_FILES } from "./entries/index.ts";
import { parseCatalogFile } from "./entry-rules.ts";
import { shippedYaml, strictYaml, type YamlParser } from "./yaml-parsers.ts";

export type CatalogLog = (message: string) => void;

/** Where an entry comes from: shipped, the operator's directory, or a third-party store (sources/). */
export type CatalogSource = "builtin" | "operator" | "store";

export interface LoadedEntry {
  entry: CatalogEntry;
  source: CatalogSource;
  file: string;
  /** For a store's entry: the source's name (its ids' namespace). */
  store?: string;
  /** The icon file an operator entry names beside its YAML, read and checked. */
  icon?: { ext: "svg" | "png" | "jpg"; body: Uint8Array };
}

export interface SkippedFile {
  file: string;
  reason: string;
}

export interface LoadResult {
  entries: LoadedEntry[];
  skipped: SkippedFile[];
}

const CATALOG_EXTENSIONS = new Set([".yaml", ".yml"]);

/** Where skipped files are reported unless the caller collects them: a warning in the process log. */
export const warnInLog: CatalogLog = (line) => processLog.warn(line);

function loadTexts(
  files: Iterable<[file: string, text: string]>,
  source: CatalogSource,
  log: CatalogLog,
  parse: YamlParser = strictYaml,
): LoadResult {
  const entries: LoadedEntry[] = [];
  const skipped: SkippedFile[] = [];
  for (const [file, text] of files) {
    const id = basename(file, extname(file));
    const result = parseCatalogFile(text, id, parse);
    if (result.ok) {
      entries.push({ entry: result.entry, source, file });
    } else {
      const reason = result.issues[0] ?? "invalid";
      const more = result.issues.length > 1 ? ` (and ${result.issues.length - 1} more)` : "";
      log(`catalog: skipping ${source} file ${file}: ${reason}${more}`);
      skipped.push({ file, reason });
    }
  }
  return { entries, skipped };
}

/** Validate the embedded built-in files (synchronous: they are already in memory). */
export function loadBuiltinCatalog(
  log: CatalogLog = warnInLog,
  files: Readonly<Record<string, string>> = BUILTIN_CATALOG_FILES,
): LoadResult {
  // Shipped files only: the fast parser (yaml-parsers.ts); an operator's files get the strict one.
  return loadTexts(
    Object.entries(files),
    "builtin",
    log,
    files === BUILTIN_CATALOG_FILES ? shippedYaml : strictYaml,
  );
}

/**
 * Validate the operator's directory. A missing directory is normal (nothing to load); an unreadable one or an
 * unreadable file is logged and skipped. Files are read in name order; subdirectories and other extensions
 * are ignored. The reported `file` is the path as found on disk.
 */
export async function loadOperatorCatalog(dir: string, log: CatalogLog = warnInLog): Promise<LoadResult> {
  let names: string[];
  try {
    const dirents = await readdir(dir, { withFileTypes: true });
    names = dirents
      .filter((d) => d.isFile() && CATALOG_EXTENSIONS.has(extname(d.name).toLowerCase()))
      .map((d) => d.name)
      .sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { entries: [], skipped: [] };
    log(`catalog: cannot read operator catalog directory ${dir}: ${(err as Error).message}`);
    return { entries: [], skipped: [{ file: dir, reason: `cannot read directory: ${code ?? "error"}` }] };
  }
  const texts: [string, string][] = [];
  const skipped: SkippedFile[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      texts.push([path, await readFile(path, "utf8")]);
    } catch (err) {
      const reason = `cannot read file: ${(err as Error).message}`;
      log(`catalog: skipping operator file ${path}: ${reason}`);
      skipped.push({ file: path, reason });
    }
  }
  const result = loadTexts(texts, "operator", log);
  // Two operator files with the same id (x.yaml and x.yml): the first by name wins, the other is skipped.
  const seen = new Set<string>();
  const entries: LoadedEntry[] = [];
  for (const loaded of result.entries) {
    if (seen.has(loaded.entry.id)) {
      const reason = `duplicate id "${loaded.entry.id}" (already defined by another operator file)`;
      log(`catalog: skipping operator file ${loaded.file}: ${reason}`);
      skipped.push({ file: loaded.file, reason });
      continue;
    }
    seen.add(loaded.entry.id);
    entries.push(loaded);
  }
  for (const loaded of entries) {
    const icon = await readIconFile(dir, loaded, log);
    if (icon) loaded.icon = icon;
  }
  return { entries, skipped: [...skipped, ...result.skipped] };
}

/** Icons are small: a larger file is refused (the entry keeps a generated icon). */
export const MAX_ICON_BYTES = 256 * 1024;
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The icon file an operator entry names (`icon: my-app.svg`), from beside its YAML. A missing, oversized
 * or malformed file is logged and the entry keeps its generated icon: a bad icon never hides an app.
 */
async function readIconFile(
  dir: string,
  loaded: LoadedEntry,
  log: CatalogLog,
): Promise<LoadedEntry["icon"] | undefined> {
  const name = loaded.entry.icon;
  if (!ICON_FILE_PATTERN.test(name)) return undefined; // an http(s) URL: not a file of ours
  const ext = extname(name).slice(1).toLowerCase() as "svg" | "png";
  const path = join(dir, name);
  const refuse = (why: string) => {
    log(`catalog: operator file ${loaded.file}: icon ${path} ${why}; using a generated icon`);
    return undefined;
  };
  let body: Uint8Array;
  try {
    const info = await stat(path);
    if (!info.isFile()) return refuse("is not a file");
    if (info.size > MAX_ICON_BYTES) return refuse(`is larger than ${MAX_ICON_BYTES / 1024} KiB`);
    body = new Uint8Array(await readFile(path));
  } catch (err) {
    return refuse(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (ext === "png" && !PNG_MAGIC.every((b, i) => body[i] === b)) return refuse("is not a PNG image");
  if (ext === "svg" && !/<svg[\s>]/.test(new TextDecoder().decode(body.subarray(0, 4096))))
    return refuse("is not an SVG image");
  return { ext, body };
}
