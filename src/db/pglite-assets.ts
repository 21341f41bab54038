/**
 * PGlite looks for its WASM and data files next to its own module, which inside a `bun build --compile`
 * binary is the virtual /$bunfs root (ENOENT). The runtime adapter hands them over instead: embedded in the
 * binary under Bun, read from node_modules under Deno.
 */
import { type PgliteFiles, runtime } from "../core/runtime/index.ts";

export interface PgliteAssets {
  pgliteWasmModule: WebAssembly.Module;
  initdbWasmModule: WebAssembly.Module;
  fsBundle: Blob;
}

let pgliteModule: Promise<WebAssembly.Module> | undefined;
let initdbModule: Promise<WebAssembly.Module> | undefined;
/** The files compilePgliteAhead read, handed to the next loadPgliteAssets (and not kept after it). */
let filesAhead: Promise<PgliteFiles> | undefined;

/**
 * An empty module standing in for initdb.wasm when the data directory already exists: PGlite would
 * otherwise compile the real one (memory for nothing), and initdb never runs on such a start.
 */
const NO_INITDB = new WebAssembly.Module(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));

/**
 * Starts compiling pglite.wasm before the database is opened: JSC compiles it on a helper thread, so the
 * caller's own work meanwhile (index.ts: loading the rest of the code, ~0.2 s) overlaps it. Resolves once
 * the compile is under way; a failure is left to loadPgliteAssets to report.
 */
export async function compilePgliteAhead(): Promise<void> {
  if (pgliteModule || filesAhead) return;
  filesAhead = runtime.pgliteFiles();
  // A failed read is reported by loadPgliteAssets, which awaits the same promise.
  const files = await filesAhead.catch(() => undefined);
  if (!files || pgliteModule) return;
  const read = files.pgliteWasm();
  pgliteModule = read.then((bytes) => WebAssembly.compile(bytes));
  // Not unhandled meanwhile: loadPgliteAssets awaits the same promise and reports a failed read or compile.
  pgliteModule.catch(() => {});
  // The compile is chained to the read, so it is under way once the read is done.
  await read.catch(() => {});
}

/** `initdb: false` when the data directory is known to be initialised already. */
export async function loadPgliteAssets(
  options: { initdb: boolean } = { initdb: true },
): Promise<PgliteAssets> {
  const ahead = filesAhead;
  filesAhead = undefined;
  const files = await (ahead ?? runtime.pgliteFiles());
  pgliteModule ??= files.pgliteWasm().then((bytes) => WebAssembly.compile(bytes));
  if (options.initdb) initdbModule ??= files.initdbWasm().then((bytes) => WebAssembly.compile(bytes));
  return {
    pgliteWasmModule: await pgliteModule,
    initdbWasmModule: options.initdb ? await initdbModule! : NO_INITDB,
    fsBundle: files.fsBundle,
  };
}
