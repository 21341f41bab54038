/**
 * PGlite looks for its WASM and data files next to its own module, which inside a `bun build --compile`
 * binary is the virtual /$bunfs root (ENOENT). Importing them as files makes Bun embed them in the binary
 * and gives us a path that works both under `bun run` and in the compiled binary.
 */
import initdbWasmPath from "@electric-sql/pglite/initdb.wasm" with { type: "file" };
import pgliteDataPath from "@electric-sql/pglite/pglite.data" with { type: "file" };
import pgliteWasmPath from "@electric-sql/pglite/pglite.wasm" with { type: "file" };

export interface PgliteAssets {
  pgliteWasmModule: WebAssembly.Module;
  initdbWasmModule: WebAssembly.Module;
  fsBundle: Blob;
}

let cached: Promise<PgliteAssets> | undefined;

export function loadPgliteAssets(): Promise<PgliteAssets> {
  cached ??= (async () => {
    const [pglite, initdb] = await Promise.all([
      WebAssembly.compile(await Bun.file(pgliteWasmPath).arrayBuffer()),
      WebAssembly.compile(await Bun.file(initdbWasmPath).arrayBuffer()),
    ]);
    return { pgliteWasmModule: pglite, initdbWasmModule: initdb, fsBundle: Bun.file(pgliteDataPath) };
  })();
  return cached;
}
