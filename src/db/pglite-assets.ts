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

let pgliteModule: Promise<WebAssembly.Module> | undefined;
let initdbModule: Promise<WebAssembly.Module> | undefined;

/**
 * An empty module standing in for initdb.wasm when the data directory already exists: PGlite would
 * otherwise fetch and compile the real one (memory for nothing), and initdb never runs on such a start.
 */
const NO_INITDB = new WebAssembly.Module(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));

/** `initdb: false` when the data directory is known to be initialised already. */
export async function loadPgliteAssets(
  options: { initdb: boolean } = { initdb: true },
): Promise<PgliteAssets> {
  pgliteModule ??= Bun.file(pgliteWasmPath)
    .arrayBuffer()
    .then((b) => WebAssembly.compile(b));
  if (options.initdb) {
    initdbModule ??= Bun.file(initdbWasmPath)
      .arrayBuffer()
      .then((b) => WebAssembly.compile(b));
  }
  return {
    pgliteWasmModule: await pgliteModule,
    initdbWasmModule: options.initdb ? await initdbModule! : NO_INITDB,
    fsBundle: Bun.file(pgliteDataPath),
  };
}
