/**
 * Bun's side of `Runtime.discardZeroPages` (Linux, through libc's mincore and madvise over bun:ffi).
 *
 * JSC maps a WebAssembly memory privately and anonymously. A page of such a mapping that was written with
 * zeros (a module zero-filling what it allocates) is resident all the same; MADV_DONTNEED gives it back and
 * the next read sees a fresh zero page: the same bytes. Only resident pages are read (mincore), so the scan
 * faults nothing in; nothing else writes the memory meanwhile (a WebAssembly module without threads runs on
 * this thread, and this runs synchronously).
 */
import { dlopen, FFIType, ptr } from "bun:ffi";

const PAGE = 4096;
const MADV_DONTNEED = 4;
const ZERO_PAGE = Buffer.alloc(PAGE);

type Libc = {
  mincore(addr: number, length: number, vec: Uint8Array): number;
  madvise(addr: number, length: number, advice: number): number;
};

let libc: Libc | null | undefined;

function openLibc(): Libc | null {
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

export function discardZeroPages(memory: WebAssembly.Memory): number {
  const calls = openLibc();
  if (!calls) return 0;
  const buffer = memory.buffer;
  const base = ptr(new Uint8Array(buffer));
  // Whole pages only: from the first page boundary inside the buffer to the last.
  const skip = (PAGE - (base % PAGE)) % PAGE;
  const pages = Math.floor((buffer.byteLength - skip) / PAGE);
  if (pages <= 0) return 0;
  const start = base + skip;
  const resident = new Uint8Array(pages);
  if (calls.mincore(start, pages * PAGE, resident) !== 0) return 0;
  let given = 0;
  let run = -1;
  const flush = (end: number) => {
    if (run < 0) return;
    if (calls.madvise(start + run * PAGE, (end - run) * PAGE, MADV_DONTNEED) === 0)
      given += (end - run) * PAGE;
    run = -1;
  };
  for (let page = 0; page < pages; page++) {
    const zero =
      (resident[page]! & 1) === 1 && Buffer.from(buffer, skip + page * PAGE, PAGE).equals(ZERO_PAGE);
    if (zero) {
      if (run < 0) run = page;
    } else {
      flush(page);
    }
  }
  flush(pages);
  return given;
}
