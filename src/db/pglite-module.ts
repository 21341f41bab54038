/**
 * A PGlite extension that only hands over the Emscripten module once it exists: PGlite passes extensions the
 * module's options before it starts, and a `preRun` added there sees the module itself (its file system,
 * its WebAssembly memory). The bundle trim (pglite-bundle.ts) and the memory release (pglite-memory.ts) reach
 * PGlite's internals this way.
 */
import type { Extension } from "@electric-sql/pglite";

export function moduleExtension<Module>(name: string, seen: (mod: Module) => void): Extension {
  return {
    name,
    setup: async (_pg, emscriptenOpts) => ({
      emscriptenOpts: {
        ...emscriptenOpts,
        preRun: [...(emscriptenOpts.preRun ?? []), seen],
      },
    }),
  };
}
