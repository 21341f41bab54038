/**
 * Bun's side of `Runtime.releaseEmbeddedFiles`: in a `bun build --compile` binary on Linux, the resident pages
 * of embedded files that were read once at start (PGlite's WASM and file bundle, the database image) are
 * given back to the system.
 *
 * Why: a compiled binary carries its embedded files in the executable's `.bun` ELF section, mapped with the
 * rest of it. Reading one (`Bun.file(path).arrayBuffer()`) copies it out of that mapping, and the pages the
 * copy read stay in the process's resident set for as long as it runs: 6.2 MB for pglite.data, which PGlite
 * unpacks at start and never reads again, and the 4.6 MB image on a first start (pglite.wasm's pages have
 * already left by then on Bun 1.4.5: they stop being resident while JSC compiles the module; the release
 * covers them all the same). `bun src/index.ts` reads the same files with read(2), after which they are
 * only in the kernel's page cache. MADV_DONTNEED on those pages puts the binary in the same place: the page
 * cache still holds the file (reclaimable, as after read(2)), the process no longer maps it, and a later
 * read faults the same bytes back in from the file.
 *
 * Only pages that are still the file's own are given back: present and file-backed in /proc/self/pagemap,
 * that is never written (a written page of this private mapping would be an anonymous copy, which
 * MADV_DONTNEED would throw away). For such a page the next read sees the same bytes whatever the range,
 * so a wrong range could only cost a page fault, never change what the program reads.
 *
 * Where an embedded file lies comes from the module table Bun writes at the end of the section: the section
 * is a u64 length and a payload ending in "\n---- Bun! ----\n"; each file's record holds its contents as
 * (u32 offset, u32 length) into the payload, and the contents end with a NUL. A file is given back only when
 * exactly one (offset, length) pair near the end of the payload has its length and points at that NUL; a
 * Bun that lays the section out differently gets nothing given back, and runs as before.
 */
import { toArrayBuffer } from "bun:ffi";
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { dontNeedPages, openLibc, PAGE } from "./libc.ts";

const TRAILER = Buffer.from("\n---- Bun! ----\n", "latin1");
/** How far before the trailer the module table is looked for: 52-byte records, so > 1,000 files. */
const TABLE_WINDOW = 64 * 1024;
const EMBEDDED_PREFIX = "/$bunfs/";

interface Section {
  /** Where the section's first byte is mapped in this process. */
  address: number;
  size: number;
}

interface Payload {
  /** The section's address: the payload starts 8 bytes in. */
  address: number;
  payload: Uint8Array;
  /** Where the trailer starts: the module table ends there. */
  tableEnd: number;
}

/** The `.bun` section's payload (its u64 length and the trailer checked); null when not as expected. */
function bunPayload(): Payload | null {
  if (process.platform !== "linux") return null;
  const section = readBunSection();
  if (!section || section.size < 8 + TRAILER.length) return null;
  const mapped = new Uint8Array(toArrayBuffer(section.address, 0, section.size));
  const payloadLength = Number(new DataView(mapped.buffer).getBigUint64(0, true));
  if (payloadLength + 8 > section.size || payloadLength < TRAILER.length) return null;
  const payload = mapped.subarray(8, 8 + payloadLength);
  const tableEnd = payloadLength - TRAILER.length;
  return TRAILER.equals(payload.subarray(tableEnd)) ? { address: section.address, payload, tableEnd } : null;
}

/** The `.bun` section of this executable, from its ELF section headers and /proc/self/maps. */
function readBunSection(): Section | null {
  let fd: number | undefined;
  try {
    fd = openSync(process.execPath, "r");
    const header = Buffer.alloc(64);
    if (readSync(fd, header, 0, 64, 0) !== 64) return null;
    // ELF, 64-bit, little-endian.
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return null;
    const sectionsAt = Number(header.readBigUInt64LE(0x28));
    const entrySize = header.readUInt16LE(0x3a);
    const count = header.readUInt16LE(0x3c);
    const namesIndex = header.readUInt16LE(0x3e);
    if (entrySize !== 64 || count === 0 || namesIndex >= count) return null;
    const table = Buffer.alloc(count * entrySize);
    if (readSync(fd, table, 0, table.length, sectionsAt) !== table.length) return null;
    const field = (index: number, at: number) => Number(table.readBigUInt64LE(index * entrySize + at));
    const names = Buffer.alloc(field(namesIndex, 32));
    if (readSync(fd, names, 0, names.length, field(namesIndex, 24)) !== names.length) return null;
    for (let index = 0; index < count; index++) {
      const nameAt = table.readUInt32LE(index * entrySize);
      if (names.toString("latin1", nameAt, names.indexOf(0, nameAt)) !== ".bun") continue;
      const size = field(index, 32);
      const address = mappedAddress(fstatSync(fd).ino, field(index, 24), size);
      return address === null ? null : { address, size };
    }
    return null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The address at which this process maps `fileOffset` of the executable (the file with `inode`), provided
 * the `size` bytes from there are all mapped (by that mapping and the ones right after it): the section is
 * read through a view of that memory, and a read past what is mapped would end the process.
 */
function mappedAddress(inode: number, fileOffset: number, size: number): number | null {
  const mappings = readFileSync("/proc/self/maps", "utf8")
    .split("\n")
    .flatMap((line) => {
      const [range, , offsetHex, , mappedInode] = line.split(/\s+/);
      if (!range || !offsetHex) return [];
      const [start = 0, end = 0] = range.split("-").map((hex) => Number.parseInt(hex, 16));
      return [{ start, end, offset: Number.parseInt(offsetHex, 16), inode: Number(mappedInode) }];
    });
  const index = mappings.findIndex(
    (m) => m.inode === inode && fileOffset >= m.offset && fileOffset < m.offset + (m.end - m.start),
  );
  const first = mappings[index];
  if (!first) return null;
  const address = first.start + (fileOffset - first.offset);
  let mappedEnd = first.end;
  for (const next of mappings.slice(index + 1)) {
    if (next.start !== mappedEnd) break;
    mappedEnd = next.end;
  }
  return mappedEnd >= address + size ? address : null;
}

/** The payload offset of the one embedded file `length` bytes long, or null when there is not exactly one. */
function contentsOffset(payload: Uint8Array, tableEnd: number, length: number): number | null {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let found: number | null = null;
  for (let at = Math.max(0, tableEnd - TABLE_WINDOW); at + 8 <= tableEnd; at++) {
    if (view.getUint32(at + 4, true) !== length) continue;
    const offset = view.getUint32(at, true);
    if (offset + length >= tableEnd || payload[offset + length] !== 0) continue;
    if (found !== null && found !== offset) return null;
    found = offset;
  }
  return found;
}

/** Pages in [first, first + count) that are present and still the file's own, per /proc/self/pagemap. */
function cleanFilePages(first: number, count: number): boolean[] | null {
  let fd: number | undefined;
  try {
    fd = openSync("/proc/self/pagemap", "r");
    const entries = new Uint32Array(count * 2);
    const bytes = new Uint8Array(entries.buffer);
    if (readSync(fd, bytes, 0, bytes.length, first * 8) !== bytes.length) return null;
    // Each entry is a little-endian u64: bit 63 present, bit 61 file page (not an anonymous copy).
    const PRESENT_AND_FILE = 0xa0000000;
    return Array.from(
      { length: count },
      (_, page) => (entries[page * 2 + 1]! & PRESENT_AND_FILE) >>> 0 === PRESENT_AND_FILE,
    );
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function giveBack(start: number, end: number): number {
  const libc = openLibc();
  const first = Math.ceil(start / PAGE);
  const last = Math.floor(end / PAGE);
  if (!libc || last <= first) return 0;
  const clean = cleanFilePages(first, last - first);
  return clean ? dontNeedPages(libc, first * PAGE, clean.length, (page) => clean[page]!) : 0;
}

/** Where this process maps the contents of the embedded file at `path`, or null (see the header). */
export function embeddedFileRange(path: string): { address: number; length: number } | null {
  return path.startsWith(EMBEDDED_PREFIX) ? rangeIn(bunPayload(), path) : null;
}

function rangeIn(section: Payload | null, path: string): { address: number; length: number } | null {
  if (!section) return null;
  const length = Bun.file(path).size;
  const offset = length > 0 ? contentsOffset(section.payload, section.tableEnd, length) : null;
  return offset === null ? null : { address: section.address + 8 + offset, length };
}

/**
 * Gives back the resident pages of the embedded files at `paths` (those under the binary's virtual root;
 * others are skipped). Returns the bytes given back: 0 outside a compiled binary, off Linux, or when the
 * section's layout is not the one described above.
 */
export function releaseEmbeddedFiles(paths: string[]): number {
  const embedded = paths.filter((path) => path.startsWith(EMBEDDED_PREFIX));
  // The section is looked up once for all the files, and only in a compiled binary.
  const section = embedded.length > 0 ? bunPayload() : null;
  let given = 0;
  for (const path of embedded) {
    const range = rangeIn(section, path);
    if (range) given += giveBack(range.address, range.address + range.length);
  }
  return given;
}
