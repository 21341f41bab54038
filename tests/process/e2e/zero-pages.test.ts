/**
 * A second after listening, the server on the embedded database gives back the memory PostgreSQL zero-filled
 * at start and has not used (boot/server.ts, src/db/pglite-memory.ts), and keeps serving from it.
 */
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PASSWORD } from "../../helpers/harness.ts";
import { signUpOverHttp, spawnProximity } from "../../helpers/process.ts";

setDefaultTimeout(60_000);

const dataDir = mkdtempSync(join(tmpdir(), "proximity-zero-pages-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

test("the embedded database's unused zero-filled memory is given back a second after listening", async () => {
  const proximity = await spawnProximity({ DATA_DIR: dataDir, LOG_LEVEL: "debug" });
  try {
    const given = () =>
      proximity.output().match(/zero-filled, unused memory was given back","bytes":(\d+)/)?.[1];
    for (let i = 0; i < 100 && !given(); i++) await Bun.sleep(50);
    // Most of the 8 MB buffer pool and more.
    expect(Number(given())).toBeGreaterThan(4 * 1024 * 1024);
    // Still serving from the database: a user registers and logs in (a failed login throws).
    expect((await signUpOverHttp(proximity.url, "keeper", PASSWORD)).token).toBeTruthy();
  } finally {
    expect(await proximity.stop("SIGTERM")).toBe(0);
  }
});
