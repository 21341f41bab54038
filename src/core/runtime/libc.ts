/**
 * The two memory calls of glibc Linux that the Bun runtime uses through bun:ffi (zero-pages.ts,
 * embedded-pages.ts): `mincore` (which pages of a range are resident) and `madvise` (give pages back).
 * `null` elsewhere (not Linux, or a libc not named libc.so.6, such as musl's): callers then do nothing.
 */
import { dlopen, FFIType } from "bun:ffi";

export const PAGE = 4096;
export const MADV_DONTNEED = 4;

export type Libc = {
  mincore(addr: number, length: number, vec: Uint8Array): number;
  madvise(addr: number, length: number, advice: number): number;
};

let libc: Libc | null | undefined;

export function openLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.platform !== "linux") return libc;
  try {
    const { symbols } = dlopen("libc.so.6", {
      mincore: { args: [FFIType.ptr, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
      madvise: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
    });
    libc = {
      mincore: (addr, length, vec) => symbols.mincore(addr, length, vec),
      madvise: (addr, length, advice) => symbols.madvise(addr, length, advice),
    };
  } catch {
    // Not glibc (musl names it differently): the memory stays as it is.
  }
  return libc;
}

/**
 * `MADV_DONTNEED` on the pages from `start` (page-aligned) for which `giveBack(page)` holds, one call per
 * run of such pages. Returns the bytes given back.
 */
export function dontNeedPages(
  libc: Libc,
  start: number,
  pages: number,
  giveBack: (page: number) => boolean,
): number {
  let given = 0;
  let run = -1;
  const flush = (end: number) => {
    if (run < 0) return;
    if (libc.madvise(start + run * PAGE, (end - run) * PAGE, MADV_DONTNEED) === 0)
      given += (end - run) * PAGE;
    run = -1;
  };
  for (let page = 0; page < pages; page++) {
    if (!giveBack(page)) flush(page);
    else if (run < 0) run = page;
  }
  flush(pages);
  return given;
}
