/**
 * The guarded update on a storage that cannot snapshot (a directory storage, as PVE's `local`): a vzdump
 * backup guards the update instead. A release that fails its health check is rolled back by restoring
 * that backup (the old version and its data); a good update runs; either way the guard backup is deleted.
 */

import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { deploy, pinVaultwarden, type SimWorld, settled, sharedWorldWithCatalog } from "../../helpers/sim.ts";

setDefaultTimeout(120_000);

const w = sharedWorldWithCatalog({ storageLayouts: ["dir"] });
let appId: string;

const api: SimWorld["api"] = (path, init) => w.api(path, init);

type SimCt = { vmid: number; snapshots: string[]; files: Record<string, { content: string }> };
const simCt = (vmid: number) =>
  (w.sim.state() as unknown as { containers: SimCt[] }).containers.find((c) => c.vmid === vmid)!;
const backupsOnLocal = () =>
  (w.sim.state() as unknown as { volumes: { volid: string }[] }).volumes
    .map((v) => v.volid)
    .filter((v) => v.startsWith("local:backup/"));

async function update() {
  expect((await api(`/api/v1/apps/${appId}/update`, { method: "POST" })).status).toBe(202);
  await settled(w, appId, 90_000);
  const app = (
    (await (await api(`/api/v1/apps/${appId}`)).json()) as {
      app: { status: string; status_reason: string | null; catalog_version: string; vmid: number };
    }
  ).app;
  const [row] = (
    (await (await api(`/api/v1/apps/${appId}/updates`)).json()) as {
      items: { result: string; step: string | null; snapshot: string | null }[];
    }
  ).items;
  return { app, row: row! };
}

beforeAll(async () => {
  const started = await deploy(w, { catalog_id: "vaultwarden", hostname: "vault", runtime: "docker" });
  appId = started.app.id;
  expect((await settled(w, appId, 60_000))?.status).toBe("running");
});

describe("guarded by a backup", () => {
  test("a failing release is rolled back by restoring the guard backup: old version, data kept", async () => {
    const vmid = (
      (await (await api(`/api/v1/apps/${appId}`)).json()) as { app: { vmid: number; node: string } }
    ).app;
    const exec = await w.t.services.hosts.executor(w.hostId);
    await exec.pctExec(vmid.node, vmid.vmid, ["tee", "/opt/proximity/marker"], { stdin: "kept\n" });
    await pinVaultwarden(w, "1.38.0-unhealthy");
    const { app, row } = await update();
    expect(row).toMatchObject({ result: "rolled_back", step: "health" });
    expect(row.snapshot).toMatch(/^local:backup\/vzdump-lxc-/);
    expect(app).toMatchObject({ status: "running", catalog_version: "1.37.2" });
    const ct = simCt(app.vmid);
    expect(ct.snapshots).toEqual([]);
    expect(ct.files["/opt/proximity/compose.yaml"]!.content).toContain("vaultwarden/server:1.37.2");
    expect(ct.files["/opt/proximity/marker"]!.content).toBe("kept\n");
    // Its work done, the guard backup is gone (it was never one of the app's backups).
    expect(backupsOnLocal()).not.toContain(row.snapshot);
  });

  test("a good release updates, and its guard backup is deleted afterwards", async () => {
    await pinVaultwarden(w, "1.38.1");
    const before = backupsOnLocal().length;
    const { app, row } = await update();
    expect(row.result).toBe("succeeded");
    expect(app.catalog_version).toBe("1.38.1");
    expect(backupsOnLocal()).not.toContain(row.snapshot);
    expect(backupsOnLocal().length).toBe(before);
  });
});
