/**
 * PGlite's file bundle once PostgreSQL runs.
 *
 * PGlite's loader puts its file bundle (pglite.data: 6.2 MB, ~700 files — initdb's input, ICU data, text
 * search dictionaries, encoding conversions, time zones, plpgsql) into its in-memory file system as views of
 * one ArrayBuffer, and its start-up code keeps that buffer referenced: the whole bundle stayed resident for
 * the life of the process. A running server opens few of those files (docs/performance.md, "Seventh round",
 * "Embedded database memory"). So each open gets a buffer of its own; once PostgreSQL is up, the files it
 * may still open get copies of their own, the files only initdb or features Proximity never uses read are
 * removed, and the buffer is detached, which frees it whatever still refers to it. A removed file that were
 * needed after all fails loudly (PostgreSQL reports the missing file), never as an empty one.
 */
import type { Extension } from "@electric-sql/pglite";
import { moduleExtension } from "./pglite-module.ts";

/**
 * Bundle files a running Proximity never opens. Everything else (time zones and their abbreviations,
 * plpgsql, extension control files, the small files PGlite itself reads) is kept.
 */
const NOT_NEEDED_ONCE_STARTED: readonly RegExp[] = [
  // initdb's input (postgres.bki, the system views' SQL, …) and configuration samples.
  /^\/pglite\/share\/postgresql\/[^/]+\.(bki|sql|sample|txt)$/,
  // Full text search: dictionaries and the snowball stemmers (Proximity searches with ILIKE).
  /^\/pglite\/share\/postgresql\/tsearch_data\//,
  /^\/pglite\/lib\/postgresql\/dict_snowball\.so$/,
  // Encoding conversions: client and server both speak UTF8.
  /^\/pglite\/lib\/postgresql\/[a-z0-9_]+_and_[a-z0-9_]+\.so$/,
  // Replication (PGlite runs one backend, no WAL sender or receiver).
  /^\/pglite\/lib\/postgresql\/(libpqwalreceiver|pgoutput)\.so$/,
  // Makefiles for building extensions.
  /^\/pglite\/lib\/postgresql\/pgxs\//,
  // ICU collation data: the database's collation is libc's; no column or query names an ICU collation.
  /^\/pglite\/icu\//,
];

export function neededOnceStarted(path: string): boolean {
  return !NOT_NEEDED_ONCE_STARTED.some((pattern) => pattern.test(path));
}

/** The few parts of Emscripten's FS this needs (PGlite exposes the module to extensions' preRun). */
interface MemNode {
  mode: number;
  contents?: unknown;
  mounted?: unknown;
}
interface EmscriptenFs {
  readdir(path: string): string[];
  lookupPath(path: string, opts?: { follow?: boolean }): { node: MemNode };
  isDir(mode: number): boolean;
  isFile(mode: number): boolean;
  unlink(path: string): void;
}

export interface TrimReport {
  /** Files of the bundle that now have copies of their own. */
  kept: number;
  /** Files of the bundle removed from the in-memory file system. */
  removed: number;
  /** Bytes of the buffer that was freed, and of the copies kept. */
  freedBytes: number;
  keptBytes: number;
}

export interface TrimmableBundle {
  /** What PGlite reads the bundle from (`fsBundle`): hands PGlite this open's own buffer. */
  fsBundle: Blob;
  /** Lets the trim reach PGlite's file system. */
  extension: Extension;
  /** Once PGlite.create has resolved: copies what stays, removes the rest, frees the buffer. */
  trim(): TrimReport;
}

/** A Blob whose `arrayBuffer()` is the one buffer PGlite's loader then slices into files. */
class HeldBundle extends Blob {
  constructor(private readonly buffer: ArrayBuffer) {
    super();
  }
  override get size(): number {
    return this.buffer.byteLength;
  }
  override arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.resolve(this.buffer);
  }
}

export async function trimmableBundle(source: Blob): Promise<TrimmableBundle> {
  const buffer = await source.arrayBuffer();
  let fs: EmscriptenFs | undefined;
  // PGlite hands extensions the Emscripten options before the module starts; a preRun sees the module.
  const extension = moduleExtension<{ FS: EmscriptenFs }>("proximity-bundle-trim", (mod) => {
    fs = mod.FS;
  });
  return {
    fsBundle: new HeldBundle(buffer),
    extension,
    trim() {
      if (!fs)
        throw new Error("PGlite did not run the bundle trim's preRun: its file system is out of reach");
      const report = trimFiles(fs, buffer);
      // Detaching frees the memory even though PGlite's start-up closure still refers to the buffer.
      const freedBytes = buffer.byteLength;
      detach(buffer);
      return { ...report, freedBytes };
    },
  };
}

function trimFiles(fs: EmscriptenFs, buffer: ArrayBuffer): Omit<TrimReport, "freedBytes"> {
  const report = { kept: 0, removed: 0, keptBytes: 0 };
  const walk = (dir: string) => {
    for (const name of fs.readdir(dir)) {
      if (name === "." || name === "..") continue;
      const path = dir === "/" ? `/${name}` : `${dir}/${name}`;
      const { node } = fs.lookupPath(path, { follow: false });
      // Mount points (the data directory on disk, /dev, /proc) hold nothing of the bundle.
      if (node.mounted) continue;
      if (fs.isDir(node.mode)) {
        walk(path);
        continue;
      }
      const contents = node.contents;
      if (!fs.isFile(node.mode) || !(contents instanceof Uint8Array) || contents.buffer !== buffer) continue;
      if (neededOnceStarted(path)) {
        node.contents = contents.slice();
        report.kept++;
        report.keptBytes += contents.byteLength;
      } else {
        fs.unlink(path);
        report.removed++;
      }
    }
  };
  walk("/");
  return report;
}

/** `ArrayBuffer.prototype.transfer` (ES2024; TypeScript's lib here is ES2023). */
function detach(buffer: ArrayBuffer): void {
  (buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
}
