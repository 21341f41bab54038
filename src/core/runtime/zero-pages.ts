/**
 * Bun's side of `Runtime.discardZeroPages` (Linux, through libc's mincore and madvise over bun:ffi).
 *
 * JSC maps a WebAssembly memory privately and anonymously. A page of such a mapping that was written with
 * zeros (a module zero-filling what it allocates) is resident all the same; MADV_DONTNEED gives it back and
 * the next read sees a fresh zero page: the same bytes. Only resident pages are read (mincore), so the scan
 * faults nothing in; nothing else writes the memory meanwhile (a WebAssembly module without threads runs on
 * this thread, and this runs synchronously).
 */
import { ptr } from "bun:ffi";
import { dontNeedPages, openLibc, PAGE } from "./libc.ts";

const ZERO_PAGE = Buffer.alloc(PAGE);

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
  return dontNeedPages(
    calls,
    start,
    pages,
    (page) => (resident[page]! & 1) === 1 && Buffer.from(buffer, skip + page * PAGE, PAGE).equals(ZERO_PAGE),
  );
}
