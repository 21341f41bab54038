/** The retention policy (PVE prune-backups rules) on synthetic backup sets, and cron validation. */
import { describe, expect, test } from "bun:test";
import { cronProblem, latestSlot } from "../../../src/features/backups/cron.ts";
import {
  type RetentionPolicy,
  selectBackupsToKeep,
  selectBackupsToPrune,
} from "../../../src/features/backups/retention.ts";
import { findBackupVolume } from "../../../src/features/backups/volumes.ts";

const policy = (p: Partial<RetentionPolicy>): RetentionPolicy => ({
  keep_last: 0,
  keep_daily: 0,
  keep_weekly: 0,
  keep_monthly: 0,
  ...p,
});

/** Backups named by their UTC time "MM-DD HH:MM" in 2026. */
const set = (...times: string[]) =>
  times.map((t) => ({ id: t, time: new Date(`2026-${t.replace(" ", "T")}:00Z`) }));

const kept = (times: string[], p: Partial<RetentionPolicy>, tz = "UTC") =>
  [...selectBackupsToKeep(set(...times), policy(p), tz)].sort();

describe("selectBackupsToKeep", () => {
  const cases: [string, string[], Partial<RetentionPolicy>, string[]][] = [
    ["empty set", [], { keep_last: 3 }, []],
    ["no rule keeps everything", ["01-01 03:00", "01-02 03:00"], {}, ["01-01 03:00", "01-02 03:00"]],
    [
      "keep_last 2 of 4",
      ["01-01 03:00", "01-02 03:00", "01-03 03:00", "01-04 03:00"],
      { keep_last: 2 },
      ["01-03 03:00", "01-04 03:00"],
    ],
    [
      "keep_last larger than the set",
      ["01-01 03:00", "01-02 03:00"],
      { keep_last: 5 },
      ["01-01 03:00", "01-02 03:00"],
    ],
    [
      "keep_daily keeps the newest of each day",
      ["01-01 03:00", "01-01 15:00", "01-02 03:00", "01-02 15:00", "01-03 03:00"],
      { keep_daily: 2 },
      ["01-02 15:00", "01-03 03:00"],
    ],
    [
      "days already covered by keep_last do not count toward keep_daily",
      ["01-01 06:00", "01-02 06:00", "01-02 12:00", "01-02 18:00"],
      { keep_last: 2, keep_daily: 1 },
      ["01-01 06:00", "01-02 12:00", "01-02 18:00"],
    ],
    [
      "a day's older backups are not kept by a later rule",
      ["01-05 06:00", "01-05 18:00"],
      { keep_daily: 1, keep_weekly: 1 },
      ["01-05 18:00"],
    ],
    [
      "keep_weekly uses ISO weeks (Mon 01-05 .. Sun 01-11 is one week)",
      ["01-04 12:00", "01-05 12:00", "01-08 12:00", "01-11 12:00", "01-12 12:00"],
      { keep_weekly: 2 },
      ["01-11 12:00", "01-12 12:00"],
    ],
    [
      "keep_monthly",
      ["01-10 03:00", "01-20 03:00", "02-10 03:00", "03-01 03:00", "03-02 03:00"],
      { keep_monthly: 2 },
      ["02-10 03:00", "03-02 03:00"],
    ],
    [
      "all rules together",
      [
        "01-01 03:00",
        "01-15 03:00",
        "02-01 03:00",
        "02-02 03:00",
        "02-03 03:00",
        "02-03 15:00",
        "02-04 03:00",
      ],
      { keep_last: 1, keep_daily: 2, keep_weekly: 1, keep_monthly: 2 },
      // last: 02-04; daily: 02-03 15:00, 02-02; weekly: week 5 (01-26..02-01) → 02-01; monthly: Jan → 01-15.
      ["01-15 03:00", "02-01 03:00", "02-02 03:00", "02-03 15:00", "02-04 03:00"],
    ],
  ];
  test.each(cases)("%s", (_name, times, p, expected) => {
    expect(kept(times, p)).toEqual(expected);
    const pruned = selectBackupsToPrune(set(...times), policy(p)).map((b) => b.id);
    expect([...pruned, ...expected].sort()).toEqual([...times].sort());
  });

  test("days are counted in the schedule's time zone", () => {
    // 23:30 UTC on 01-01 is already 01-02 in Berlin, the same day as 01-02 10:00.
    const times = ["01-01 23:30", "01-02 10:00"];
    expect(kept(times, { keep_daily: 2 }, "UTC")).toEqual(["01-01 23:30", "01-02 10:00"]);
    expect(kept(times, { keep_daily: 2 }, "Europe/Berlin")).toEqual(["01-02 10:00"]);
  });

  test("input order does not matter", () => {
    const times = ["01-03 03:00", "01-01 03:00", "01-04 03:00", "01-02 03:00"];
    expect(kept(times, { keep_last: 2 })).toEqual(["01-03 03:00", "01-04 03:00"]);
  });
});

describe("cron", () => {
  test.each([
    ["0 3 * * *", "UTC", null],
    ["30 2 * * 1-5", "Europe/Berlin", null],
    ["*/15 * * * *", "America/New_York", null],
    ["* * * * *", "UTC", "at most every 5 minutes"],
    ["0 3 * *", "UTC", "5-field"],
    ["0 0 3 * * *", "UTC", "5-field"],
    ["61 3 * * *", "UTC", "5-field"],
    ["0 3 * * *", "Mars/Olympus", "time zone"],
  ])("%s in %s", (expr, tz, problem) => {
    const got = cronProblem(expr, tz);
    if (problem === null) expect(got).toBeNull();
    else expect(got).toContain(problem);
  });

  test("latestSlot is the newest run in (after, now], in the schedule's time zone", () => {
    const after = new Date("2026-03-10T00:00:00Z");
    expect(latestSlot("0 3 * * *", "UTC", after, new Date("2026-03-10T02:59:00Z"))).toBeNull();
    expect(latestSlot("0 3 * * *", "UTC", after, new Date("2026-03-12T04:00:00Z"))?.toISOString()).toBe(
      "2026-03-12T03:00:00.000Z",
    );
    // 03:00 in Berlin (CET, UTC+1) is 02:00 UTC.
    expect(
      latestSlot("0 3 * * *", "Europe/Berlin", after, new Date("2026-03-10T02:30:00Z"))?.toISOString(),
    ).toBe("2026-03-10T02:00:00.000Z");
    expect(
      latestSlot("0 3 * * *", "UTC", new Date("2026-03-10T03:00:00Z"), new Date("2026-03-10T04:00:00Z")),
    ).toBeNull();
  });
});

describe("findBackupVolume: the archive this task made, not the newest file", () => {
  const upid = "UPID:pve1:00001234:00005678:69B00000:vzdump:101:root@pam!proximity:";
  const started = 0x69b00000;
  const vol = (name: string, ctime: number, notes?: string) => ({
    volid: `local:backup/${name}`,
    format: "tar.zst",
    size: 1000,
    ctime,
    vmid: 101,
    ...(notes ? { notes } : {}),
  });
  const base = { backupId: "b-1", vmid: 101, upid, finishedAt: started + 30, knownVolids: new Set<string>() };

  test("by the notes naming the backup id, even when a newer archive exists", () => {
    const ours = vol("vzdump-lxc-101-a.tar.zst", started + 1, "Proximity app web (backup b-1)");
    const newer = vol("vzdump-lxc-101-b.tar.zst", started + 20, "someone else");
    expect(findBackupVolume([newer, ours], base)?.volid).toBe(ours.volid);
  });

  test("without notes: the only unknown archive inside the task's time window", () => {
    const old = vol("vzdump-lxc-101-old.tar.zst", started - 3600);
    const ours = vol("vzdump-lxc-101-a.tar.zst", started + 2);
    expect(findBackupVolume([old, ours], base)?.volid).toBe(ours.volid);
    // Two candidates: refuse to guess.
    const other = vol("vzdump-lxc-101-c.tar.zst", started + 5);
    expect(findBackupVolume([old, ours, other], base)).toBeUndefined();
    // One of them already recorded: the other is ours.
    expect(
      findBackupVolume([old, ours, other], { ...base, knownVolids: new Set([other.volid]) })?.volid,
    ).toBe(ours.volid);
  });
});
