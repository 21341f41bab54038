import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningSimulator } from "../../../src/simulator/index.ts";
import { ALPINE, Api, boot, pctCommand, SPEED, sshConnect, sshExec } from "./helpers.ts";

let sim: RunningSimulator;
let api: Api;

interface BackupEntry {
  volid: string;
  content: string;
  format: string;
  subtype: string;
  vmid: number;
  size: number;
  ctime: number;
  notes?: string;
  protected?: number;
}

beforeAll(async () => {
  // A quarter of the other files' speed: these tests look at locks while a backup or a clone runs, and at speed
  // 60 the task can be over sooner than a loaded machine answers the next request.
  sim = await boot({ speed: SPEED / 4 });
  api = new Api(sim);
  await api.downloadTemplate("pve1", ALPINE);
  await api.createCt("pve1", 100, { start: true });
  const c = await sshConnect(sim, sim.nodeAddress("pve1"));
  await sshExec(c, pctCommand(100, ["tee", "/root/marker"]), "before-backup\n");
  c.end();
});
afterAll(() => sim.stop());

describe("vzdump", () => {
  let volid = "";

  test("produces local:backup/vzdump-lxc-<vmid>-<stamp>.tar.zst with lock 'backup' while it runs", async () => {
    const upid = await api.post<string>("/nodes/pve1/vzdump", {
      vmid: "100",
      storage: "local",
      mode: "snapshot",
      compress: "zstd",
      "notes-template": "{{guestname}} on {{node}} ({{vmid}})",
    });
    expect(upid.split(":").slice(5, 7)).toEqual(["vzdump", "100"]);
    // The worker takes the lock as it starts (milliseconds after the UPID is returned).
    await api.until(
      async () => (await api.get<{ lock?: string }>("/nodes/pve1/lxc/100/status/current")).lock === "backup",
    );
    const locked = await api.request("PUT", "/nodes/pve1/lxc/100/config", { memory: 256 });
    expect(locked.statusText).toBe("CT is locked (backup)");

    expect((await api.waitTask(upid)).exitstatus).toBe("OK");
    const log = await api.taskLog(upid);
    expect(log[0]).toStartWith("INFO: starting new backup job: vzdump 100");
    expect(log).toContain("INFO: Backup job finished successfully");
    expect(log.at(-1)).toBe("TASK OK");

    const list = await api.get<BackupEntry[]>("/nodes/pve1/storage/local/content", {
      content: "backup",
      vmid: 100,
    });
    expect(list).toHaveLength(1);
    const b = list[0]!;
    expect(b.volid).toMatch(/^local:backup\/vzdump-lxc-100-\d{4}_\d{2}_\d{2}-\d{2}_\d{2}_\d{2}\.tar\.zst$/);
    expect(b).toMatchObject({
      content: "backup",
      format: "tar.zst",
      subtype: "lxc",
      vmid: 100,
      notes: "ct100 on pve1 (100)",
    });
    expect(b.size).toBeGreaterThan(0);
    // ctime matches the stamp in the name (local time).
    const d = new Date(b.ctime * 1000);
    const pad = (n: number) => String(n).padStart(2, "0");
    expect(b.volid).toContain(
      `${d.getFullYear()}_${pad(d.getMonth() + 1)}_${pad(d.getDate())}-${pad(d.getHours())}_${pad(d.getMinutes())}_${pad(d.getSeconds())}`,
    );
    expect((await api.get<{ lock?: string }>("/nodes/pve1/lxc/100/status/current")).lock).toBeUndefined();
    volid = b.volid;

    const attrs = await api.get<{ path: string; size: number; format: string; notes: string }>(
      `/nodes/pve1/storage/local/content/${volid}`,
    );
    expect(attrs).toMatchObject({
      path: `/var/lib/vz/dump/${volid.split("/")[1]}`,
      format: "tar.zst",
      size: b.size,
    });
  });

  test("compress=0 (the default) gives an uncompressed .tar; storage without backup content is refused", async () => {
    const upid = await api.post<string>("/nodes/pve1/vzdump", { vmid: "100", storage: "local" });
    expect((await api.waitTask(upid)).exitstatus).toBe("OK");
    const list = await api.get<BackupEntry[]>("/nodes/pve1/storage/local/content", { content: "backup" });
    expect(list.some((b) => /\.tar$/.test(b.volid) && b.format === "tar")).toBe(true);
    const bad = await api.request("POST", "/nodes/pve1/vzdump", { vmid: "100", storage: "local-lvm" });
    expect(bad.statusText).toBe("can't use storage 'local-lvm' for backups - wrong content type");
  });

  test("a backup for guests on another node answers OK, not a UPID", async () => {
    expect(await api.post<string>("/nodes/pve2/vzdump", { vmid: "100", storage: "local" })).toBe("OK");
  });

  test("restore with force over the stopped CT brings the backed-up files back", async () => {
    const c = await sshConnect(sim, sim.nodeAddress("pve1"));
    await sshExec(c, pctCommand(100, ["rm", "-f", "/root/marker"]));
    c.end();
    const running = await api.request("POST", "/nodes/pve1/lxc", {
      vmid: 100,
      ostemplate: volid,
      restore: 1,
      force: 1,
      storage: "local-lvm",
    });
    expect(running.statusText).toBe("can't overwrite running container");
    await api.waitTask(await api.post<string>("/nodes/pve1/lxc/100/status/stop"));

    const upid = await api.post<string>("/nodes/pve1/lxc", {
      vmid: 100,
      ostemplate: volid,
      restore: 1,
      force: 1,
      storage: "local-lvm",
    });
    expect(upid.split(":")[5]).toBe("vzrestore");
    expect((await api.waitTask(upid)).exitstatus).toBe("OK");
    const log = await api.taskLog(upid);
    expect(log).toContain(`recovering backed-up configuration from '${volid}'`);
    const ct = sim.state().containers.find((x) => x.vmid === 100)!;
    expect(ct.files["/root/marker"]?.content).toBe("before-backup\n");
    expect(ct.hostname).toBe("ct100");
    expect(ct.lock).toBeNull();
  });

  test("deleting a backup volume is an imgdel task; protected backups cannot be deleted", async () => {
    const upid = await api.post<string>("/nodes/pve1/vzdump", {
      vmid: "100",
      storage: "local",
      compress: "gzip",
      protected: 1,
    });
    await api.waitTask(upid);
    const list = await api.get<BackupEntry[]>("/nodes/pve1/storage/local/content", { content: "backup" });
    const prot = list.find((b) => b.protected === 1)!;
    expect(prot.volid).toEndWith(".tar.gz");
    const delProt = await api.del<string>(
      `/nodes/pve1/storage/local/content/${encodeURIComponent(prot.volid)}`,
    );
    expect((await api.waitTask(delProt)).exitstatus).toBe(
      `cannot remove protected volume '${prot.volid.split(":")[1]}' on 'local'`,
    );

    const del = await api.del<string>(`/nodes/pve1/storage/local/content/${volid}`);
    expect(del.split(":")[5]).toBe("imgdel");
    expect((await api.waitTask(del)).exitstatus).toBe("OK");
    const after = await api.get<BackupEntry[]>("/nodes/pve1/storage/local/content", { content: "backup" });
    expect(after.map((b) => b.volid)).not.toContain(volid);
  });
});

describe("snapshots", () => {
  test("create, list, rollback and delete", async () => {
    const c = await sshConnect(sim, sim.nodeAddress("pve1"));
    await api.waitTask(await api.post<string>("/nodes/pve1/lxc/100/status/start"));
    await sshExec(c, pctCommand(100, ["tee", "/root/v"]), "one");
    const snap = await api.post<string>("/nodes/pve1/lxc/100/snapshot", {
      snapname: "pre_update",
      description: "before",
    });
    expect(snap.split(":")[5]).toBe("vzsnapshot");
    expect((await api.get<{ lock?: string }>("/nodes/pve1/lxc/100/status/current")).lock).toBe("snapshot");
    expect((await api.waitTask(snap)).exitstatus).toBe("OK");

    const reserved = await api.request("POST", "/nodes/pve1/lxc/100/snapshot", { snapname: "current" });
    expect(reserved.statusText).toBe("unable to use snapshot name 'current' (reserved name)");
    const dup = await api.post<string>("/nodes/pve1/lxc/100/snapshot", { snapname: "pre_update" });
    expect((await api.waitTask(dup)).exitstatus).toBe("snapshot name 'pre_update' already used");

    const list = await api.get<{ name: string; description: string; parent?: string; running?: number }[]>(
      "/nodes/pve1/lxc/100/snapshot",
    );
    expect(list).toEqual([
      expect.objectContaining({ name: "pre_update", description: "before", snaptime: expect.any(Number) }),
      expect.objectContaining({
        name: "current",
        description: "You are here!",
        parent: "pre_update",
        running: 1,
      }),
    ]);

    await sshExec(c, pctCommand(100, ["tee", "/root/v"]), "two");
    const rb = await api.post<string>("/nodes/pve1/lxc/100/snapshot/pre_update/rollback", { start: 1 });
    expect(rb.split(":")[5]).toBe("vzrollback");
    expect((await api.waitTask(rb)).exitstatus).toBe("OK");
    expect((await sshExec(c, pctCommand(100, ["cat", "/root/v"]))).stdout).toBe("one");

    const del = await api.del<string>("/nodes/pve1/lxc/100/snapshot/pre_update");
    expect((await api.waitTask(del)).exitstatus).toBe("OK");
    const after = await api.get<{ name: string }[]>("/nodes/pve1/lxc/100/snapshot");
    expect(after.map((s) => s.name)).toEqual(["current"]);
    c.end();
  });
});

describe("clone", () => {
  test("a full clone gets a new disk, new MACs and the files; the source is locked 'disk' meanwhile", async () => {
    const taken = await api.request("POST", "/nodes/pve1/lxc/100/clone", { newid: 100 });
    expect(taken.statusText).toBe("CT 100 already exists on node 'pve1'");
    // PVE 9's wording (8.4 said "Cannot do full clones on a running container without snapshots").
    const running = await api.request("POST", "/nodes/pve1/lxc/100/clone", { newid: 105, full: 1 });
    expect(running.statusText).toBe("Full clone of a running container is only possible from a snapshot");
    await api.waitTask(await api.post<string>("/nodes/pve1/lxc/100/status/stop"));
    const upid = await api.post<string>("/nodes/pve1/lxc/100/clone", {
      newid: 105,
      hostname: "copy",
      full: 1,
    });
    expect(upid.split(":").slice(5, 7)).toEqual(["vzclone", "100"]);
    expect((await api.get<{ lock?: string }>("/nodes/pve1/lxc/100/status/current")).lock).toBe("disk");
    expect((await api.get<{ lock?: string }>("/nodes/pve1/lxc/105/status/current")).lock).toBe("create");
    expect((await api.waitTask(upid)).exitstatus).toBe("OK");
    const src = await api.get<{ net0: string }>("/nodes/pve1/lxc/100/config");
    const dst = await api.get<{ net0: string; rootfs: string; hostname: string }>(
      "/nodes/pve1/lxc/105/config",
    );
    expect(dst.rootfs).toStartWith("local-lvm:vm-105-disk-0,");
    expect(dst.hostname).toBe("copy");
    expect(dst.net0).not.toBe(src.net0);
    expect(sim.state().containers.find((c) => c.vmid === 105)!.files["/root/v"]?.content).toBe("one");
    const cross = await api.request("POST", "/nodes/pve1/lxc/100/clone", { newid: 106, target: "pve2" });
    expect(cross.statusText).toBe("can't clone to non-shared storage 'local-lvm'");
  });
});
