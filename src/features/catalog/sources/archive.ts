/**
 * Reading a store: a `.tar.gz` archive from a URL (what a forge serves for a branch), a forge repository URL
 * turned into that archive's URL, or a local directory. Everything read is untrusted input:
 *
 * - the download is bounded in bytes and time, and every URL (each redirect too) is checked: http(s) only,
 *   never a link-local or cloud metadata address (core/outbound.ts);
 * - the archive is read as a stream (never whole in memory) with bounds on the unpacked size and the number
 *   of entries; an absolute path or `..` refuses the whole archive, links are never followed or kept;
 * - only the files an importer reads are kept (manifests, compose files, descriptions, PNG logos, each
 *   at most 1 MiB; files a store ships into an app's data directory, each at most 512 KiB), at most 64 MiB
 *   in all.
 */
import { once } from "node:events";
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { createGunzip } from "node:zlib";
import { hostProblem } from "../../../core/outbound.ts";
import { runtime } from "../../../core/runtime/index.ts";
import { ENTRY_FILE_LIMITS } from "../catalog.schemas.ts";
import type { StoreFiles } from "./files.ts";

export interface ArchiveLimits {
  /** Compressed bytes downloaded. CasaOS's store is ~210 MB (screenshots), so the default leaves room. */
  downloadBytes: number;
  /** Unpacked bytes read, kept or not. */
  unpackedBytes: number;
  /** Entries in the archive (files, directories, links). */
  entries: number;
  /** Bytes kept in memory for the importers. */
  keptBytes: number;
  /** Time for the whole download. */
  timeoutMs: number;
}

export const DEFAULT_LIMITS: ArchiveLimits = {
  downloadBytes: 512 * 1024 * 1024,
  unpackedBytes: 2 * 1024 * 1024 * 1024,
  entries: 100_000,
  keptBytes: 64 * 1024 * 1024,
  timeoutMs: 120_000,
};

const MAX_KEPT_FILE = 1024 * 1024;
const EMPTY = new Uint8Array(0);
const KEPT =
  /(^|\/)(config\.json|docker-compose\.(json|ya?ml)|umbrel-app\.ya?ml|exports\.sh|description\.md|logo\.(png|jpe?g)|icon\.png)$/i;

export class SourceError extends Error {}

/** The largest file a store may ship into an app's data directory (ENTRY_FILE_LIMITS.bytes). */
const MAX_SEED_FILE = ENTRY_FILE_LIMITS.bytes;

/**
 * Whether `path` may be a file a store copies into an app's data directory: Runtipi's `apps/<id>/data/…`,
 * anything in an Umbrel app's directory (`<id>/…`); never CasaOS's `Apps/` (screenshots), Runtipi's
 * `metadata/` or a hidden top directory (`.github`). The top directory of a forge archive may precede it.
 */
export function isSeed(path: string, size: number): boolean {
  if (size > MAX_SEED_FILE) return false;
  const segments = path.split("/");
  if (segments.includes("Apps") || segments.includes("metadata") || segments.length < 2) return false;
  const apps = segments.indexOf("apps");
  if (apps !== -1) return segments[apps + 2] === "data" && segments.length > apps + 3;
  return !segments.slice(0, -1).some((s) => s.startsWith("."));
}

/** Whether `path` (relative, top directory stripped) is a file an importer reads. */
export function isKept(path: string, size = 0): boolean {
  return (KEPT.test(path) && size <= MAX_KEPT_FILE) || isSeed(path, size);
}

// ---------------------------------------------------------------------------------------------------------
// URLs

/** Refuse a URL that is not http(s), or whose host is (or resolves to) a link-local or metadata address. */
export async function checkUrl(url: URL): Promise<void> {
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new SourceError("the URL must be http(s)");
  if (url.username || url.password) throw new SourceError("the URL must not carry credentials");
  const problem = await hostProblem(url.hostname.replace(/^\[|\]$/g, ""));
  if (problem) throw new SourceError(problem);
}

/**
 * The archive URL for what an admin pastes: a `.tar.gz` URL as it is; a forge repository URL
 * (`https://github.com/o/r`, `…/tree/<branch>`, Codeberg/Forgejo/Gitea `…/src/branch/<branch>`, GitLab
 * `…/-/tree/<branch>`) as that forge's archive of the branch (the default branch when none is named:
 * `HEAD` on GitHub and GitLab, `main` on Gitea-like forges, which serve no archive of HEAD).
 */
export function archiveUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new SourceError("not a URL or an absolute directory path");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new SourceError("the URL must be http(s)");
  if (/\.(tar\.gz|tgz)$/i.test(url.pathname)) return url;
  const parts = url.pathname.split("/").filter(Boolean);
  if (parts.length < 2) throw new SourceError("not a .tar.gz URL or a repository URL (owner/name)");
  const [owner, repoRaw, ...rest] = parts;
  const repo = repoRaw!.replace(/\.git$/, "");
  const host = url.hostname.toLowerCase();
  const origin = `${url.protocol}//${url.host}`;
  if (host === "github.com" || host === "www.github.com") {
    const branch = rest[0] === "tree" && rest.length > 1 ? rest.slice(1).join("/") : "HEAD";
    return new URL(
      `https://codeload.github.com/${owner}/${repo}/tar.gz/${branch === "HEAD" ? "HEAD" : `refs/heads/${branch}`}`,
    );
  }
  if (host === "gitlab.com" || host.startsWith("gitlab.")) {
    // GitLab groups nest: the project path ends before "/-/".
    const dash = parts.indexOf("-");
    const project = (dash === -1 ? parts : parts.slice(0, dash)).join("/").replace(/\.git$/, "");
    const name = project.split("/").pop()!;
    const branch = dash !== -1 && parts[dash + 1] === "tree" ? parts.slice(dash + 2).join("/") : "HEAD";
    return new URL(`${origin}/${project}/-/archive/${branch}/${name}-${branch.replaceAll("/", "-")}.tar.gz`);
  }
  const branch =
    rest[0] === "src" && rest[1] === "branch" && rest.length > 2 ? rest.slice(2).join("/") : "main";
  return new URL(`${origin}/${owner}/${repo}/archive/${branch}.tar.gz`);
}

// ---------------------------------------------------------------------------------------------------------
// tar.gz

interface Collector {
  files: Map<string, Uint8Array>;
  entries: number;
  unpacked: number;
  kept: number;
}

function parseOctal(block: Uint8Array, offset: number, length: number): number {
  let text = "";
  for (let i = offset; i < offset + length; i++) {
    const c = block[i]!;
    if (c === 0 || c === 0x20) {
      if (text) break;
      continue;
    }
    text += String.fromCharCode(c);
  }
  return text ? Number.parseInt(text, 8) : 0;
}

function cString(block: Uint8Array, offset: number, length: number): string {
  const end = block.subarray(offset, offset + length).indexOf(0);
  return new TextDecoder().decode(block.subarray(offset, end === -1 ? offset + length : offset + end));
}

/** A path inside the archive, normalised; throws on an absolute path or `..`. */
function safePath(raw: string): string {
  if (raw.startsWith("/") || /^[A-Za-z]:/.test(raw))
    throw new SourceError(`the archive holds an absolute path (${raw.slice(0, 100)})`);
  const parts = raw.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes(".."))
    throw new SourceError(`the archive holds a path out of its directory (${raw.slice(0, 100)})`);
  return parts.join("/");
}

/**
 * Read a tar stream (already decompressed), keeping the importers' files. A streaming parser over 512-byte
 * blocks: file bodies that are not kept are skipped without being stored, and the next chunk is asked for only
 * once the current one is consumed.
 */
async function readTar(chunks: AsyncIterator<Uint8Array>, limits: ArchiveLimits): Promise<Collector> {
  const c: Collector = { files: new Map(), entries: 0, unpacked: 0, kept: 0 };
  let buf: Uint8Array = new Uint8Array(0);
  let done = false;
  const need = async (n: number): Promise<boolean> => {
    while (buf.length < n && !done) {
      const r = await chunks.next();
      if (r.done) {
        done = true;
        break;
      }
      c.unpacked += r.value.length;
      if (c.unpacked > limits.unpackedBytes)
        throw new SourceError(
          `the archive unpacks to more than ${Math.round(limits.unpackedBytes / 1048576)} MiB`,
        );
      // Most chunks are consumed whole (skipped bodies): only a header across two chunks is copied.
      if (buf.length === 0) buf = r.value;
      else {
        const next = new Uint8Array(buf.length + r.value.length);
        next.set(buf);
        next.set(r.value, buf.length);
        buf = next;
      }
    }
    return buf.length >= n;
  };
  const take = (n: number): Uint8Array => {
    const out = buf.slice(0, n);
    buf = buf.subarray(n);
    return out;
  };
  /** Skip n bytes without keeping them (reading in chunks). */
  const skip = async (n: number) => {
    let left = n;
    while (left > 0) {
      if (buf.length === 0 && !(await need(1))) throw new SourceError("the archive is truncated");
      const k = Math.min(left, buf.length);
      buf = buf.subarray(k);
      left -= k;
    }
  };
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (await need(512)) {
    const header = take(512);
    if (header.every((b) => b === 0)) break;
    if (++c.entries > limits.entries)
      throw new SourceError(`the archive has more than ${limits.entries} entries`);
    const size = parseOctal(header, 124, 12);
    const type = String.fromCharCode(header[156] || 0x30);
    const padded = Math.ceil(size / 512) * 512;
    const prefix = cString(header, 345, 155);
    let name =
      longName ?? paxPath ?? (prefix ? `${prefix}/${cString(header, 0, 100)}` : cString(header, 0, 100));
    if (type === "L" || type === "x" || type === "g") {
      if (size > 64 * 1024) throw new SourceError("the archive has an oversized extended header");
      if (!(await need(padded))) throw new SourceError("the archive is truncated");
      const body = take(padded).subarray(0, size);
      if (type === "L") longName = cString(body, 0, body.length);
      if (type === "x") {
        const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(new TextDecoder().decode(body));
        if (m) paxPath = m[1];
      }
      continue;
    }
    longName = undefined;
    paxPath = undefined;
    name = safePath(name);
    if ((type === "0" || type === "\0" || type === "7") && isKept(name, size)) {
      if (c.kept + size > limits.keptBytes)
        throw new SourceError(`the archive's manifests exceed ${Math.round(limits.keptBytes / 1048576)} MiB`);
      if (!(await need(padded))) throw new SourceError("the archive is truncated");
      c.files.set(name, take(padded).slice(0, size));
      c.kept += size;
    } else {
      // Directories, links (never followed): skipped. Other files are listed without their bytes.
      if ((type === "0" || type === "\0" || type === "7") && name) c.files.set(name, EMPTY);
      await skip(padded);
    }
  }
  return c;
}

/** Strip the single top directory a forge puts in its archives (`runtipi-appstore-main/`). */
function stripTop(files: Map<string, Uint8Array>): Map<string, Uint8Array> {
  const tops = new Set([...files.keys()].map((p) => p.split("/")[0]));
  if (tops.size !== 1 || [...files.keys()].some((p) => !p.includes("/"))) return files;
  return new Map([...files].map(([p, b]) => [p.slice(p.indexOf("/") + 1), b]));
}

/**
 * Decompressed output is handed on in pieces of this size. The whole pipeline holds about one piece of each
 * kind at a time (a compressed chunk of the download, zlib's window, a decompressed piece, the tar parser's
 * partial header), so memory stays flat however large the archive: CasaOS's 210 MB of screenshots pass through
 * without piling up (docs/performance.md, "Third-party stores").
 */
const GUNZIP_CHUNK = 64 * 1024;
/**
 * Every piece handed on is garbage once the tar parser has looked at it (skipped bodies are most of an
 * archive): left to itself the collector lets 50–130 MB of them pile up before it runs, so a collection is
 * asked for after each 16 MiB (measured in docs/performance.md; a full blocking one each time cost seconds).
 */
const COLLECT_EVERY = 16 * 1024 * 1024;

/**
 * The decompressed bytes of a gzip stream, in pieces of at most GUNZIP_CHUNK. The compressed input is read
 * only when zlib has room for it (its `write` answered "full": wait for `drain`), and zlib inflates only as
 * fast as the pieces are taken, so neither side buffers ahead. More than `maxCompressed` bytes of input is
 * refused.
 */
async function* gunzipped(
  input: ReadableStream<Uint8Array>,
  maxCompressed: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  const inflate = createGunzip({ chunkSize: GUNZIP_CHUNK });
  const reader = input.getReader();
  const stop = new AbortController();
  const feed = async () => {
    let total = 0;
    for (;;) {
      const r = await reader.read();
      if (stop.signal.aborted) return;
      if (r.done) break;
      total += r.value.length;
      if (total > maxCompressed)
        throw new SourceError(`the archive is larger than ${Math.round(maxCompressed / 1048576)} MiB`);
      if (!inflate.write(r.value)) await once(inflate, "drain", { signal: stop.signal });
    }
    inflate.end();
  };
  // A failure of the input (the download's size or timeout) ends the output with that error.
  const feeding = feed().catch((err: unknown) => {
    inflate.destroy(err instanceof Error ? err : new Error(String(err)));
  });
  let sinceCollect = 0;
  try {
    for await (const piece of inflate) {
      sinceCollect += (piece as Uint8Array).length;
      if (sinceCollect >= COLLECT_EVERY) {
        sinceCollect = 0;
        runtime.collectGarbageSoon();
      }
      yield piece as Uint8Array;
    }
  } finally {
    // Stopped early (the end-of-archive blocks, or an error): the feeder stops waiting and the download ends.
    stop.abort();
    inflate.destroy();
    await reader.cancel().catch(() => undefined);
    await feeding;
  }
}

/** The importers' files of a gzip-compressed tar stream. */
export async function readTarGz(
  stream: ReadableStream<Uint8Array>,
  limits: ArchiveLimits = DEFAULT_LIMITS,
): Promise<StoreFiles> {
  const pieces = gunzipped(stream, limits.downloadBytes);
  try {
    return stripTop((await readTar(pieces, limits)).files);
  } catch (err) {
    if (err instanceof SourceError) throw err;
    const code = (err as { code?: unknown }).code;
    if (code === "Z_DATA_ERROR" || code === "Z_BUF_ERROR")
      throw new SourceError("the archive is not gzip-compressed (or is damaged)");
    throw new SourceError(`the archive cannot be read: ${(err as Error).message.split("\n")[0]}`);
  } finally {
    await pieces.return(undefined);
  }
}

/** Download and read an archive, following at most 5 redirects, each checked like the first URL. */
export async function fetchArchive(url: URL, limits: ArchiveLimits = DEFAULT_LIMITS): Promise<StoreFiles> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let current = url;
  for (let hop = 0; hop <= 5; hop++) {
    await checkUrl(current);
    let res: Response;
    try {
      res = await fetch(current, {
        redirect: "manual",
        signal,
        headers: { accept: "application/gzip, */*" },
      });
    } catch (err) {
      const why = signal.aborted ? `timed out after ${limits.timeoutMs / 1000} s` : (err as Error).message;
      throw new SourceError(`cannot download ${current.host}: ${why}`);
    }
    if (res.status >= 300 && res.status < 400 && res.headers.get("location")) {
      await res.body?.cancel();
      current = new URL(res.headers.get("location")!, current);
      continue;
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new SourceError(`${current.host} answered HTTP ${res.status} for ${current.pathname}`);
    }
    const length = Number(res.headers.get("content-length"));
    if (Number.isFinite(length) && length > limits.downloadBytes) {
      await res.body.cancel();
      throw new SourceError(`the archive is larger than ${Math.round(limits.downloadBytes / 1048576)} MiB`);
    }
    try {
      return await readTarGz(res.body, limits);
    } catch (err) {
      if (signal.aborted) throw new SourceError(`the download timed out after ${limits.timeoutMs / 1000} s`);
      throw err;
    }
  }
  throw new SourceError("too many redirects");
}

/** The importers' files of a local directory; links that lead out of it are not followed. */
export async function readDirectory(
  dir: string,
  limits: ArchiveLimits = DEFAULT_LIMITS,
): Promise<StoreFiles> {
  let root: string;
  try {
    root = await realpath(dir);
    if (!(await stat(root)).isDirectory()) throw new Error("not a directory");
  } catch {
    throw new SourceError(`${dir} is not a readable directory`);
  }
  // The kernel's and devices' trees are no store, and walking them can block or never end.
  if (root === "/" || /^\/(proc|sys|dev)(\/|$)/.test(root))
    throw new SourceError(`${dir} is not a store directory`);
  const files = new Map<string, Uint8Array>();
  let entries = 0;
  let kept = 0;
  const walk = async (path: string, depth: number): Promise<void> => {
    if (depth > 8) return;
    for (const d of await readdir(path, { withFileTypes: true })) {
      if (++entries > limits.entries)
        throw new SourceError(`the directory has more than ${limits.entries} entries`);
      if (d.name === ".git" || d.name === "node_modules") continue;
      const full = join(path, d.name);
      if (d.isDirectory()) await walk(full, depth + 1);
      else if (d.isFile()) {
        const rel = relative(root, full).split(sep).join("/");
        const info = await stat(full);
        if (!isKept(rel, info.size)) {
          files.set(rel, EMPTY);
          continue;
        }
        kept += info.size;
        if (kept > limits.keptBytes) throw new SourceError("the directory's manifests exceed 64 MiB");
        files.set(rel, new Uint8Array(await readFile(full)));
      }
      // Symbolic links are not followed: they could lead out of the directory.
    }
  };
  await walk(root, 0);
  return files;
}
