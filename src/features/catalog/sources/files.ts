/**
 * The files of one store, as read from an archive or a directory: relative paths → bytes. Only the files an
 * importer reads carry their bytes; every other regular file is listed with an empty body, so an importer
 * can tell what the store ships (files it copies into an app's data directory).
 */
export type StoreFiles = ReadonlyMap<string, Uint8Array>;

const decoder = new TextDecoder("utf-8", { fatal: false });

export function textOf(files: StoreFiles, path: string): string | undefined {
  const body = files.get(path);
  return body === undefined ? undefined : decoder.decode(body);
}

/** The names of the directories directly under `dir` ("" for the top) that hold `file`. */
export function appDirs(files: StoreFiles, dir: string, file: string): string[] {
  const prefix = dir ? `${dir}/` : "";
  const out = new Set<string>();
  for (const path of files.keys()) {
    if (!path.startsWith(prefix)) continue;
    const rest = path.slice(prefix.length).split("/");
    if (rest.length === 2 && rest[1] === file && rest[0]) out.add(rest[0]);
  }
  return [...out].sort();
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/**
 * A store's logo is shown as a 2–4 rem icon in a grid of hundreds: one larger than this is not taken (the
 * entry gets its app's brand mark or a letter tile). Proximity has no image scaler, and Runtipi's logos
 * (median 20 KB) would otherwise weigh more than the whole catalog page's budget (docs/performance.md).
 */
export const MAX_ICON_BYTES = 8 * 1024;

/**
 * The first of `candidates` that is a real PNG or JPEG (checked by its signature) of at most 256 KiB. A
 * store's SVG is not taken: an SVG may carry script, and icons are served from Proximity's own origin.
 */
export function iconIn(
  files: StoreFiles,
  candidates: string[],
): { ext: "png" | "jpg"; body: Uint8Array } | undefined {
  for (const path of candidates) {
    const body = files.get(path);
    if (!body || body.length > MAX_ICON_BYTES) continue;
    if (PNG_MAGIC.every((b, i) => body[i] === b)) return { ext: "png", body };
    if (body[0] === 0xff && body[1] === 0xd8 && body[2] === 0xff) return { ext: "jpg", body };
  }
  return undefined;
}

/** Placeholders that only keep an empty directory in git: no content. */
const PLACEHOLDER = /(^|\/)\.(gitkeep|keep|gitignore)$/;

/** What the store ships at a path of an app's data directory (which its platform copies there at install). */
export type Seed =
  | { kind: "none" }
  | { kind: "file"; path: string; body: Uint8Array }
  | { kind: "dir"; files: { path: string; rel: string; body: Uint8Array }[] };

/**
 * What the store ships at `path` (a path in the store, e.g. `apps/x/data/config`): the file itself, the
 * files under it (`rel` relative to it), or nothing. Bodies are those the archive kept (archive.ts `isSeed`).
 */
export function seedAt(files: StoreFiles, path: string): Seed {
  const clean = path.replace(/\/+$/, "");
  if (!clean) return { kind: "none" };
  const exact = files.get(clean);
  if (exact !== undefined) return { kind: "file", path: clean, body: exact };
  const prefix = `${clean}/`;
  const under: { path: string; rel: string; body: Uint8Array }[] = [];
  for (const [p, body] of files) {
    if (p.startsWith(prefix) && !PLACEHOLDER.test(p))
      under.push({ path: p, rel: p.slice(prefix.length), body });
  }
  return under.length > 0
    ? { kind: "dir", files: under.sort((a, b) => a.rel.localeCompare(b.rel)) }
    : { kind: "none" };
}
