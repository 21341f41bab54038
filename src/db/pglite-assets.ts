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

let pgliteModule: Promise<WebAssembly.Module> | undefined;
let initdbModule: Promise<WebAssembly.Module> | undefined;

/**
 * An empty module standing in for initdb.wasm when the data directory already exists: PGlite would
 * otherwise compile the real one (memory for nothing), and initdb never runs on such a start.
 */
const NO_INITDB = new WebAssembly.Module(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));

/** `initdb: false` when the data directory is known to be initialised already. */
export async function loadPgliteAssets(
  options: { initdb: boolean } = { initdb: true },
): Promise<PgliteAssets> {
  const files = await runtime.pgliteFiles();
  pgliteModule ??= files.pgliteWasm().then((bytes) => WebAssembly.compile(bytes));
  if (options.initdb) initdbModule ??= files.initdbWasm().then((bytes) => WebAssembly.compile(bytes));
  return {
    pgliteWasmModule: await pgliteModule,
    initdbWasmModule: options.initdb ? await initdbModule! : NO_INITDB,
    fsBundle: files.fsBundle,
  };
}
