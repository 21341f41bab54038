/** The simulator is as strict as Proxmox VE 9.2 (and 8.4 when asked): each rule a client must follow. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Client } from "ssh2";
import type { RunningSimulator } from "../../../src/simulator/index.ts";
import { ALPINE, Api, boot, pctCommand, sshConnect, sshExec } from "./helpers.ts";

const DEBIAN13 = "debian-13-standard_13.1-2_amd64.tar.zst";

let sim: RunningSimulator;
let api: Api;
beforeAll(async () => {
  sim = await boot({
    nodes: 3,
    storageLayouts: ["lvm", "zfs", "dir"],
    sshUsers: [
      { username: "deploy", password: "pw-deploy", sudo: true },
      { username: "plain", password: "pw-plain" },
    ],
  });
  api = new Api(sim);
  await api.downloadTemplate("pve1", ALPINE);
  await api.downloadTemplate("pve1", DEBIAN13);
  await api.downloadTemplate("pve2", ALPINE);
});
afterAll(async () => {
  await sim.stop();
});

async function run(vmid: number, argv: string[]) {
  const c = await sshConnect(sim, sim.nodeAddress("pve1"));
  try {
    return await sshExec(c, pctCommand(vmid, argv));
  } finally {
    c.end();
  }
}

describe("version and appliance index", () => {
  test("9.2 by default: /version, unprivileged unless told otherwise, a debian-13 template", async () => {
    expect(await api.get("/version")).toMatchObject({ release: "9.2", version: "9.2.11" });
    await api.createCt("pve1", 150, { extra: { unprivileged: undefined } });
    const config = await api.get<{ unprivileged?: number }>("/nodes/pve1/lxc/150/config");
    expect(config.unprivileged).toBe(1);
  });

  test("9.x adds PSI fields to the guest status and a `network` resource per node", async () => {
    const status = await api.get<Record<string, unknown>>("/nodes/pve1/lxc/150/status/current");
    expect(status).toHaveProperty("pressurecpusome");
    const res = await api.get<{ id: string; type: string }[]>("/cluster/resources");
    expect(res.some((r) => r.type === "network" && r.id === "network/pve1/zone/localnetwork")).toBe(true);
  });

  test("aplinfo holds TurnKey appliances and comes back in a different order", async () => {
    const orders = new Set<string>();
    let list: { template: string; package: string; section: string }[] = [];
    for (let i = 0; i < 4; i++) {
      list = await api.get("/nodes/pve1/aplinfo");
      orders.add(list.map((a) => a.template).join(","));
    }
    expect(orders.size).toBeGreaterThan(1);
    expect(list.filter((a) => a.template.startsWith("debian-12-turnkey-")).length).toBeGreaterThan(3);
    expect(list.find((a) => a.package === "debian-13-standard")).toMatchObject({ section: "system" });
  });

  test("8.4 reports 8.4, has no debian-13 template, and creates privileged CTs by default", async () => {
    const old = await boot({ nodes: 1, pve: "8.4" });
    try {
      const a = new Api(old);
      expect(await a.get("/version")).toMatchObject({ release: "8.4" });
      const apl = await a.get<{ package: string }[]>("/nodes/pve1/aplinfo");
      expect(apl.some((x) => x.package === "debian-13-standard")).toBe(false);
      await a.downloadTemplate("pve1", ALPINE);
      await a.createCt("pve1", 100, { extra: { unprivileged: undefined, features: undefined } });
      expect(
        (await a.get<{ unprivileged?: number }>("/nodes/pve1/lxc/100/config")).unprivileged,
      ).toBeUndefined();
    } finally {
      await old.stop();
    }
  });
});

describe("packages per distribution", () => {
  test("trixie: docker.io alone has no CLI without recommends; docker-cli + docker-compose give Compose v2", async () => {
    await api.createCt("pve1", 151, { template: `local:vztmpl/${DEBIAN13}`, start: true });
    expect((await run(151, ["apt-get", "update"])).code).toBe(0);
    const bare = await run(151, ["apt-get", "install", "-y", "--no-install-recommends", "docker.io"]);
    expect(bare.code).toBe(0);
    expect((await run(151, ["docker", "--version"])).code).toBe(127);
    expect(
      (await run(151, ["apt-get", "install", "-y", "docker.io", "docker-cli", "docker-compose"])).code,
    ).toBe(0);
    expect((await run(151, ["docker", "compose", "version"])).stdout).toStartWith(
      "Docker Compose version v2",
    );
    expect((await run(151, ["docker", "--version"])).stdout).toContain("26.1.5");
  });
});

describe("faults of a real cluster", () => {
  test("an unreachable node answers 595 with an empty body; an offline node's CTs are `unknown`", async () => {
    await api.createCt("pve2", 160, { extra: { rootfs: "local-zfs:2" } });
    await api.simPost("/_sim/nodes/pve2", { unreachable: 595 });
    const r = await api.request("GET", "/nodes/pve2/lxc");
    expect([r.status, r.statusText, r.text]).toEqual([595, "No route to host", ""]);
    await api.simPost("/_sim/nodes/pve2", { unreachable: null, online: false });
    const nodes = await api.get<Record<string, unknown>[]>("/nodes");
    expect(nodes.find((n) => n.node === "pve2")).toEqual({
      node: "pve2",
      status: "offline",
      id: "node/pve2",
      type: "node",
    });
    await Bun.sleep(50);
    const res = await api.get<{ vmid: number; status: string }[]>("/cluster/resources", { type: "vm" });
    expect(res.find((x) => x.vmid === 160)?.status).toBe("unknown");
    await api.simPost("/_sim/nodes/pve2", { online: true });
  });

  test("a 596 fault on one node only", async () => {
    await api.simPost("/_sim/faults", {
      path: "/nodes/{node}/lxc",
      node: "pve3",
      action: "http_596",
      message: "Connection timed out",
    });
    expect((await api.request("GET", "/nodes/pve1/lxc")).status).toBe(200);
    expect((await api.request("GET", "/nodes/pve3/lxc")).status).toBe(596);
    await api.simDelete("/_sim/faults");
  });

  test("storage layouts: zfs has local-zfs, dir has only local (with rootdir)", async () => {
    const zfs = await api.get<{ storage: string }[]>("/nodes/pve2/storage", { content: "rootdir" });
    expect(zfs.map((s) => s.storage)).toEqual(["local-zfs"]);
    const dir = await api.get<{ storage: string }[]>("/nodes/pve3/storage", { content: "rootdir" });
    expect(dir.map((s) => s.storage)).toEqual(["local"]);
    const wrong = await api.request("POST", "/nodes/pve3/lxc", {
      vmid: 170,
      ostemplate: `local:vztmpl/${ALPINE}`,
      rootfs: "local-lvm:2",
    });
    expect(wrong.statusText).toBe("storage 'local-lvm' does not exist");
  });
});

describe("permissions of a privilege-separated token", () => {
  test("403s carry PVE's text; /nodes drops stats without Sys.Audit; /access/permissions tells the truth", async () => {
    await api.simPost("/_sim/acl", { acl: { "/vms": ["VM.Audit"], "/nodes/pve1": ["Sys.Audit"] } });
    try {
      const status = await api.request("GET", "/cluster/status");
      expect([status.status, status.statusText]).toEqual([403, "Permission check failed (/, Sys.Audit)"]);
      const nodes = await api.get<{ node: string; maxmem?: number }[]>("/nodes");
      expect(nodes.find((n) => n.node === "pve1")?.maxmem).toBeGreaterThan(0);
      expect(nodes.find((n) => n.node === "pve2")?.maxmem).toBeUndefined();
      const create = await api.request("POST", "/nodes/pve1/lxc", {
        vmid: 171,
        ostemplate: `local:vztmpl/${ALPINE}`,
        rootfs: "local-lvm:2",
      });
      expect(create.statusText).toBe("Permission check failed (/vms/171, VM.Allocate)");
      const perms = await api.get<Record<string, Record<string, number>>>("/access/permissions");
      expect(perms).toEqual({ "/vms": { "VM.Audit": 1 }, "/nodes/pve1": { "Sys.Audit": 1 } });
      const monitor = await api.simPost("/_sim/acl", { acl: { "/": ["VM.Monitor"] } });
      expect(await monitor.text()).toContain("invalid privilege 'VM.Monitor'");
    } finally {
      await api.simPost("/_sim/acl", { acl: null });
    }
  });
});

describe("locks, resize, HA", () => {
  test("vzdump waits for the node's backup lock", async () => {
    await api.simPost("/_sim/vzdump-lock", { node: "pve1", seconds: 30 });
    const upid = await api.post<string>("/nodes/pve1/vzdump", { vmid: 150, storage: "local" });
    await Bun.sleep(50);
    expect((await api.taskLog(upid)).join("\n")).toContain("INFO: trying to get global lock - waiting...");
    expect((await api.waitTask(upid)).exitstatus).toBe("OK");
  });

  test("resizing to the current size fails synchronously", async () => {
    const r = await api.request("PUT", "/nodes/pve1/lxc/150/resize", { disk: "rootfs", size: "2G" });
    expect([r.status, r.statusText]).toEqual([500, "disk is already at specified size"]);
  });

  test("an HA-managed CT: hastart ends OK at once, the CT starts later", async () => {
    await api.simPost("/_sim/ha", { vmid: 150, managed: true });
    const upid = await api.post<string>("/nodes/pve1/lxc/150/status/start");
    expect(upid.split(":")[5]).toBe("hastart");
    expect((await api.waitTask(upid)).exitstatus).toBe("OK");
    expect((await api.get<{ status: string }>("/nodes/pve1/lxc/150/status/current")).status).toBe("stopped");
    await api.until(
      async () =>
        (await api.get<{ status: string }>("/nodes/pve1/lxc/150/status/current")).status === "running",
    );
  });
});

describe("pct over SSH", () => {
  async function login(username: string, password: string): Promise<Client> {
    const c = new Client();
    await new Promise<void>((resolve, reject) => {
      c.once("ready", () => resolve());
      c.once("error", reject);
      c.connect({ host: sim.nodeAddress("pve1"), port: sim.sshPort, username, password, readyTimeout: 5000 });
    });
    return c;
  }

  test("non-root users are refused; sudo -n works with a NOPASSWD rule only", async () => {
    const plain = await login("plain", "pw-plain");
    expect(await sshExec(plain, "pct list")).toMatchObject({ code: 255, stderr: "please run as root\n" });
    expect(await sshExec(plain, "sudo -n pct list")).toMatchObject({
      code: 1,
      stderr: "sudo: a password is required\n",
    });
    plain.end();
    const deploy = await login("deploy", "pw-deploy");
    const listed = await sshExec(deploy, "sudo -n pct list");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain("150");
    deploy.end();
  });
});
