/** POST /hosts/{id}/test runs the preflight against the strict simulator: each check, and deploys refused. */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  type RunningSimulator,
  type SimulatorOptions,
  startSimulator,
} from "../../../src/simulator/index.ts";
import { appWithAdmin, type Session, type TestApp } from "../../helpers/harness.ts";
import { simControl, simHostBody } from "../../helpers/sim.ts";

setDefaultTimeout(60_000);

interface Check {
  name: string;
  ok: boolean;
  severity: string;
  detail: string;
  fix: string | null;
}
interface TestResult {
  ok: boolean;
  reason?: string;
  checks: Check[];
}

let t: TestApp;
let admin: Session;
const sims: RunningSimulator[] = [];
beforeAll(async () => {
  ({ t, admin } = await appWithAdmin());
});
afterAll(async () => {
  t.services.hosts.close();
  for (const s of sims) await s.stop();
});

async function hostFor(opts: SimulatorOptions, ssh: { username?: string; password?: string } = {}) {
  const sim = await startSimulator({ nodes: 2, speed: 500, ...opts });
  sims.push(sim);
  const res = await t.request("/api/v1/hosts", {
    method: "POST",
    token: admin.token,
    json: {
      ...simHostBody(sim),
      name: `sim-${crypto.randomUUID().slice(0, 6)}`,
      ssh: { ...simHostBody(sim).ssh, ...ssh },
    },
  });
  expect(res.status).toBe(201);
  return { sim, id: ((await res.json()) as { host: { id: string } }).host.id };
}

const run = async (id: string) =>
  (await (
    await t.request(`/api/v1/hosts/${id}/test`, { method: "POST", token: admin.token })
  ).json()) as TestResult;
const named = (r: TestResult, name: string) => r.checks.find((c) => c.name === name)!;

describe("preflight", () => {
  test("a healthy 9.2 cluster passes every check, on ZFS and dir installs alike", async () => {
    const { id } = await hostFor({ storageLayouts: ["zfs", "dir"] });
    const r = await run(id);
    expect(r.ok).toBe(true);
    expect(r.checks.every((c) => c.severity === "ok")).toBe(true);
    expect(named(r, "pve_version").detail).toBe("Proxmox VE 9.2.11");
    expect(named(r, "node pve1: rootfs storage").detail).toBe("local-zfs (zfspool)");
    expect(named(r, "node pve2: rootfs storage").detail).toBe("local (dir)");
    expect(named(r, "node pve2: lxc-pve").detail).toBe("lxc-pve 6.0.5-2");
    expect(named(r, "node pve1: ssh and pct").ok).toBe(true);
    expect(named(r, "oci_containers")).toMatchObject({ severity: "ok", fix: null });
    expect(named(r, "oci_containers").detail).toContain("can run single-service apps as OCI containers");
  });

  test("8.4 passes with warnings: end of life, and lxc-pve older than 6.0.5-2", async () => {
    const { id } = await hostFor({ pve: "8.4" });
    const r = await run(id);
    expect(r.ok).toBe(true);
    expect(named(r, "pve_version")).toMatchObject({ severity: "warning", ok: true });
    expect(named(r, "pve_version").detail).toContain("end of life");
    expect(named(r, "node pve1: lxc-pve")).toMatchObject({
      severity: "warning",
      fix: "On pve1: apt update && apt full-upgrade",
    });
    expect(named(r, "oci_containers")).toMatchObject({
      ok: true,
      severity: "warning",
      fix: "Upgrade the cluster to Proxmox VE 9.1 or later",
    });
    expect(named(r, "oci_containers").detail).toContain("apps use the Docker runtime");
  });

  test("a token with the documented role but without Sys.AccessNetwork: OCI warns with the fix, the host passes", async () => {
    const role = [
      ...["VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone", "VM.Config.CPU", "VM.Config.Disk"],
      ...["VM.Config.Memory", "VM.Config.Network", "VM.Config.Options", "VM.PowerMgmt", "VM.Snapshot"],
      ...[
        "VM.Snapshot.Rollback",
        "Datastore.Allocate",
        "Datastore.AllocateSpace",
        "Datastore.AllocateTemplate",
      ],
      ...["Datastore.Audit", "Sys.Audit", "SDN.Use"],
    ];
    const { id } = await hostFor({ tokenAcl: { "/": role } });
    const r = await run(id);
    expect(r.ok).toBe(true);
    expect(named(r, "privileges").severity).toBe("ok");
    const oci = named(r, "oci_containers");
    expect(oci).toMatchObject({ ok: true, severity: "warning" });
    expect(oci.detail).toBe(
      "The token lacks /nodes/pve1: Sys.AccessNetwork; /nodes/pve2: Sys.AccessNetwork, so it cannot pull OCI images; apps use the Docker runtime",
    );
    expect(oci.fix).toBe(
      `pveum role add ProximityOCI --privs "Sys.AccessNetwork Datastore.AllocateTemplate" && pveum acl modify / --tokens 'root@pam!proximity' --roles ProximityOCI`,
    );
    const { id: granted } = await hostFor({ tokenAcl: { "/": [...role, "Sys.AccessNetwork"] } });
    expect(named(await run(granted), "oci_containers").severity).toBe("ok");
  });

  test("a token missing privileges: the check lists them with the pveum commands, and deploys are refused", async () => {
    const { id } = await hostFor({
      tokenAcl: { "/": ["Sys.Audit"], "/vms": ["VM.Audit", "VM.Allocate"], "/storage": ["Datastore.Audit"] },
    });
    const r = await run(id);
    expect(r.ok).toBe(false);
    const privs = named(r, "privileges");
    expect(privs.severity).toBe("error");
    expect(privs.detail).toContain("/vms: VM.Backup");
    expect(privs.detail).toContain("/sdn/zones/localnetwork/vmbr0: SDN.Use");
    expect(privs.fix).toContain("pveum role add Proximity --privs");
    expect(privs.fix).toContain("pveum acl modify / --tokens 'root@pam!proximity' --roles Proximity");
    const res = await t.request("/api/v1/apps/deploy", {
      method: "POST",
      token: admin.token,
      json: { catalog_id: "uptime-kuma", hostname: "kuma", host_id: id },
    });
    expect(res.status).toBe(409);
    expect(JSON.stringify(await res.json())).toContain('preflight check \\"privileges\\" failed');
  });

  test("a non-root SSH user without sudo is refused with the sudoers line; with sudo it passes", async () => {
    const sshUsers = [
      { username: "plain", password: "pw1" },
      { username: "ops", password: "pw2", sudo: true },
    ];
    const { id } = await hostFor({ sshUsers }, { username: "plain", password: "pw1" });
    const r = await run(id);
    const ssh = named(r, "node pve1: ssh and pct");
    expect(ssh.ok).toBe(false);
    expect(ssh.detail).toContain("sudo: a password is required");
    expect(ssh.fix).toContain("NOPASSWD: /usr/sbin/pct");
    const { id: ok } = await hostFor({ sshUsers }, { username: "ops", password: "pw2" });
    expect(named(await run(ok), "node pve1: ssh and pct")).toMatchObject({
      ok: true,
      detail: "pct runs through sudo -n as ops",
    });
  });

  test("a wrong bridge, a storage the admin named that does not exist, and an unreachable node", async () => {
    const { sim, id } = await hostFor({ nodes: 3 });
    await t.request("/api/v1/settings", {
      method: "PUT",
      token: admin.token,
      json: { network: { bridge: "vmbr9" }, storage: { rootfs: "ceph-pool" } },
    });
    await simControl(sim, "nodes/pve3", { unreachable: 595 });
    try {
      const r = await run(id);
      expect(named(r, "node pve1: bridge").detail).toBe("pve1 has no active bridge vmbr9 (it has vmbr0)");
      expect(named(r, "node pve1: rootfs storage").detail).toContain(
        "Node pve1 has no storage named ceph-pool",
      );
      expect(named(r, "node pve3: reachable")).toMatchObject({ ok: true, severity: "warning" });
      expect(named(r, "node pve3: reachable").detail).toContain("595");
    } finally {
      await t.request("/api/v1/settings", {
        method: "PUT",
        token: admin.token,
        json: { network: { bridge: "vmbr0" }, storage: { rootfs: "local-lvm" } },
      });
    }
  });
});
