/**
 * The files a store ships into an app's data directory, as files the entry ships (`files`, written into the
 * app's named volumes at its first deploy):
 *
 * - a data directory the store seeds (Runtipi's `apps/<id>/data/x`, Umbrel's `<id>/x`) becomes its volume
 *   with those files in it;
 * - a single file the store ships and mounts (`${APP_DATA_DIR}/x/nginx.conf:/etc/nginx/conf.d/nginx.conf`)
 *   becomes a file of the volume already mounted over its directory, or else of a volume of its own mounted
 *   at that directory (`files-<directory>`), when that directory is the app's to own: a volume there hides what the image has
 *   in it after an update (Docker copies it in once), so system and program directories (`/`, `/app`,
 *   `/usr/…`, `/etc` itself) keep the refusal;
 * - a template (`x.template`, which Runtipi fills in with the app's values at install) becomes the file `x`
 *   marked as a template (the deploy fills in each `{{NAME}}`); translate.ts maps its placeholders, and
 *   refuses a template that ships a fixed password (fixedPassword). Another store's template refuses the app.
 *
 * The files belong to the service's numeric `user` when it names one, else to 1000:1000 (the first user:
 * Umbrel runs its apps as it, and images that drop root mostly use it); scripts are executable.
 */
import { posix } from "node:path";
import type { CatalogFile } from "../catalog.schemas.ts";
import type { Seed } from "./files.ts";
import { volumeName } from "./parts.ts";

export type FileInput = Omit<CatalogFile, "encoding" | "mode" | "owner"> &
  Partial<Pick<CatalogFile, "encoding" | "mode" | "owner">>;

/** The owner a service's files get: its numeric `user` (`1000`, `1000:1000`), else the first user. */
export function ownerOf(svc: Record<string, unknown>): string {
  const m = /^(\d{1,10})(?::(\d{1,10}))?$/.exec(String(svc.user ?? ""));
  return m ? `${m[1]}:${m[2] ?? m[1]}` : "1000:1000";
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** One file as the entry ships it: text when it is UTF-8 without NUL, else base64. */
export function entryFile(volume: string, path: string, body: Uint8Array, owner: string): FileInput {
  let text: string | undefined;
  try {
    text = utf8.decode(body);
  } catch {
    text = undefined;
  }
  const script = path.endsWith(".sh") || (body[0] === 0x23 && body[1] === 0x21); // "#!"
  const mode = script ? "0755" : "0644";
  return text !== undefined && !text.includes("\0")
    ? { volume, path, content: text, encoding: "utf-8", mode, owner }
    : { volume, path, content: Buffer.from(body).toString("base64"), encoding: "base64", mode, owner };
}

const TEMPLATE_SUFFIX = ".template";

/** Why a template of a store whose template syntax Proximity does not render is refused. */
export function templateProblem(storePath: string): string {
  return `ships ${storePath}, a template the store fills in with its own values at install (Proximity does not)`;
}

/** A store file as the entry ships it: `x.template` becomes `x`, a template (UTF-8 text only). */
function shipped(
  volume: string,
  path: string,
  storePath: string,
  body: Uint8Array,
  owner: string,
): FileInput {
  if (!storePath.endsWith(TEMPLATE_SUFFIX)) return entryFile(volume, path, body, owner);
  const file = entryFile(
    volume,
    path.endsWith(TEMPLATE_SUFFIX) ? path.slice(0, -TEMPLATE_SUFFIX.length) : path,
    body,
    owner,
  );
  return { ...file, template: true };
}

/**
 * A credential key whose value the template writes as it is (not a placeholder): a password every install
 * of the store shares (dozzle's users.yml ships the SHA-256 of "password"). Returns the key, or undefined.
 */
export function fixedPassword(text: string): string | undefined {
  const line =
    /["']?([A-Za-z_]*(?:password|passwd|secret|token|api_?key)[A-Za-z_]*)["']?\s*[:=]\s*["']?([^"'\s,{}][^"'\r\n,]*)/gi;
  for (const m of text.matchAll(line)) {
    if (!m[2]!.includes("{{") && !/^(null|true|false|~)$/i.test(m[2]!.trim())) return m[1]!;
  }
  return undefined;
}

/** Directories where a volume would hide the image's own files: the root, program and system trees. */
const SYSTEM_TREES = /^\/(usr|bin|sbin|lib|lib32|lib64|libx32|boot|dev|proc|sys|run|var\/run|var\/www)(\/|$)/;
const SYSTEM_DIRS = new Set([
  "/",
  "/app",
  "/etc",
  "/home",
  "/media",
  "/mnt",
  "/opt",
  "/root",
  "/srv",
  "/tmp",
  "/var",
  "/var/lib",
]);

/** Why a volume must not be mounted at `dir` in this service, or undefined when the directory is the app's. */
export function ownDirProblem(dir: string, svc: Record<string, unknown>): string | undefined {
  if (SYSTEM_DIRS.has(dir) || SYSTEM_TREES.test(dir)) return `${dir} holds the image's own files`;
  if (typeof svc.working_dir === "string" && posix.normalize(svc.working_dir) === dir)
    return `${dir} is the service's working directory`;
  return undefined;
}

export interface FileMount {
  /** The host path as the store wrote it, its part under the data directory, and what the store ships there. */
  src: string;
  rest: string;
  seed: Extract<Seed, { kind: "file" }>;
  /** Where the service sees the file. */
  target: string;
  /** How the import's note names it (default: "the store's file <rest>"). */
  what?: string;
}

export type Placement = { volume: string; path: string; mountAt?: string | undefined } | { refusal: string };

/**
 * Where a single-file mount's file goes: into the named volume the service already mounts over its
 * directory (the deepest one), else into a volume of its own mounted at the directory when the directory
 * is the app's to own.
 */
export function placeFileMount(
  mount: FileMount,
  volumes: { volume: string; target: string }[],
  svc: Record<string, unknown>,
): Placement {
  const target = posix.normalize(mount.target);
  if (!target.startsWith("/") || target === "/")
    return { refusal: `mounts the single file ${mount.src} at ${mount.target}, which is not a file path` };
  const dir = posix.dirname(target);
  const covering = volumes
    .map((v) => ({ ...v, target: posix.normalize(v.target).replace(/\/+$/, "") || "/" }))
    .filter((v) => dir === v.target || dir.startsWith(v.target === "/" ? "/" : `${v.target}/`))
    .sort((a, b) => b.target.length - a.target.length)[0];
  if (covering) return { volume: covering.volume, path: posix.relative(covering.target, target) };
  const problem = ownDirProblem(dir, svc);
  if (problem) {
    return {
      refusal: `mounts the single file ${mount.src} at ${target}: a volume at its directory would hide files there (${problem})`,
    };
  }
  // One volume per directory it is mounted at: two files of the same name in two directories stay two files.
  return { volume: volumeName(dir, "files"), path: posix.basename(target), mountAt: dir };
}

/** The entry's files, one per (volume, path); a single-file mount wins over a directory's copy of it. */
export class EntryFiles {
  private readonly byKey = new Map<string, FileInput>();
  /** Keys a single-file mount wrote (a directory's copy gives way to it; another mount must agree). */
  private readonly mounted = new Set<string>();
  readonly reasons: string[] = [];

  /** `templates`: the store's `{{NAME}}` templates are shipped as template files (StoreApp.templates). */
  constructor(private readonly templates: boolean) {}

  /** The store's file as the entry ships it, or undefined (and the reason) for a template it cannot render. */
  private ship(volume: string, path: string, storePath: string, body: Uint8Array, owner: string) {
    if (storePath.endsWith(TEMPLATE_SUFFIX) && !this.templates) {
      this.reasons.push(templateProblem(storePath));
      return undefined;
    }
    return shipped(volume, path, storePath, body, owner);
  }

  addDirectory(volume: string, seed: Extract<Seed, { kind: "dir" }>, owner: string): void {
    for (const f of seed.files) {
      const file = this.ship(volume, f.rel, f.path, f.body, owner);
      if (!file) continue;
      const key = `${volume}:${file.path}`;
      if (!this.byKey.has(key)) this.byKey.set(key, file);
    }
  }

  addFile(volume: string, path: string, seed: Extract<Seed, { kind: "file" }>, owner: string): void {
    const key = `${volume}:${path}`;
    const file = this.ship(volume, path, seed.path, seed.body, owner);
    if (!file) return;
    if (this.mounted.has(key) && this.byKey.get(key)?.content !== file.content) {
      this.reasons.push(`two different files of the store are mounted at ${path} of the volume ${volume}`);
      return;
    }
    this.mounted.add(key);
    this.byKey.set(key, file);
  }

  list(): FileInput[] {
    return [...this.byKey.values()].sort((a, b) =>
      `${a.volume}:${a.path}`.localeCompare(`${b.volume}:${b.path}`),
    );
  }
}
