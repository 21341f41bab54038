/** A store's report as an admin reads it: refusals grouped by reason, filtered, paged (sources/report.ts). */
import { describe, expect, test } from "bun:test";
import {
  type ReportEntry,
  refusalGroup,
  refusalGroups,
  viewReport,
} from "../../../src/features/catalog/sources/report.ts";

describe("refusal groups", () => {
  // Reasons as the real stores' imports word them (docs/performance.md lists the groups).
  test.each([
    ["needs the Umbrel apps bitcoin, electrs", "needs other Umbrel apps"],
    ["needs the Umbrel app lightning", "needs other Umbrel apps"],
    ["the store marks it disabled", "disabled by the store"],
    [
      "service netdata: bind-mounts the host path /etc/passwd, which has no place in an app's container",
      "a host path",
    ],
    [
      "service gladys: passes the host devices /dev/ttyUSB0, /dev/ttyACM0 into its container (devices), which an app's container never gets",
      "a host device",
    ],
    [
      "service docker: mounts the single file ${APP_DATA_DIR}/entrypoint.sh at /entrypoint.sh: a volume at its directory would hide files there (/ holds the image's own files)",
      "a single file in a directory a volume would hide",
    ],
    ["uses ${TOR_PROXY_IP}: needs Umbrel's Tor service", "Umbrel's Tor service"],
    ["uses ${NETWORK_IP}, which only umbrel provides", "values only Umbrel or another app provides"],
    [
      "uses ${APP_BITCOIN_RPC_USER}, a value another Umbrel app provides",
      "values only Umbrel or another app provides",
    ],
    [
      "compose: service wg-easy: cap_add may only name NET_ADMIN, NET_RAW, SYS_PTRACE (got SYS_MODULE)",
      "capabilities beyond NET_ADMIN, NET_RAW, SYS_PTRACE",
    ],
    ["does not run on amd64 (only arm64)", "not built for this cluster's architecture"],
    [
      "its file nitter.conf ships a fixed secret (hmacKey): a public default credential is never imported",
      "a fixed credential the store ships",
    ],
    [
      "its template users.yml ships a fixed password (password): a public default credential is never imported",
      "a fixed credential the store ships",
    ],
  ])("%s → %s", (reason, label) => {
    expect(refusalGroup(reason).label).toBe(label);
  });

  test("a reason of no known kind is grouped with the same reason of other services", () => {
    const a = refusalGroup("compose: service web: privileged is not allowed");
    const b = refusalGroup("compose: service homebridge: privileged is not allowed");
    expect(a).toEqual(b);
    expect(a).toEqual({ key: "privileged-not-allowed", label: "privileged (not allowed)" });
    expect(refusalGroup("compose: service x: pid: host is not allowed").key).not.toBe(a.key);
  });

  test("keys are safe in a URL", () => {
    for (const reason of ['the main service "<b>" is not in the compose file', "ünïcode ✓ only"]) {
      expect(refusalGroup(reason).key).toMatch(/^[a-z0-9-]{1,60}$/);
    }
  });
});

const entry = (n: number, status: ReportEntry["status"], reasons: string[] = []): ReportEntry => ({
  id: `s/app-${String(n).padStart(2, "0")}`,
  name: `App ${n}`,
  status,
  reasons,
});

/** 25 entries: 10 privileged, 4 host path (one also privileged, second), 11 imported. */
const ENTRIES: ReportEntry[] = [
  ...Array.from({ length: 10 }, (_, i) =>
    entry(i, "refused", ["compose: service a: privileged is not allowed"]),
  ),
  ...Array.from({ length: 3 }, (_, i) =>
    entry(10 + i, "refused", [
      "service a: bind-mounts the host path /proc, which has no place in an app's container",
    ]),
  ),
  entry(13, "refused", [
    "service a: bind-mounts the host path /sys, which has no place in an app's container",
    "compose: service a: privileged is not allowed",
  ]),
  ...Array.from({ length: 11 }, (_, i) => entry(14 + i, "imported")),
];

describe("the report view", () => {
  test("each refused app counts once, under its first reason, the biggest group first", () => {
    expect(refusalGroups(ENTRIES)).toEqual([
      { key: "privileged-not-allowed", label: "privileged (not allowed)", count: 10 },
      { key: "a-host-path", label: "a host path", count: 4 },
    ]);
  });

  test("a status, a reason, a page", () => {
    const refused = viewReport(ENTRIES, { status: "refused", page: 1, perPage: 6 });
    expect(refused).toMatchObject({ total: 14, page: 1, pages: 3, imported: 11, refused: 14 });
    expect(refused.entries.map((e) => e.id)).toEqual(ENTRIES.slice(0, 6).map((e) => e.id));
    const last = viewReport(ENTRIES, { status: "refused", page: 3, perPage: 6 });
    expect(last.entries.map((e) => e.id)).toEqual(["s/app-12", "s/app-13"]);
    // A page past the end is the last one.
    expect(viewReport(ENTRIES, { status: "refused", page: 99, perPage: 6 }).page).toBe(3);

    const hostPath = viewReport(ENTRIES, { status: "refused", reason: "a-host-path" });
    expect(hostPath.entries.map((e) => e.id)).toEqual(["s/app-10", "s/app-11", "s/app-12", "s/app-13"]);
    expect(hostPath.pages).toBe(1);
    expect(viewReport(ENTRIES, { status: "imported" }).total).toBe(11);
    expect(viewReport(ENTRIES, { status: "all" }).total).toBe(25);
    expect(viewReport(ENTRIES, { status: "refused", reason: "no-such-group" }).entries).toEqual([]);
  });
});
