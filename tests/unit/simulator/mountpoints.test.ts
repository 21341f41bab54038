/**
 * Volume mount points: allocated at create, kept by vzdump and restore, copied by a full clone, handed to
 * another container by move_volume (target-vmid) with PVE's refusals, and what an application container
 * writes on the one at its data path.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { RunningSimulator } from "../../../src/simulator/index.ts";
import { Api, boot } from "./helpers.ts";

const VW = "docker.io/vaultwarden/server:1.37.2";
let sim: RunningSimulator;
let api: Api;

beforeAll(async () => {
  sim = await boot({ nodes: 2 });
  api = new Api(sim);
  const upid = await api.post<string>("/nodes/pve1/storage/local/oci-registry-pull", { reference: VW });
  expect((await api.waitTask(upid)).exitstatus).toBe("OK");
  await api.waitTask(
    await api.post<string>("/nodes/pve2/storage/local/oci-registry-pull", { reference: VW }),
  );
});
afterAll(() => sim.stop());

const config = (vmid: number, node = "pve1") =>
  api.get<Record<string, string>>(`/nodes/${node}/lxc/${vmid}/config`);
const volumesOf = async (vmid: number) =>
  (await api.simState()).volumes.filter((v) => v.vmid === vmid && v.content === "rootdir");
const dataOf = async (volid: string) => (await api.simState()).volumes.find((v) => v.volid === volid)?.files;
const volidOf = (value: string | undefined) => value?.split(",")[0];

async function createApp(vmid: number, node = "pve1", mp = true) {
  const upid = await api.post<string>(`/nodes/${node}/lxc`, {
    vmid,
    ostemplate: "local:vztmpl/server_1.37.2.tar",
    hostname: `vw${vmid}`,
    rootfs: "local-lvm:2",
    ...(mp ? { mp0: "local-lvm:3,mp=/data,backup=1" } : {}),
    net0: "name=eth0,bridge=vmbr0,ip=dhcp",
  });
  const status = await api.waitTask(upid);
  return { status, log: await api.taskLog(upid) };
}

const start = async (vmid: number, node = "pve1") =>
  api.waitTask(await api.post<string>(`/nodes/${node}/lxc/${vmid}/status/start`));
const stop = async (vmid: number, node = "pve1") =>
  api.waitTask(await api.post<string>(`/nodes/${node}/lxc/${vmid}/status/stop`));

describe("create", () => {
  test("mp0=<storage>:<GiB> allocates a volume of its own, printed with its size", async () => {
    const { status, log } = await createApp(400);
    expect(status.exitstatus).toBe("OK");
    const mp0 = (await config(400)).mp0!;
    expect(mp0).toBe("local-lvm:vm-400-disk-1,backup=1,mp=/data,size=3G");
    expect(log).toContain('  Logical volume "vm-400-disk-1" created.');
    expect((await volumesOf(400)).map((v) => [v.volid, v.size])).toEqual([
      ["local-lvm:vm-400-disk-0", 2 * 1024 ** 3],
      ["local-lvm:vm-400-disk-1", 3 * 1024 ** 3],
    ]);
  });

  test("a mount point without a path is refused before anything is created", async () => {
    const r = await api.request("POST", "/nodes/pve1/lxc", {
      vmid: 401,
      ostemplate: "local:vztmpl/server_1.37.2.tar",
      rootfs: "local-lvm:2",
      mp0: "local-lvm:3",
    });
    expect(r.status).toBe(400);
    expect(r.body?.errors?.mp0).toContain("mp0.mp: property is missing and it is not optional");
    expect(await volumesOf(401)).toEqual([]);
  });

  test("the application writes its data on the mount point at its data path, else into its root disk", async () => {
    await start(400);
    const data = await dataOf(volidOf((await config(400)).mp0)!);
    expect(data?.["app-data"]).toStartWith(`created by ${VW} in CT 400 at `);
    expect(data?.["opened-by"]).toBe(VW);

    await createApp(402, "pve1", false);
    await start(402);
    const ct = (await api.simState()).containers.find((c) => c.vmid === 402)!;
    expect(Object.keys(ct.files)).toContain("/data/app-data");
    expect((await volumesOf(402)).every((v) => !v.files)).toBe(true);
  });
});

describe("move_volume to another container", () => {
  test("refused while the source runs, for a key the target uses, for rootfs, and across nodes", async () => {
    await createApp(403);
    const mv = (vmid: number, params: Record<string, string | number>) =>
      api.request("POST", `/nodes/pve1/lxc/${vmid}/move_volume`, params);

    const running = await mv(400, { volume: "mp0", "target-vmid": 402 });
    expect(running.status).toBe(500);
    expect(running.body?.message).toBe(
      "Cannot move in-use volume while the source CT is running - detach or shutdown first\n",
    );
    await stop(400);
    const taken = await mv(400, { volume: "mp0", "target-vmid": 403 });
    expect(taken.body?.message).toBe("Target volume key 'mp0' is already in use for container '403'\n");
    const rootfs = await mv(400, { volume: "rootfs", "target-vmid": 402 });
    expect(rootfs.body?.message).toBe("Cannot move to/from 'rootfs'\n");
    await createApp(404, "pve2", false);
    const across = await mv(400, { volume: "mp0", "target-vmid": 404 });
    expect(across.body?.message).toBe("Both containers need to be on the same node (pve1 != pve2)\n");
    const both = await mv(400, { volume: "mp0", "target-vmid": 402, storage: "local-lvm" });
    expect(both.status).toBe(400);
    // Nothing moved.
    expect(volidOf((await config(400)).mp0)).toBe("local-lvm:vm-400-disk-1");
  });

  test("the volume is renamed to the target, leaves the source's config and keeps its data", async () => {
    const before = await dataOf("local-lvm:vm-400-disk-1");
    await stop(402);
    const upid = await api.post<string>("/nodes/pve1/lxc/400/move_volume", {
      volume: "mp0",
      "target-vmid": 402,
      "target-volume": "mp0",
    });
    expect(upid.split(":")[5]).toBe("move_volume");
    expect(upid.split(":")[6]).toBe("400-mp0>402-mp0");
    expect((await api.waitTask(upid)).exitstatus).toBe("OK");
    expect(await api.taskLog(upid)).toContain("moving volume 'mp0' from container '400' to '402'");
    expect((await config(400)).mp0).toBeUndefined();
    expect((await config(402)).mp0).toBe("local-lvm:vm-402-disk-1,backup=1,mp=/data,size=3G");
    expect(await dataOf("local-lvm:vm-402-disk-1")).toEqual(before);
    expect(await dataOf("local-lvm:vm-400-disk-1")).toBeUndefined();

    // The next start of 402 opens the same data.
    await start(402);
    expect((await dataOf("local-lvm:vm-402-disk-1"))?.["app-data"]).toBe(before?.["app-data"]);
  });

  test("a volume a snapshot uses cannot be moved away", async () => {
    await api.waitTask(await api.post<string>("/nodes/pve1/lxc/403/snapshot", { snapname: "pre" }));
    const r = await api.request("POST", "/nodes/pve1/lxc/403/move_volume", {
      volume: "mp0",
      "target-vmid": 400,
    });
    expect(r.body?.message).toBe("Cannot move volume used by a snapshot to another container\n");
  });
});

describe("backup, restore, clone and destroy", () => {
  test("vzdump includes a backup=1 mount point; restore brings the volume and its data back", async () => {
    const volid = volidOf((await config(402)).mp0)!;
    const data = await dataOf(volid);
    await stop(402);
    const dump = await api.post<string>("/nodes/pve1/vzdump", { vmid: 402, storage: "local", mode: "stop" });
    expect((await api.waitTask(dump)).exitstatus).toBe("OK");
    expect(await api.taskLog(dump)).toContain("INFO: including mount point mp0 ('/data') in backup");
    const archive = (await api.simState()).volumes.find((v) => v.content === "backup" && v.vmid === 402)!;

    // The data changes after the backup; the restore brings back what was backed up.
    await start(402);
    await stop(402);
    const upid = await api.post<string>("/nodes/pve1/lxc", {
      vmid: 402,
      ostemplate: archive.volid,
      restore: 1,
      force: 1,
      storage: "local-lvm",
    });
    expect((await api.waitTask(upid)).exitstatus).toBe("OK");
    const restored = (await config(402)).mp0!;
    expect(restored).toContain("mp=/data");
    expect(restored).toContain("size=3G");
    expect(await dataOf(volidOf(restored)!)).toEqual(data);
    // The old volumes are gone: one root disk and one data volume.
    expect((await volumesOf(402)).length).toBe(2);
  });

  test("a full clone copies the mount point with its data; destroy removes every volume", async () => {
    const upid = await api.post<string>("/nodes/pve1/lxc/402/clone", { newid: 405, full: 1 });
    expect((await api.waitTask(upid)).exitstatus).toBe("OK");
    expect(await api.taskLog(upid)).toContain(
      "create full clone of mountpoint mp0 (local-lvm:vm-402-disk-3)",
    );
    const cloned = volidOf((await config(405)).mp0)!;
    expect(cloned).toStartWith("local-lvm:vm-405-disk-");
    expect(await dataOf(cloned)).toEqual(await dataOf(volidOf((await config(402)).mp0)!));

    await api.waitTask(await api.del<string>("/nodes/pve1/lxc/405", { purge: 1 }));
    expect(await volumesOf(405)).toEqual([]);
  });

  test("delete=mp0 detaches the volume: it stays with the container as unused0", async () => {
    const volid = volidOf((await config(403)).mp0)!;
    await api.waitTask(await api.del<string>("/nodes/pve1/lxc/403/snapshot/pre"));
    await api.put("/nodes/pve1/lxc/403/config", { delete: "mp0" });
    const after = await config(403);
    expect(after.mp0).toBeUndefined();
    expect(after.unused0).toBe(volid);
  });
});
