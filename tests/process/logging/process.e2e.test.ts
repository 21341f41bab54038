/**
 * The real process: with stdout piped (not a terminal) every line is JSON; LOG_FORMAT=pretty and LOG_LEVEL
 * are read from the environment at start.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnProximity } from "../../helpers/process.ts";

// Two real processes, each starting the embedded database. About 3× what the slowest test took alone on
// the 2-core machine (29 s), so a slowdown shows instead of hiding under a limit of minutes.
setDefaultTimeout(90_000);
const START_MS = 60_000;

const dataDir = mkdtempSync(join(tmpdir(), "proximity-logging-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function waitFor(output: () => string, pattern: RegExp): Promise<void> {
  const end = Date.now() + 10_000;
  while (!pattern.test(output())) {
    if (Date.now() > end) throw new Error(`no line matching ${pattern} in:\n${output()}`);
    await Bun.sleep(25);
  }
}

describe("the process log", () => {
  test("stdout is not a terminal: JSON lines, access lines included, LOG_LEVEL=info hides the probes", async () => {
    const p = await spawnProximity({ DATA_DIR: dataDir, DATABASE_URL: "memory://" }, undefined, START_MS);
    try {
      expect((await fetch(`${p.url}/api/v1/system/info`)).status).toBe(401);
      expect((await fetch(`${p.url}/health`)).status).toBe(200);
      await waitFor(p.output, /"route":"\/api\/v1\/system\/info"/);
    } finally {
      expect(await p.stop()).toBe(0);
    }
    const lines = p.output().trim().split("\n");
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const e of entries) {
      expect(typeof e.time).toBe("string");
      expect(["info", "warn", "error"]).toContain(e.level as string);
    }
    expect(entries.some((e) => String(e.msg).includes("listening on"))).toBe(true);
    expect(entries.filter((e) => e.type === "access")).toEqual([
      expect.objectContaining({ method: "GET", route: "/api/v1/system/info", status: 401, user_id: null }),
    ]);
    expect(entries.at(-1)!.msg).toBe("SIGTERM received, shutting down");
  });

  test("LOG_FORMAT=pretty and LOG_LEVEL=debug: readable lines, probes included", async () => {
    const p = await spawnProximity(
      { DATA_DIR: dataDir, DATABASE_URL: "memory://", LOG_FORMAT: "pretty", LOG_LEVEL: "debug" },
      undefined,
      START_MS,
    );
    try {
      expect((await fetch(`${p.url}/health`)).status).toBe(200);
      await waitFor(p.output, /route=\/health/);
    } finally {
      await p.stop();
    }
    const lines = p.output().trim().split("\n");
    expect(lines.some((l) => /^\S+Z INFO {2}Proximity \S+ listening on http:/.test(l))).toBe(true);
    expect(
      lines.some((l) => /^\S+Z DEBUG GET \/health 200 type=access .*route=\/health status=200/.test(l)),
    ).toBe(true);
    for (const line of lines) expect(line.startsWith("{")).toBe(false);
  });
});
