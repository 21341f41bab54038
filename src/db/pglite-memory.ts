/**
 * PGlite's WebAssembly memory after start.
 *
 * PostgreSQL's shared memory (12 MB: the 8 MB buffer pool, SLRU and WAL buffers, …) is written with zeros
 * when it is allocated (under Emscripten anonymous memory is zero-filled by the C library), so all of it is
 * resident from the first second although the pool holds only the pages read so far — about 10 MB of zeros
 * in a server at rest (docs/performance.md, "Seventh round", "Embedded database memory"). Native
 * PostgreSQL's shared memory stays untouched until used.
 * Giving the all-zero pages back (runtime.discardZeroPages) puts the embedded database in the same place:
 * they read as zeros again, and become resident when PostgreSQL writes to them.
 */
import type { Extension } from "@electric-sql/pglite";
import { runtime } from "../core/runtime/index.ts";
import { moduleExtension } from "./pglite-module.ts";

export interface WasmMemoryHandle {
  /** Lets the handle reach the instance's memory (PGlite passes the module to extensions' preRun). */
  extension: Extension;
  /** Gives the memory's all-zero pages back; the bytes given back (0 where the runtime cannot). */
  discardZeroPages(): number;
}

export function wasmMemoryHandle(): WasmMemoryHandle {
  let memory: WebAssembly.Memory | undefined;
  return {
    extension: moduleExtension<{ wasmMemory?: WebAssembly.Memory }>("proximity-wasm-memory", (mod) => {
      memory = mod.wasmMemory;
    }),
    discardZeroPages: () => (memory && runtime.discardZeroPages ? runtime.discardZeroPages(memory) : 0),
  };
}
