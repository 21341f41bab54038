import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningSimulator } from "../../../src/simulator/index.ts";
import { ALPINE, Api, boot, DEBIAN, SPEED } from "./helpers.ts";

let sim: RunningSimulator;
let api: Api;
const UPID_RE =
  /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-F]{8}):([0-9A-F]{8,9}):([0-9A-F]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/;

beforeAll(async () => {
  // A tenth of the other files' speed: these tests look at a container while its create runs (the 'create'
  // lock, a start and a destroy refused on it, a config PUT waiting on the flock for up to 10 simulated
  // seconds). At speed 60 the create is over in tens of milliseconds, sooner than a CI run's busy worker
  // answers the next request; a destroy that then succeeds takes CT 200 from every later test.
  sim = await boot({ speed: SPEED / 10 });
  api = new Api(sim);
  await api.downloadTemplate("pve1", ALPINE);
});
afterAll(() => sim.stop());

interface CtStatus {
  status: string;
  lock?: string;
  name: string;
  maxmem: number;
  maxdisk: number;
  pid?: number;
  uptime: number;
}

describe("templates and storage", () => {
  test("aplinfo lists real templates; the download is a task that lands in local:vztmpl", async () => {
    const apl =
      await api.get<{ template: string; os: string; section: string; location: string }[]>(
        "/nodes/pve2/aplinfo",
      );
    const names = apl.map((a) => a.template);
    expect(names).toContain(ALPINE);
    expect(names).toContain(DEBIAN);
    expect(apl.find((a) => a.template === DEBIAN)).toMatchObject({ os: "debian-12", section: "system" });

    const before = await api.get<{ volid: string }[]>("/nodes/pve2/storage/local/content", {
      content: "vztmpl",
    });
    expect(before).toEqual([]);
    const upid = await api.post<string>("/nodes/pve2/aplinfo", { storage: "local", template: DEBIAN });
    expect(upid).toMatch(UPID_RE);
    expect(upid.split(":")[5]).toBe("download");
    expect(upid.split(":")[6]).toBe(DEBIAN);
    expect((await api.waitTask(upid)).exitstatus).toBe("OK");
    const after = await api.get<{ volid: string; format: string; size: number; content: string }[]>(
      "/nodes/pve2/storage/local/content",
      { content: "vztmpl" },
    );
    expect(after).toEqual([
      expect.objectContaining({ volid: `local:vztmpl/${DEBIAN}`, format: "tzst", content: "vztmpl" }),
    ]);
    expect(after[0]!.size).toBeGreaterThan(100 * 1024 * 1024);
  });

  test("storage status: local is dir (iso,vztmpl,backup), local-lvm is lvmthin (rootdir,images)", async () => {
    const st =
      await api.get<{ storage: string; type: string; content: string; total: number; avail: number }[]>(
        "/nodes/pve1/storage",
      );
    expect(st.map((s) => [s.storage, s.type, s.content])).toEqual([
      ["local", "dir", "iso,vztmpl,backup"],
      ["local-lvm", "lvmthin", "rootdir,images"],
    ]);
    const rootdir = await api.get<{ storage: string }[]>("/nodes/pve1/storage", { content: "rootdir" });
    expect(rootdir.map((s) => s.storage)).toEqual(["local-lvm"]);
    const bad = await api.request("GET", "/nodes/pve1/storage", { storage: "nfs1" });
    expect(bad.status).toBe(400);
    expect(bad.body?.errors).toEqual({ storage: "No such storage." });
  });

  test("containers consume local-lvm; creating beyond capacity fails the task and leaves nothing", async () => {
    const used = async () =>
      (await api.get<{ storage: string; used: number }[]>("/nodes/pve1/storage")).find(
        (s) => s.storage === "local-lvm",
      )!.used;
    const before = await used();
    await api.createCt("pve1", 300, { extra: { rootfs: "local-lvm:20" } });
    expect((await used()) - before).toBe(20 * 1024 ** 3);

    const upid = await api.post<string>("/nodes/pve1/lxc", {
      vmid: 301,
      ostemplate: `local:vztmpl/${ALPINE}`,
      rootfs: "local-lvm:500",
    });
    const s = await api.waitTask(upid);
    expect(s.exitstatus).toStartWith("unable to create CT 301 - lvcreate 'pve/vm-301-disk-0' error:");
    expect(s.exitstatus).toContain("insufficient free space");
    const conf = await api.request("GET", "/nodes/pve1/lxc/301/config");
    expect(conf.status).toBe(500);
    expect(await used()).toBe(before + 20 * 1024 ** 3);
  });

  test("rootfs on 'local' (no rootdir content) is a 400 on storage", async () => {
    const r = await api.request("POST", "/nodes/pve1/lxc", {
      vmid: 302,
      ostemplate: `local:vztmpl/${ALPINE}`,
    });
    expect(r.status).toBe(400);
    expect(r.body?.errors).toEqual({ storage: "storage 'local' does not support container directories" });
  });
});

describe("create", () => {
  test("create returns a vzcreate UPID at once; the CT exists with lock 'create' until the task ends", async () => {
    const upid = await api.post<string>("/nodes/pve1/lxc", {
      vmid: 200,
      ostemplate: `local:vztmpl/${ALPINE}`,
      hostname: "app1",
      unprivileged: 1,
      features: "nesting=1",
      rootfs: "local-lvm:8",
      memory: 1024,
      net0: "name=eth0,bridge=vmbr0,ip=dhcp",
      tags: "Proximity;app1,proximity",
      description: "hello",
      "ssh-public-keys": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk me@host",
    });
    expect(upid).toMatch(UPID_RE);
    const [, node, , , , type, id, user] = upid.split(":");
    expect([node, type, id, user]).toEqual(["pve1", "vzcreate", "200", "root@pam!proximity"]);

    const during = await api.get<CtStatus>("/nodes/pve1/lxc/200/status/current");
    expect(during).toMatchObject({ status: "stopped", lock: "create" });
    const listed = await api.get<{ vmid: number; lock?: string }[]>("/nodes/pve1/lxc");
    expect(listed.find((c) => c.vmid === 200)?.lock).toBe("create");

    // Start while the create runs: the UPID comes back, the task fails on the lock (Status.pm).
    const start = await api.post<string>("/nodes/pve1/lxc/200/status/start");
    expect((await api.waitTask(start)).exitstatus).toBe("CT is locked (create)");
    // Destroy is checked synchronously.
    const del = await api.request("DELETE", "/nodes/pve1/lxc/200");
    expect(del.status).toBe(500);
    expect(del.statusText).toBe("CT is locked (create)");
    expect(del.body).toEqual({ data: null, message: "CT is locked (create)\n" });

    const s = await api.waitTask(upid);
    expect(s).toMatchObject({ status: "stopped", exitstatus: "OK", type: "vzcreate" });
    const log = await api.taskLog(upid);
    expect(log.at(-1)).toBe("TASK OK");
    expect(log.join("\n")).toContain(`extracting archive '/var/lib/vz/template/cache/${ALPINE}'`);
  });

  test("the config reads back like PVE stores it", async () => {
    const c = await api.get<Record<string, string | number>>("/nodes/pve1/lxc/200/config");
    expect(c.rootfs).toBe("local-lvm:vm-200-disk-0,size=8G");
    expect(c.net0).toMatch(
      /^name=eth0,bridge=vmbr0,hwaddr=BC:24:11:[0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2},ip=dhcp,type=veth$/,
    );
    expect(c).toMatchObject({
      hostname: "app1",
      memory: 1024,
      swap: 512,
      unprivileged: 1,
      features: "nesting=1",
      ostype: "alpine",
      arch: "amd64",
      tags: "app1;proximity",
      description: "hello\n",
    });
    expect(c.digest).toMatch(/^[0-9a-f]{40}$/);
    expect(c.lock).toBeUndefined();
  });

  test("a taken vmid is 500 with PVE's text in the status line", async () => {
    const r = await api.request("POST", "/nodes/pve2/lxc", {
      vmid: 200,
      ostemplate: `local:vztmpl/${DEBIAN}`,
      rootfs: "local-lvm:2",
    });
    expect(r.status).toBe(500);
    expect(r.statusText).toBe("CT 200 already exists on node 'pve1'");
    expect(r.body).toEqual({ data: null, message: "CT 200 already exists on node 'pve1'\n" });
  });

  test("a missing template fails the task (async), a backup volid without restore fails at once", async () => {
    const upid = await api.post<string>("/nodes/pve1/lxc", {
      vmid: 201,
      ostemplate: "local:vztmpl/nope.tar.zst",
      rootfs: "local-lvm:1",
    });
    expect((await api.waitTask(upid)).exitstatus).toBe(
      "unable to create CT 201 - can't find file 'local:vztmpl/nope.tar.zst'",
    );
    expect((await api.request("GET", "/nodes/pve1/lxc/201/status/current")).status).toBe(500);

    const r = await api.request("POST", "/nodes/pve1/lxc", {
      vmid: 202,
      ostemplate: "local:backup/vzdump-lxc-1-2024_01_01-00_00_00.tar.zst",
      rootfs: "local-lvm:1",
    });
    expect(r.status).toBe(500);
    expect(r.body?.message).toBe(
      "unable to use volume local:backup/vzdump-lxc-1-2024_01_01-00_00_00.tar.zst - content type needs to be 'vztmpl'\n",
    );
  });

  test("a token cannot set feature flags other than nesting (403)", async () => {
    const r = await api.request("POST", "/nodes/pve1/lxc", {
      vmid: 203,
      ostemplate: `local:vztmpl/${ALPINE}`,
      rootfs: "local-lvm:1",
      unprivileged: 1,
      features: "nesting=1,keyctl=1",
    });
    expect(r.status).toBe(403);
    expect(r.statusText).toBe(
      "Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)",
    );
  });

  test("a missing CT is 500 'Configuration file ... does not exist'", async () => {
    const r = await api.request("GET", "/nodes/pve1/lxc/999/config");
    expect(r.status).toBe(500);
    expect(r.statusText).toBe("Configuration file 'nodes/pve1/lxc/999.conf' does not exist");
    // The CT lives on pve1; asking pve2 fails the same way (no 404 in the guest API).
    const other = await api.request("GET", "/nodes/pve2/lxc/200/status/current");
    expect(other.statusText).toBe("Configuration file 'nodes/pve2/lxc/200.conf' does not exist");
  });
});

describe("lifecycle", () => {
  test("interfaces: null while stopped; a DHCP address appears a little after start", async () => {
    const stopped = await api.request("GET", "/nodes/pve1/lxc/200/interfaces");
    expect(stopped.body).toEqual({ data: null });

    const start = await api.post<string>("/nodes/pve1/lxc/200/status/start");
    expect(start.split(":")[5]).toBe("vzstart");
    expect((await api.waitTask(start)).exitstatus).toBe("OK");
    const cur = await api.get<CtStatus>("/nodes/pve1/lxc/200/status/current");
    expect(cur).toMatchObject({
      status: "running",
      name: "app1",
      maxmem: 1024 * 1024 ** 2,
      maxdisk: 8 * 1024 ** 3,
    });
    expect(cur.pid).toBeGreaterThan(0);

    type Iface = { name: string; inet?: string; hwaddr: string; "ip-addresses": { "ip-address": string }[] };
    const eth0 = await api.until(async () => {
      const ifs = await api.get<Iface[]>("/nodes/pve1/lxc/200/interfaces");
      return ifs.find((i) => i.name === "eth0" && i.inet);
    });
    expect(eth0.inet).toMatch(/^127\.\d+\.\d+\.\d+\/16$/);
    expect(eth0["ip-addresses"][0]!["ip-address"]).toBe(eth0.inet!.split("/")[0]!);
    const config = await api.get<{ net0: string }>("/nodes/pve1/lxc/200/config");
    expect(config.net0.toLowerCase()).toContain(eth0.hwaddr);
    expect(sim.state().containers.find((c) => c.vmid === 200)?.ip).toBe(eth0.inet!.split("/")[0]!);

    const again = await api.request("POST", "/nodes/pve1/lxc/200/status/start");
    expect(again.status).toBe(500);
    expect(again.statusText).toBe("CT 200 already running");
  });

  test("destroying a running CT needs force; reboot keeps it running; shutdown stops it", async () => {
    const del = await api.request("DELETE", "/nodes/pve1/lxc/200");
    expect(del.statusText).toBe("unable to destroy CT 200 - container is running");

    const reboot = await api.post<string>("/nodes/pve1/lxc/200/status/reboot");
    expect((await api.waitTask(reboot)).exitstatus).toBe("OK");
    expect((await api.get<CtStatus>("/nodes/pve1/lxc/200/status/current")).status).toBe("running");

    const shutdown = await api.post<string>("/nodes/pve1/lxc/200/status/shutdown", { timeout: 30 });
    expect((await api.waitTask(shutdown)).exitstatus).toBe("OK");
    expect((await api.get<CtStatus>("/nodes/pve1/lxc/200/status/current")).status).toBe("stopped");
    expect((await api.request("GET", "/nodes/pve1/lxc/200/interfaces")).body).toEqual({ data: null });

    const stop = await api.request("POST", "/nodes/pve1/lxc/200/status/stop");
    expect(stop.statusText).toBe("CT 200 not running");
    const rb = await api.request("POST", "/nodes/pve1/lxc/200/status/reboot");
    expect(rb.statusText).toBe("VM 200 not running");
  });

  test("the same MAC gets the same DHCP address after a restart", async () => {
    const ipOf = async () =>
      api.until(async () => {
        const ifs = await api.get<{ name: string; inet?: string }[] | null>("/nodes/pve1/lxc/200/interfaces");
        return ifs?.find((i) => i.name === "eth0")?.inet;
      });
    await api.waitTask(await api.post<string>("/nodes/pve1/lxc/200/status/start"));
    const first = await ipOf();
    await api.waitTask(await api.post<string>("/nodes/pve1/lxc/200/status/stop"));
    await api.waitTask(await api.post<string>("/nodes/pve1/lxc/200/status/start"));
    expect(await ipOf()).toBe(first);
    await api.waitTask(await api.post<string>("/nodes/pve1/lxc/200/status/stop"));
  });

  test("config PUT: synchronous null, validates, supports delete and digest", async () => {
    const r = await api.request("PUT", "/nodes/pve1/lxc/200/config", {
      memory: 2048,
      tags: "b a",
      onboot: 1,
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ data: null });
    const c = await api.get<Record<string, unknown>>("/nodes/pve1/lxc/200/config");
    expect(c).toMatchObject({ memory: 2048, tags: "a;b", onboot: 1 });

    await api.put("/nodes/pve1/lxc/200/config", { delete: "onboot,tags" });
    const c2 = await api.get<Record<string, unknown>>("/nodes/pve1/lxc/200/config");
    expect(c2.onboot).toBeUndefined();
    expect(c2.tags).toBeUndefined();

    const none = await api.request("PUT", "/nodes/pve1/lxc/200/config", {});
    expect(none.statusText).toBe("no options specified");
    const stale = await api.request("PUT", "/nodes/pve1/lxc/200/config", {
      memory: 512,
      digest: "0".repeat(40),
    });
    expect(stale.statusText).toBe("detected modified configuration - file changed by other user? Try again.");
    const bad = await api.request("PUT", "/nodes/pve1/lxc/200/config", { memory: 1, ostemplate: "x" });
    expect(bad.status).toBe(400);
    expect(bad.body?.errors).toEqual({
      memory: "value must have a minimum value of 16",
      ostemplate: "property is not defined in schema and the schema does not allow additional properties",
    });
  });

  test("resize grows the rootfs (task) and refuses to shrink", async () => {
    const upid = await api.put<string>("/nodes/pve1/lxc/200/resize", { disk: "rootfs", size: "+2G" });
    expect(upid.split(":")[5]).toBe("resize");
    expect((await api.waitTask(upid)).exitstatus).toBe("OK");
    expect((await api.get<{ rootfs: string }>("/nodes/pve1/lxc/200/config")).rootfs).toBe(
      "local-lvm:vm-200-disk-0,size=10G",
    );
    const shrink = await api.request("PUT", "/nodes/pve1/lxc/200/resize", { disk: "rootfs", size: "4G" });
    expect(shrink.statusText).toBe("unable to shrink disk size");
  });

  test("rrddata returns ~70 points at the timeframe's resolution", async () => {
    const pts = await api.get<{ time: number }[]>("/nodes/pve1/lxc/200/rrddata", { timeframe: "hour" });
    expect(pts).toHaveLength(70);
    expect(pts[1]!.time - pts[0]!.time).toBe(60);
    const bad = await api.request("GET", "/nodes/pve1/lxc/200/rrddata", { timeframe: "decade" });
    expect(bad.status).toBe(400);
  });

  test("delete with purge removes the CT and its volume", async () => {
    const upid = await api.del<string>("/nodes/pve1/lxc/200", { purge: 1, "destroy-unreferenced-disks": 1 });
    expect(upid.split(":")[5]).toBe("vzdestroy");
    expect((await api.waitTask(upid)).exitstatus).toBe("OK");
    expect((await api.request("GET", "/nodes/pve1/lxc/200/config")).status).toBe(500);
    const vols = await api.get<{ volid: string }[]>("/nodes/pve1/storage/local-lvm/content");
    expect(vols.map((v) => v.volid)).not.toContain("local-lvm:vm-200-disk-0");
  });

  test("create with start=1 runs a separate vzstart task", async () => {
    const upid = await api.post<string>("/nodes/pve1/lxc", {
      vmid: 210,
      ostemplate: `local:vztmpl/${ALPINE}`,
      rootfs: "local-lvm:1",
      start: 1,
    });
    expect((await api.waitTask(upid)).exitstatus).toBe("OK");
    await api.until(
      async () => (await api.get<CtStatus>("/nodes/pve1/lxc/210/status/current")).status === "running",
    );
    const tasks = await api.get<{ type: string; status: string }[]>("/nodes/pve1/tasks", {
      vmid: 210,
      source: "all",
    });
    expect(tasks.map((t) => t.type).sort()).toEqual(["vzcreate", "vzstart"]);
  });

  test("a config PUT waits for the create worker's flock, then applies", async () => {
    const upid = await api.post<string>("/nodes/pve1/lxc", {
      vmid: 211,
      ostemplate: `local:vztmpl/${ALPINE}`,
      rootfs: "local-lvm:1",
    });
    const put = await api.request("PUT", "/nodes/pve1/lxc/211/config", { memory: 256 });
    // By the time the flock is free the create has finished; the lock is gone and the PUT applies.
    expect(put.status).toBe(200);
    expect((await api.waitTask(upid)).exitstatus).toBe("OK");
    expect((await api.get<{ memory: number }>("/nodes/pve1/lxc/211/config")).memory).toBe(256);
  });
});

describe("migrate", () => {
  test("a stopped CT moves with its volume; a running one needs --restart; the local node is a 400", async () => {
    await api.createCt("pve1", 220);
    const local = await api.request("POST", "/nodes/pve1/lxc/220/migrate", { target: "pve1" });
    expect(local.status).toBe(400);
    expect(local.body?.errors).toEqual({ target: "target is local node." });
    const upid = await api.post<string>("/nodes/pve1/lxc/220/migrate", { target: "pve3" });
    expect(upid.split(":")[5]).toBe("vzmigrate");
    expect((await api.waitTask(upid)).exitstatus).toBe("OK");
    expect((await api.get<{ status: string }>("/nodes/pve3/lxc/220/status/current")).status).toBe("stopped");
    expect(sim.state().volumes.find((v) => v.vmid === 220)?.node).toBe("pve3");

    await api.waitTask(await api.post<string>("/nodes/pve3/lxc/220/status/start"));
    const running = await api.request("POST", "/nodes/pve3/lxc/220/migrate", { target: "pve2" });
    expect(running.statusText).toBe("can't migrate running container without --online or --restart");
    const restart = await api.post<string>("/nodes/pve3/lxc/220/migrate", { target: "pve2", restart: 1 });
    expect((await api.waitTask(restart)).exitstatus).toBe("OK");
    expect((await api.get<{ status: string }>("/nodes/pve2/lxc/220/status/current")).status).toBe("running");
  });
});
