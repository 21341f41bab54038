/** DATA_DIR is owner-only on a real PGlite directory (docs/security.md: "Data at rest"). */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exposedEntries } from "../../../src/boot/data-dir.ts";
import { PASSWORD } from "../../helpers/harness.ts";
import { spawnProximity } from "../../helpers/process.ts";

// About 3× the slowest test measured alone on the 2-core machine (21 s).
setDefaultTimeout(60_000);

const root = mkdtempSync(join(tmpdir(), "proximity-datadir-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const register = (url: string) =>
  fetch(`${url}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "keeper", password: PASSWORD }),
  });

describe("data at rest", () => {
  test("a new DATA_DIR and every file PGlite writes in it (WAL included) are owner-only", async () => {
    const dataDir = join(root, "fresh", "data");
    const proc = await spawnProximity({ DATA_DIR: dataDir }, undefined, 60_000);
    try {
      expect((await register(proc.url)).status).toBe(201);
    } finally {
      expect(await proc.stop("SIGTERM")).toBe(0);
    }
    const open = exposedEntries(dataDir);
    const all = new Bun.Glob("**/*").scanSync({ cwd: dataDir, onlyFiles: false });
    const count = [...all].length;
    console.log(`${count} entries under a fresh DATA_DIR, ${open.length} readable by others`);
    expect(count).toBeGreaterThan(100); // the PGlite cluster is really there
    expect([...new Bun.Glob("pglite/pg_wal/*").scanSync({ cwd: dataDir })].length).toBeGreaterThan(0);
    expect(open).toEqual([]);
    expect(proc.output()).not.toContain("can be read or entered");
  });

  test("an existing directory others can read is reported at start with the fix", async () => {
    const dataDir = join(root, "loose");
    mkdirSync(dataDir, { recursive: true });
    chmodSync(dataDir, 0o755);
    writeFileSync(join(dataDir, "notes.txt"), "left by an operator", { mode: 0o644 });
    chmodSync(join(dataDir, "notes.txt"), 0o644);
    const proc = await spawnProximity({ DATA_DIR: dataDir, DATABASE_URL: "memory://" }, undefined, 60_000);
    await proc.stop("SIGTERM");
    expect(proc.output()).toContain(
      `2 entries in the data directory ${dataDir} can be read or entered by other local users`,
    );
    expect(proc.output()).toContain(`chmod -R go-rwx ${dataDir}`);
  });
});
