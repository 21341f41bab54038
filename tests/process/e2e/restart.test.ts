import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PASSWORD } from "../../helpers/harness.ts";
import { launchProximity, spawnProximity, startCommand, whenReady } from "../../helpers/process.ts";

// Real sockets and processes on a 2-core machine: Bun's 5 s default is too tight (set per file: a
// preload's setDefaultTimeout only reaches the first file).
setDefaultTimeout(60_000);

const dataDir = mkdtempSync(join(tmpdir(), "proximity-e2e-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const post = (url: string, path: string, body: unknown) =>
  fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("a real process on the embedded database", () => {
  test("a user registered before a restart can log in after it; SIGTERM closes cleanly", async () => {
    const first = await spawnProximity({ DATA_DIR: dataDir });
    try {
      expect(
        (await post(first.url, "/api/v1/auth/register", { username: "keeper", password: PASSWORD })).status,
      ).toBe(201);
      // A second process on the same data directory is refused while the first runs.
      await expect(spawnProximity({ DATA_DIR: dataDir }, undefined, 20_000)).rejects.toThrow(
        /in use by another Proximity process/,
      );
    } finally {
      expect(await first.stop("SIGTERM")).toBe(0);
    }
    expect(first.output()).toContain("SIGTERM received, shutting down");
    expect(existsSync(join(dataDir, "pglite.lock"))).toBe(false);
    expect(statSync(join(dataDir, "secret.key")).mode & 0o777).toBe(0o600);

    const second = await spawnProximity({ DATA_DIR: dataDir });
    try {
      // Past the second after which the process drops the compiled code of its start (boot/server.ts): what
      // ran at start and runs again below (the routes, the database client) is compiled again.
      await Bun.sleep(2_000);
      const res = await post(second.url, "/api/v1/auth/login", { username: "keeper", password: PASSWORD });
      expect(res.status).toBe(200);
      const { access_token } = (await res.json()) as { access_token: string };
      // The same generated secret key signs and verifies across restarts.
      const me = await fetch(`${second.url}/api/v1/auth/me`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(me.status).toBe(200);
    } finally {
      expect(await second.stop("SIGINT")).toBe(0);
    }
  }, 90_000);

  test("after a kill -9 the stale lock is taken over and the data is intact", async () => {
    const first = await spawnProximity({ DATA_DIR: dataDir });
    await first.stop("SIGKILL");
    expect(existsSync(join(dataDir, "pglite.lock"))).toBe(true);
    const second = await spawnProximity({ DATA_DIR: dataDir });
    try {
      // Past the second after which the process drops the compiled code of its start (boot/server.ts): what
      // ran at start and runs again below (the routes, the database client) is compiled again.
      await Bun.sleep(2_000);
      const res = await post(second.url, "/api/v1/auth/login", { username: "keeper", password: PASSWORD });
      expect(res.status).toBe(200);
    } finally {
      await second.stop();
    }
  }, 90_000);

  test("a SIGTERM while the database opens waits for the start, then closes it cleanly", async () => {
    const launched = launchProximity({ DATA_DIR: dataDir, LOG_LEVEL: "debug" }, startCommand());
    // Logged while the embedded database opens, before the server listens.
    const opening = () => launched.output().includes("file bundle was trimmed") || undefined;
    await whenReady(launched, () => (opening() ? "opening" : undefined), 60_000, "open its database");
    launched.proc.kill("SIGTERM");
    expect(await launched.proc.exited).toBe(0);
    const output = launched.output();
    expect(output).toContain("SIGTERM received, shutting down");
    // The embedded database was closed, not left open by the signal's default action.
    expect(existsSync(join(dataDir, "pglite.lock"))).toBe(false);
    const again = await spawnProximity({ DATA_DIR: dataDir });
    expect(await again.stop("SIGTERM")).toBe(0);
  });
});
