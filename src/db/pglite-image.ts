/**
 * A first start without initdb. initdb of a new PGlite data directory takes 8–20 s on a small machine, most
 * of a newcomer's first start; the directory it leaves, once migrated, is the same on every machine. So that
 * directory is built ahead of time (`bun run db:image`, and by `bun run build` for the binary), packed as a
 * gzip-compressed tar in src/db/image/ (embedded in the binary) and, on a first start, unpacked in a fraction
 * of a second. The migrations then run on top as on any start: an image older than the code is fine.
 *
 * Where the runtime cannot unpack archives (Deno), where the image is missing, or when the unpacked
 * directory does not open (an image from another PGlite build), initdb runs as before.
 */
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { join, relative } from "node:path";
import { runtime } from "../core/runtime/index.ts";

/** What the image holds, written beside it (src/db/image/manifest.json). */
export interface ImageManifest {
  /** PostgreSQL's major version as PG_VERSION says. */
  postgres: string;
  /** The migrations applied in the image, in order. */
  migrations: string[];
}

/** Files a running cluster leaves that a packed copy must not carry. */
const NOT_PACKED = new Set(["postmaster.pid", "postmaster.opts"]);

/** The entries of a closed data directory, ready for `runtime.archive.pack`. */
export function imageEntries(dataDir: string): Record<string, Uint8Array | ""> {
  const entries: Record<string, Uint8Array | ""> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (NOT_PACKED.has(name)) continue;
      const path = join(dir, name);
      const rel = relative(dataDir, path);
      if (statSync(path).isDirectory()) {
        // Empty directories matter: PostgreSQL refuses to start without pg_tblspc, pg_twophase, …
        entries[`${rel}/`] = "";
        walk(path);
      } else {
        entries[rel] = readFileSync(path);
      }
    }
  };
  walk(dataDir);
  return entries;
}

/** Packs a closed data directory. */
export async function packImage(dataDir: string): Promise<Uint8Array> {
  if (!runtime.archive) throw new Error(`${runtime.label} cannot write archives`);
  return runtime.archive.pack(imageEntries(dataDir));
}

/**
 * Unpacks `image` (default: the one shipped with the code) as the data directory `dataDir`, which must not
 * exist or be empty. It is written beside it and renamed into place, so a start cut short leaves no
 * half-written cluster behind (PG_VERSION is what tells an initialised directory). False when there is no
 * image or the runtime cannot unpack one: the caller runs initdb.
 */
export async function unpackImage(dataDir: string, image?: Uint8Array): Promise<boolean> {
  if (!runtime.archive) return false;
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) return false;
  const bytes = image ?? (await runtime.embeddedDbImage?.());
  if (!bytes || bytes.length === 0) return false;
  const staging = `${dataDir}.unpacking`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true, mode: 0o700 });
  try {
    await runtime.archive.extract(bytes, staging);
    if (!existsSync(join(staging, "PG_VERSION"))) return false;
    ownerOnly(staging);
    rmSync(dataDir, { recursive: true, force: true });
    renameSync(staging, dataDir);
    return true;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * The archive's own modes are not trusted either way: directories 0700 (PostgreSQL must enter them as
 * whatever user runs Proximity), files 0600 (the cluster holds password hashes). Links are not followed.
 */
function ownerOnly(root: string): void {
  const stack = [root];
  while (stack.length) {
    const path = stack.pop()!;
    const st = lstatSync(path);
    if (st.isSymbolicLink()) continue;
    if (st.isDirectory()) {
      chmodSync(path, 0o700);
      for (const name of readdirSync(path)) stack.push(join(path, name));
    } else {
      chmodSync(path, 0o600);
    }
  }
}
