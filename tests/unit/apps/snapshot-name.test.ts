import { describe, expect, test } from "bun:test";
import { freshSnapshotName, snapshotName } from "../../../src/features/apps/guarded-update.ts";

describe("the guarded update's snapshot name", () => {
  const now = new Date("2026-12-07T02:35:47.123Z");

  test("is a name PVE accepts that sorts by time", () => {
    expect(snapshotName(now)).toBe("proximity_upd_20261207023547");
    expect(freshSnapshotName([], now)).toBe("proximity_upd_20261207023547");
    expect(freshSnapshotName(["proximity_upd_20261207023547_2"], now).length).toBeLessThanOrEqual(40);
  });

  test("a second update in the same second does not take the first one's snapshot for its own", () => {
    // Before: the second update found the first's snapshot by name, took none, and a failed health check
    // rolled back past the first update.
    const first = freshSnapshotName([], now);
    const second = freshSnapshotName(["manual", first], now);
    expect(second).toBe(`${first}_2`);
    expect(freshSnapshotName(["manual", first, second], now)).toBe(`${first}_3`);
  });
});
