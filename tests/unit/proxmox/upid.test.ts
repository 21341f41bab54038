import { describe, expect, test } from "bun:test";
import { isTaskSuccess } from "../../../src/proxmox/tasks.ts";
import { isUpid, parseUpid } from "../../../src/proxmox/upid.ts";

describe("parseUpid", () => {
  test("parses PVE's format with uppercase hex", () => {
    expect(parseUpid("UPID:pve:000A1B2C:0139F3C5:65A1B2C3:vzcreate:101:root@pam:")).toEqual({
      upid: "UPID:pve:000A1B2C:0139F3C5:65A1B2C3:vzcreate:101:root@pam:",
      node: "pve",
      pid: 0x000a1b2c,
      pstart: 0x0139f3c5,
      starttime: 0x65a1b2c3,
      type: "vzcreate",
      id: "101",
      user: "root@pam",
    });
  });

  test("token users, empty ids, 9-digit pstart, dashed node names", () => {
    const u = parseUpid("UPID:pve-node-2:0019F0A2:10A3C5B11:6650A1B2:vzdump::proximity@pve!api:");
    expect(u.node).toBe("pve-node-2");
    expect(u.pstart).toBe(0x10a3c5b11);
    expect(u.id).toBe("");
    expect(u.user).toBe("proximity@pve!api");
    expect(u.type).toBe("vzdump");
  });

  test("rejects anything PVE would reject", () => {
    for (const bad of [
      "",
      "OK",
      "UPID:pve:000A1B2C:0139F3C5:65A1B2C3:vzcreate:101:root@pam", // no trailing colon
      "UPID:pve:XYZ:0139F3C5:65A1B2C3:vzcreate:101:root@pam:",
      "UPID:-pve:000A1B2C:0139F3C5:65A1B2C3:vzcreate:101:root@pam:",
      "UPID:pve:000A1B2C:0139F3C5:65A1B2C3:vz/create:101:root@pam:",
    ]) {
      expect(() => parseUpid(bad)).toThrow(/not a UPID/);
      expect(isUpid(bad)).toBe(false);
    }
  });
});

describe("isTaskSuccess", () => {
  test("OK and WARNINGS count as success, everything else fails", () => {
    expect(isTaskSuccess("OK")).toBe(true);
    expect(isTaskSuccess("WARNINGS: 2")).toBe(true);
    expect(isTaskSuccess("unable to create CT 100 - can't find file")).toBe(false);
    expect(isTaskSuccess("job errors")).toBe(false);
    expect(isTaskSuccess("unexpected status")).toBe(false);
    expect(isTaskSuccess(undefined)).toBe(false);
    expect(isTaskSuccess("")).toBe(false);
  });
});
