/**
 * The periodic chores' first runs come a moment after the server listens (boot/server.ts,
 * CHORES_START_DELAY_MS), so the first requests are not answered behind their statements; a stop before
 * they started is clean.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnProximity } from "../../helpers/process.ts";

setDefaultTimeout(60_000);

const dataDir = mkdtempSync(join(tmpdir(), "proximity-chores-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const probe = join(import.meta.dir, "../../fixtures/start/statement-probe.ts");
const command = ["bun", "--preload", probe, "src/index.ts"];

/** The probe's lines: when the server listened, and when each statement was sent. */
function timeline(output: string): { listening: number; statements: { at: number; text: string }[] } {
  let listening = Number.NaN;
  const statements: { at: number; text: string }[] = [];
  for (const line of output.split("\n")) {
    const m = /^probe: ([\d.]+) (listening|statement (.*))$/.exec(line);
    if (!m) continue;
    if (m[2] === "listening") listening = Number(m[1]);
    else statements.push({ at: Number(m[1]), text: m[3]! });
  }
  return { listening, statements };
}

describe("start", () => {
  test("the chores' first statements come at least 0.25 s after the server listens", async () => {
    const proximity = await spawnProximity({ DATA_DIR: dataDir }, command);
    try {
      expect((await fetch(`${proximity.url}/health`)).status).toBe(200);
      await Bun.sleep(1_500);
    } finally {
      expect(await proximity.stop("SIGTERM")).toBe(0);
    }
    const { listening, statements } = timeline(proximity.output());
    expect(listening).toBeGreaterThan(0);
    // The backup scheduler, health watching (its lease) and the update tick, each by a statement only it sends.
    for (const marker of [
      'from "backup_schedules"',
      'insert into "leases"',
      '"applications"."update_mode"',
    ]) {
      const first = statements.find((s) => s.text.includes(marker));
      expect(first, marker).toBeDefined();
      expect(first!.at - listening, marker).toBeGreaterThanOrEqual(240);
    }
  });

  test("a stop right after listening, before the chores started, exits cleanly", async () => {
    const proximity = await spawnProximity({ DATA_DIR: dataDir }, command);
    expect(await proximity.stop("SIGTERM")).toBe(0);
    const { listening, statements } = timeline(proximity.output());
    expect(statements.some((s) => s.at > listening && s.text.includes('from "backup_schedules"'))).toBe(
      false,
    );
    expect(proximity.output()).not.toContain('"level":"error"');
  });
});
