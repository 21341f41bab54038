/**
 * PGlite looks for its WASM and data files next to its own module, which inside a `bun build --compile`
 * binary is the virtual /$bunfs root (ENOENT). The runtime adapter hands them over instead: embedded in the
 * binary under Bun, read from node_modules under Deno.
 */
import { runtime } from "../core/runtime/index.ts";

export interface PgliteAssets {
  pgliteWasmModule: WebAssembly.Module;
  initdbWasmModule: WebAssembly.Module;
  fsBundle: Blob;
}

let cached: Promise<PgliteAssets> | undefined;

export function loadPgliteAssets(): Promise<PgliteAssets> {
  cached ??= (async () => {
    const files = await runtime.pgliteFiles();
    const [pglite, initdb] = await Promise.all([
      WebAssembly.compile(files.pgliteWasm),
      WebAssembly.compile(files.initdbWasm),
    ]);
    return { pgliteWasmModule: pglite, initdbWasmModule: initdb, fsBundle: files.fsBundle };
  })();
  return cached;
}
