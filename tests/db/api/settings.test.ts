import { describe, expect, test } from "bun:test";
import { admin, adminAppPerTest, t } from "../../helpers/admin-app.ts";
import { auditTotal, createUser, errorOf } from "../../helpers/harness.ts";

adminAppPerTest();

describe("settings", () => {
  test("defaults are typed and complete", async () => {
    const res = await t.request("/api/v1/settings", { token: admin.token });
    expect(await res.json()).toEqual({
      resources: { cores: 2, memory_mb: 2048, disk_gb: 8, swap_mb: 512 },
      network: { bridge: "vmbr0", vlan: null, dns_servers: [], search_domain: null },
      storage: { rootfs: "local-lvm", templates: "local", backups: "local" },
      registration: "closed",
      quotas: {
        apps_per_user: 10,
        jobs_in_flight_per_user: 3,
        memory_mb_per_user: 16384,
        disk_gb_per_user: 256,
        admins_exempt: true,
      },
      catalog: { community_installs: "admins", source_refresh_hours: 24 },
      updates: { snapshots_keep: 1 },
      health: { interval_seconds: 60, failures: 3, storage_low_percent: 90 },
    });
  });

  test("an admin changes a section field by field; the rest is kept; a user can read it", async () => {
    const put = await t.request("/api/v1/settings", {
      method: "PUT",
      token: admin.token,
      json: { network: { vlan: 20, dns_servers: ["1.1.1.1"] }, storage: { rootfs: "ceph-pool" } },
    });
    expect(put.status).toBe(200);
    const user = await createUser(t, admin, "reader");
    const got = (await (await t.request("/api/v1/settings", { token: user.token })).json()) as Record<
      string,
      Record<string, unknown>
    >;
    expect(got.network).toEqual({ bridge: "vmbr0", vlan: 20, dns_servers: ["1.1.1.1"], search_domain: null });
    expect(got.storage).toEqual({ rootfs: "ceph-pool", templates: "local", backups: "local" });
  });

  test.each([
    [{ resources: { cores: 0 } }, "resources.cores"],
    [{ resources: { memory_mb: "lots" } }, "resources.memory_mb"],
    [{ network: { vlan: 5000 } }, "network.vlan"],
    [{ network: { bridge: "vmbr0; rm -rf /" } }, "network.bridge"],
    [{ network: { dns_servers: ["not-an-ip"] } }, "network.dns_servers.0"],
    [{ storage: { rootfs: "../etc" } }, "storage.rootfs"],
    [{ registration: "sometimes" }, "registration"],
    [{ unknown_section: {} }, ""],
  ])("invalid %j → 422 naming %s, nothing stored", async (body, field) => {
    const before = await (await t.request("/api/v1/settings", { token: admin.token })).json();
    const res = await t.request("/api/v1/settings", { method: "PUT", token: admin.token, json: body });
    expect(res.status).toBe(422);
    const error = await errorOf(res);
    expect(error.code).toBe("VALIDATION_FAILED");
    if (field) expect(error.details!.map((d) => d.field)).toContain(field);
    expect(await (await t.request("/api/v1/settings", { token: admin.token })).json()).toEqual(before);
  });

  test("a change is audited", async () => {
    await t.request("/api/v1/settings", {
      method: "PUT",
      token: admin.token,
      json: { registration: "open" },
    });
    expect(await auditTotal(t, admin, "settings.update")).toBe(1);
  });
});
