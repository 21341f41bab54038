/**
 * runtime.discardZeroPages on Bun: the all-zero resident pages of a WebAssembly memory are given back to the
 * system, and the memory reads and writes exactly as before (src/core/runtime/zero-pages.ts).
 */
import { ptr } from "bun:ffi";
import { expect, test } from "bun:test";
import { openSync, readSync } from "node:fs";
import { bunRuntime } from "../../../src/core/runtime/bun.ts";

const PAGE = 4096;

/** How many of the memory's pages are resident, from /proc/self/pagemap (bit 63 of each entry). */
function residentPages(memory: WebAssembly.Memory): number {
  const base = ptr(new Uint8Array(memory.buffer));
  const pages = memory.buffer.byteLength / PAGE;
  const entries = Buffer.alloc(pages * 8);
  readSync(openSync("/proc/self/pagemap", "r"), entries, 0, entries.length, (base / PAGE) * 8);
  let n = 0;
  for (let i = 0; i < pages; i++) if (entries.readBigUInt64LE(i * 8) >> 63n) n++;
  return n;
}

test("zero-filled pages of a WebAssembly memory are given back; its bytes stay the same", () => {
  const memory = new WebAssembly.Memory({ initial: 64 }); // 4 MiB, 1024 pages
  const bytes = new Uint8Array(memory.buffer);
  // What a C library's zero-fill leaves: 200 pages written with zeros, resident.
  bytes.fill(1, 100 * PAGE, 300 * PAGE);
  bytes.fill(0, 100 * PAGE, 300 * PAGE);
  // Pages in use: data, and a page that is zero but for its last byte.
  for (let i = 0; i < 10 * PAGE; i++) bytes[500 * PAGE + i] = (i * 7) & 0xff;
  bytes[601 * PAGE - 1] = 9;
  const before = bytes.slice();
  const residentBefore = residentPages(memory);
  expect(residentBefore).toBeGreaterThanOrEqual(211);

  const given = bunRuntime.discardZeroPages!(memory);
  expect(given).toBeGreaterThanOrEqual(200 * PAGE);
  expect(given).toBeLessThanOrEqual(residentBefore * PAGE - 11 * PAGE);
  expect(residentPages(memory)).toBeLessThanOrEqual(residentBefore - 200);
  expect(Buffer.from(new Uint8Array(memory.buffer)).equals(Buffer.from(before))).toBe(true);
  // Written again like any page.
  bytes[150 * PAGE] = 42;
  expect(bytes[150 * PAGE]).toBe(42);
  expect(bytes[150 * PAGE + 1]).toBe(0);
  before[150 * PAGE] = 42;
  // Again: the data pages stay (pages only read meanwhile, mapped to the kernel's zero page, may go).
  bunRuntime.discardZeroPages!(memory);
  expect(Buffer.from(new Uint8Array(memory.buffer)).equals(Buffer.from(before))).toBe(true);
});
