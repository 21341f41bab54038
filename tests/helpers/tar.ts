/**
 * A minimal tar.gz writer for tests: fixture stores served as a forge would serve them, and hostile
 * archives (paths out of the directory, links, oversized entries) that no ordinary tool would write.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";

export interface TarEntry {
  path: string;
  body?: Uint8Array | string;
  /** "0" file (default), "5" directory, "2" symbolic link, "1" hard link. */
  type?: "0" | "2" | "1" | "5";
  link?: string;
  /** Declared size, when a test lies about it. */
  size?: number;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, "0")}\0`;
}

function header(e: TarEntry, size: number): Uint8Array {
  const h = new Uint8Array(512);
  const enc = new TextEncoder();
  const put = (text: string, offset: number, max: number) => h.set(enc.encode(text).subarray(0, max), offset);
  put(e.path, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(0, 12), 136, 12);
  put("        ", 148, 8);
  put(e.type ?? "0", 156, 1);
  if (e.link) put(e.link, 157, 100);
  put("ustar\u000000", 257, 8);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
  return h;
}

/** The uncompressed tar bytes of `entries`. */
export function tar(entries: TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    const body =
      typeof e.body === "string" ? new TextEncoder().encode(e.body) : (e.body ?? new Uint8Array(0));
    parts.push(header(e, e.size ?? body.length));
    parts.push(body);
    const pad = (512 - (body.length % 512)) % 512;
    parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A directory as a forge's archive: every file under `<top>/`. */
export async function tarGzOfDir(dir: string, top: string): Promise<Uint8Array> {
  const entries: TarEntry[] = [];
  const walk = async (path: string) => {
    for (const d of await readdir(path, { withFileTypes: true })) {
      const full = join(path, d.name);
      if (d.isDirectory()) await walk(full);
      else
        entries.push({ path: `${top}/${relative(dir, full)}`, body: new Uint8Array(await readFile(full)) });
    }
  };
  await walk(dir);
  return gzip(tar(entries));
}

export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new Blob([bytes as BlobPart]).stream() as ReadableStream<Uint8Array>;
}
