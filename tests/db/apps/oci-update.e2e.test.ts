/**
 * The life of an app with the oci runtime after its deploy, against the simulated cluster: an update whose
 * new version fails its health check rolls back (the old container, its data and its address come back); an
 * update that works moves the data volume to a new container from the new image and removes the old one;
 * a backup records the version; a restore of a backup from before the update brings that version and its
 * data back; delete removes the container, its data and the image archive Proximity pulled.
 */

import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { eq } from "drizzle-orm";
import { applications, backups, deploymentLogs, jobs } from "../../../src/db/schema.ts";
import { httpStatus } from "../../helpers/http-status.ts";
import {
  clearFaults,
  deploy,
  pinVaultwarden,
  type SimWorld,
  settled,
  sharedWorldWithCatalog,
  simFault,
  simTaskFails,
} from "../../helpers/sim.ts";

setDefaultTimeout(90_000);

const OLD = "docker.io/vaultwarden/server:1.37.1";
const NEW = "docker.io/vaultwarden/server:1.37.2";
const OLD_TEMPLATE = "local:vztmpl/docker.io_vaultwarden_server_1.37.1.tar";
const NEW_TEMPLATE = "local:vztmpl/docker.io_vaultwarden_server_1.37.2.tar";

const w = sharedWorldWithCatalog();

const api: SimWorld["api"] = (path, init) => w.api(path, init);

type SimCt = {
  vmid: number;
  node: string;
  hostname: string;
  status: string;
  ip: string | null;
  config: Record<string, string | number>;
  oci: { repository: string; tag: string } | null;
};
type SimVolume = { volid: string; vmid?: number; content: string; files?: Record<string, string> };
const state = () => w.sim.state() as unknown as { containers: SimCt[]; volumes: SimVolume[] };
const ct = (vmid: number | null) => state().containers.find((c) => c.vmid === vmid);
const volume = (volid: string) => state().volumes.find((v) => v.volid === volid);
const mp0Of = (vmid: number | null) => String(ct(vmid)?.config.mp0 ?? "").split(",")[0]!;
const templates = () =>
  state()
    .volumes.map((v) => v.volid)
    .filter((v) => v.includes(":vztmpl/docker.io_vaultwarden"));
const row = async (id: string) =>
  (await w.t.services.database.db.select().from(applications).where(eq(applications.id, id)))[0]!;
const logOf = async (id: string) =>
  (await w.t.services.database.db.select().from(deploymentLogs).where(eq(deploymentLogs.appId, id))).map(
    (l) => l.message,
  );

let appId = "";
/** Starts an update of the app (202) and waits until it has ended: the app as it is then. */
async function updateSettled() {
  const r = await api(`/api/v1/apps/${appId}/update`, { method: "POST" });
  expect(r.status).toBe(202);
  return settled(w, appId);
}
let firstVmid = 0;
let firstIp = "";
let firstData: Record<string, string> = {};

describe("an oci app at 1.37.1", () => {
  test("deploys with its data on a mount point of its own", async () => {
    await pinVaultwarden(w, "1.37.1");
    const started = await deploy(w, { catalog_id: "vaultwarden", hostname: "vault-up", runtime: "oci" });
    expect(started.status).toBe(202);
    appId = started.app.id;
    const app = await settled(w, appId);
    expect(app?.status).toBe("running");
    expect(app?.catalogVersion).toBe("1.37.1");
    expect(app?.ociImage).toBe(OLD);
    expect(app?.ociTemplate).toBe(OLD_TEMPLATE);
    firstVmid = app!.vmid!;
    firstIp = app!.ip!;
    const data = volume(mp0Of(firstVmid));
    expect(data?.vmid).toBe(firstVmid);
    expect(data?.files?.["app-data"]).toStartWith(`created by ${OLD} in CT ${firstVmid}`);
    firstData = { ...data!.files! };
  });

  test("a backup records the version it holds", async () => {
    const r = await api(`/api/v1/apps/${appId}/backups`, { method: "POST", json: { mode: "stop" } });
    expect(r.status).toBe(202);
    const { backup } = (await r.json()) as { backup: { id: string } };
    await settled(w, appId);
    await w.t.services.jobs.idle();
    const got = (await (await api(`/api/v1/apps/${appId}/backups/${backup.id}`)).json()) as {
      backup: { status: string; app_version: string | null };
    };
    expect(got.backup).toMatchObject({ status: "completed", app_version: "1.37.1" });
    expect((await row(appId)).status).toBe("running");
  });
});

describe("update to 1.37.2", () => {
  test("a new version that fails its health check is rolled back: old container, data and address back", async () => {
    await pinVaultwarden(w, "1.37.2");
    // The container the update creates is the next free VMID; only its app answers 500.
    const nextid = Number(
      (
        (await (
          await fetch(`${w.sim.apiUrl}/api2/json/cluster/nextid`, {
            headers: { authorization: `PVEAPIToken=${w.sim.tokenId}=${w.sim.tokenSecret}` },
          })
        ).json()) as { data: string }
      ).data,
    );
    await simFault(w.sim, {
      path: "app:http",
      action: "http_500",
      message: "migration failed",
      vmid: nextid,
    });
    const app = await updateSettled();
    await clearFaults(w.sim);

    expect(app?.status).toBe("running");
    expect(app?.statusReason).toContain('Update failed at step "health"');
    expect(app?.statusReason).toContain("Rolled back");
    expect(app?.vmid).toBe(firstVmid);
    expect(app?.catalogVersion).toBe("1.37.1");
    expect(app?.ip).toBe(firstIp);
    // The new container is gone, the data volume is the old container's again, and the app opened it.
    expect(ct(nextid)).toBeUndefined();
    expect(ct(firstVmid)?.status).toBe("running");
    expect(ct(firstVmid)?.oci?.tag).toBe("1.37.1");
    const data = volume(mp0Of(firstVmid));
    expect(data?.vmid).toBe(firstVmid);
    expect(data?.files?.["app-data"]).toBe(firstData["app-data"]);
    // The archive pulled for the failed version is removed; the running version's stays.
    expect(templates()).toEqual([OLD_TEMPLATE]);
    expect(await httpStatus(`http://${firstIp}:80/alive`)).toBe(200);
    const log = await logOf(appId);
    expect(log.some((l) => l.startsWith(`Moved mp0 back to CT ${firstVmid}`))).toBe(true);
  });

  test("a new container that fails to start: the data goes back and the old container runs again", async () => {
    const before = new Set(state().containers.map((c) => c.vmid));
    await simTaskFails(w.sim, "/nodes/{node}/lxc/{vmid}/status/start", "startup for container failed", 1);
    const app = await updateSettled();
    await clearFaults(w.sim);
    expect(app?.status).toBe("running");
    expect(app?.statusReason).toContain('at step "start"');
    expect(app?.vmid).toBe(firstVmid);
    expect(new Set(state().containers.map((c) => c.vmid))).toEqual(before);
    expect(volume(mp0Of(firstVmid))?.files?.["app-data"]).toBe(firstData["app-data"]);
    expect(templates()).toEqual([OLD_TEMPLATE]);
  });

  test("an update that works: new container from the new image, same data and address, old one removed", async () => {
    const app = await updateSettled();
    expect(app?.status).toBe("running");
    expect(app?.statusReason).toBeNull();
    expect(app?.catalogVersion).toBe("1.37.2");
    expect(app?.ociImage).toBe(NEW);
    expect(app?.vmid).not.toBe(firstVmid);
    // The MAC moved with the app: the DHCP server gave the new container the same address.
    expect(app?.ip).toBe(firstIp);
    expect(ct(firstVmid)).toBeUndefined();
    const fresh = ct(app!.vmid)!;
    expect(fresh.status).toBe("running");
    expect(fresh.oci).toEqual({ repository: "docker.io/vaultwarden/server", tag: "1.37.2" });
    expect(fresh.config.onboot).toBe(1);
    // The data the first version created, now opened by the new one.
    const data = volume(mp0Of(app!.vmid))!;
    expect(data.volid).toStartWith(`local-lvm:vm-${app!.vmid}-disk-`);
    expect(data.files?.["app-data"]).toBe(firstData["app-data"]);
    expect(data.files?.["opened-by"]).toBe(NEW);
    // The app's own values are in the new container's env (the secret too), merged over the image's.
    const env = String(fresh.config.env).split("\0");
    expect(env.some((e) => e.startsWith("ADMIN_TOKEN=") && e.length > "ADMIN_TOKEN=".length + 8)).toBe(true);
    expect(env).toContain("ROCKET_PORT=80");
    // Only the new version's archive is left.
    expect(templates()).toEqual([NEW_TEMPLATE]);
    expect(await httpStatus(`http://${firstIp}:80/alive`)).toBe(200);
  });

  test("updating again to the image it runs is refused, and nothing is queued", async () => {
    const r = await api(`/api/v1/apps/${appId}/update`, { method: "POST" });
    expect(r.status).toBe(409);
    expect(((await r.json()) as { error: { message: string } }).error.message).toContain(
      "nothing to update to",
    );
    expect((await row(appId)).status).toBe("running");
  });
});

describe("restore and delete", () => {
  test("a backup on another node than the app's is refused with the reason, and nothing changes", async () => {
    const [backup] = await w.t.services.database.db.select().from(backups).where(eq(backups.appId, appId));
    const before = await row(appId);
    await w.t.services.database.db.update(backups).set({ node: "pve9" }).where(eq(backups.id, backup!.id));
    try {
      const r = await api(`/api/v1/apps/${appId}/backups/${backup!.id}/restore`, { method: "POST" });
      expect(r.status).toBe(409);
      expect(((await r.json()) as { error: { message: string } }).error.message).toBe(
        `The backup is on pve9; the app is now on ${before.node}. Only a backup on the app's node can be restored`,
      );
      const after = await row(appId);
      expect(after.status).toBe("running");
      expect(after.vmid).toBe(before.vmid);
    } finally {
      await w.t.services.database.db
        .update(backups)
        .set({ node: backup!.node })
        .where(eq(backups.id, backup!.id));
    }
  });

  test("restoring the backup from before the update brings 1.37.1 and its data back", async () => {
    const list = (await (await api(`/api/v1/apps/${appId}/backups`)).json()) as {
      items: { id: string; app_version: string }[];
    };
    const before = list.items.find((b) => b.app_version === "1.37.1")!;
    const vmid = (await row(appId)).vmid!;
    const r = await api(`/api/v1/apps/${appId}/backups/${before.id}/restore`, { method: "POST" });
    expect(r.status).toBe(202);
    const app = await settled(w, appId);
    expect(app?.status).toBe("running");
    expect(app?.vmid).toBe(vmid);
    expect(app?.catalogVersion).toBe("1.37.1");
    expect(app?.ociImage).toBe(OLD);
    expect(ct(vmid)?.oci?.tag).toBe("1.37.1");
    const data = volume(mp0Of(vmid))!;
    expect(data.files?.["app-data"]).toBe(firstData["app-data"]);
    expect(await httpStatus(`http://${app!.ip}:80/alive`)).toBe(200);
  });

  test("an update interrupted while its data moves (worker stopped) resumes where it was and completes", async () => {
    const old = (await row(appId)).vmid!;
    const before = volume(mp0Of(old))!.files!["app-data"];
    // The move answers late: the worker is stopped while it waits for it.
    await simFault(w.sim, {
      method: "POST",
      path: "/nodes/{node}/lxc/{vmid}/move_volume",
      action: "delay",
      delay_ms: 1500,
      times: 1,
    });
    const r = await api(`/api/v1/apps/${appId}/update`, { method: "POST" });
    expect(r.status).toBe(202);
    const jobId = ((await r.json()) as { job: { id: string } }).job.id;
    const step = async () =>
      (await w.t.services.database.db.select().from(jobs).where(eq(jobs.id, jobId)))[0]?.progress?.step;
    for (let i = 0; i < 500 && (await step()) !== "move_data"; i++) await Bun.sleep(10);
    expect(await step()).toBe("move_data");
    await w.t.services.jobs.stop(100);
    await Bun.sleep(2000);
    w.t.services.jobs.start();
    const app = await settled(w, appId);
    expect(app?.status).toBe("running");
    expect(app?.catalogVersion).toBe("1.37.2");
    expect(app?.vmid).not.toBe(old);
    // One container for the app, holding the same data; the old one gone.
    expect(ct(old)).toBeUndefined();
    expect(
      state()
        .containers.filter((c) => c.hostname === "vault-up")
        .map((c) => c.vmid),
    ).toEqual([app!.vmid!]);
    expect(volume(mp0Of(app!.vmid))?.files?.["app-data"]).toBe(before);
    const job = (await w.t.services.database.db.select().from(jobs).where(eq(jobs.id, jobId)))[0]!;
    expect(job.status).toBe("succeeded");
    // It did stop and resume: the move step started twice, the steps before it once.
    const lines = (
      await w.t.services.database.db.select().from(deploymentLogs).where(eq(deploymentLogs.jobId, jobId))
    ).map((l) => l.message);
    expect(lines.filter((l) => l === "move_data…").length).toBe(2);
    expect(lines.filter((l) => l === "create…").length).toBe(1);
  });

  test("delete removes the container, its data volume and the archive pulled for it", async () => {
    const vmid = (await row(appId)).vmid!;
    const data = mp0Of(vmid);
    expect(templates()).toEqual([NEW_TEMPLATE]);
    const r = await api(`/api/v1/apps/${appId}?keep_backups=false`, { method: "DELETE" });
    expect(r.status).toBe(202);
    await settled(w, appId);
    await w.t.services.jobs.idle();
    expect(ct(vmid)).toBeUndefined();
    expect(volume(data)).toBeUndefined();
    expect(templates()).toEqual([]);
  });
});
