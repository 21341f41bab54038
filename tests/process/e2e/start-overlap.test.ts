/**
 * index.ts starts compiling pglite.wasm (a helper thread's work) before it loads the rest of the code, so the
 * two overlap (docs/performance.md, "Seventh round"); PGlite's files are still read once.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnProximity } from "../../helpers/process.ts";

setDefaultTimeout(60_000);

const dataDir = mkdtempSync(join(tmpdir(), "proximity-overlap-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const probe = join(import.meta.dir, "../../fixtures/start/compile-probe.ts");

describe("start", () => {
  for (const which of ["a first start (image)", "an existing data directory"]) {
    test(`${which}: pglite.wasm compiles before the boot code is loaded, from one read of the files`, async () => {
      const proximity = await spawnProximity({ DATA_DIR: dataDir }, [
        "bun",
        "--preload",
        probe,
        "src/index.ts",
      ]);
      try {
        expect((await fetch(`${proximity.url}/health`)).status).toBe(200);
      } finally {
        expect(await proximity.stop("SIGTERM")).toBe(0);
      }
      const lines = proximity.output().split("\n");
      expect(lines.filter((l) => l.startsWith("probe: pglite.wasm compile starts"))).toEqual([
        "probe: pglite.wasm compile starts; boot/server.ts loaded: false",
      ]);
      expect(lines.filter((l) => l === "probe: PGlite's files read")).toHaveLength(1);
    });
  }
});
