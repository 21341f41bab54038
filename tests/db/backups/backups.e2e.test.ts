/**
 * Backups end to end against the simulated cluster over real sockets: create, list, get, delete, restore
 * (running app, failing restore task, recovery), failing vzdump, a schedule firing several times with a
 * controllable clock and pruning on the simulator, keep_backups on app delete, authorization, audit, metrics.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { eq } from "drizzle-orm";
import { backups, jobs } from "../../../src/db/schema.ts";
import { createUser, errorOf, type Session } from "../../helpers/harness.ts";
import { parsePrometheus } from "../../helpers/prometheus.ts";
import {
  advanceSimClock,
  clearFaults,
  deploy,
  type SimWorld,
  settled,
  simTaskFails,
  startWorld,
} from "../../helpers/sim.ts";

// Real sockets and processes on a 2-core machine: Bun's 5 s default is too tight (set per file: a
// preload's setDefaultTimeout only reaches the first file).
setDefaultTimeout(60_000);

const METRICS_TOKEN = "metrics-scraper-token-0123456789";
let w: SimWorld;
/** The backup scheduler's "now" while a test moves simulated time (undefined: real time). */
let simulatedNow: number | undefined;
let bob: Session;
let eve: Session;
let appId: string; // bob's app, running
let vmid: number;

beforeAll(async () => {
  w = await startWorld({}, { METRICS_TOKEN }, { clock: () => new Date(simulatedNow ?? Date.now()) });
  bob = await createUser(w.t, w.admin, "bob");
  eve = await createUser(w.t, w.admin, "eve");
  const d = await deploy(w, { catalog_id: "uptime-kuma", hostname: "kuma" }, bob.token);
  expect(d.status).toBe(202);
  const app = await settled(w, d.app.id);
  expect(app?.status).toBe("running");
  appId = app!.id;
  vmid = app!.vmid!;
});
afterAll(async () => {
  await w?.stop();
});

type Json = Record<string, unknown>;
const call = async (path: string, init: { method?: string; json?: unknown; token?: string } = {}) => {
  const res = await w.t.request(path, { token: bob.token, ...init });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Json };
};

async function waitJob(id: string, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const job = await w.t.services.jobRecords.get(id);
    if (job && ["succeeded", "failed", "cancelled"].includes(job.status)) return job;
    if (Date.now() > end) throw new Error(`job ${id} still ${job?.status}`);
    await Bun.sleep(10);
  }
}

async function backupRow(id: string) {
  const [row] = await w.t.services.database.db.select().from(backups).where(eq(backups.id, id));
  return row;
}

const simVolumes = (ofVmid = vmid) =>
  w.sim
    .state()
    .volumes.filter((v) => v.content === "backup" && v.vmid === ofVmid)
    .map((v) => v.volid)
    .sort();

/** Moves the simulator's wall clock (archive names and times) to `atMs`, or on by 2 s. */
async function simClock(atMs?: number): Promise<void> {
  const post = (advance: number) => advanceSimClock(w.sim, advance);
  // Archives are named by the second: two backups of one CT must not share a second.
  if (atMs === undefined) await post(2);
  else await post(Math.round(atMs / 1000 - (await post(0))));
}

async function makeBackup(body: Json = {}, token = bob.token) {
  await simClock();
  const r = await call(`/api/v1/apps/${appId}/backups`, { method: "POST", json: body, token });
  expect(r.status).toBe(202);
  const backup = r.body.backup as Json;
  const job = await waitJob((r.body.job as Json).id as string);
  await settled(w, appId);
  return {
    backup: (await call(`/api/v1/apps/${appId}/backups/${backup.id}`, { token })).body.backup as Json,
    job,
  };
}

async function appLogs(id = appId): Promise<string[]> {
  const r = await call(`/api/v1/apps/${id}/logs?per_page=100`, { token: w.admin.token });
  const all = r.body as { items: { message: string }[]; total: number };
  const last = await call(`/api/v1/apps/${id}/logs?per_page=100&page=${Math.ceil(all.total / 100)}`, {
    token: w.admin.token,
  });
  return [...all.items, ...(last.body as { items: { message: string }[] }).items].map((l) => l.message);
}

describe("create, list, get", () => {
  let first: Json;

  test("a backup records the exact volume its vzdump task created; the app returns to running", async () => {
    await simClock();
    const r = await call(`/api/v1/apps/${appId}/backups`, {
      method: "POST",
      json: { mode: "snapshot", compress: "zstd" },
    });
    expect(r.status).toBe(202);
    expect(r.body.backup).toMatchObject({
      status: "creating",
      app_id: appId,
      storage: "local",
      trigger: "manual",
    });
    // One backup or restore at a time.
    const again = await call(`/api/v1/apps/${appId}/backups`, { method: "POST", json: {} });
    expect(again.status).toBe(409);
    const app = (await call(`/api/v1/apps/${appId}`)).body.app as Json;
    expect(app.status).toBe("backing_up");

    const job = await waitJob((r.body.job as Json).id as string);
    expect(job.status).toBe("succeeded");
    expect((await settled(w, appId))?.status).toBe("running");
    first = (await call(`/api/v1/apps/${appId}/backups/${(r.body.backup as Json).id}`)).body.backup as Json;
    expect(first).toMatchObject({ status: "completed", mode: "snapshot", compress: "zstd", vmid });
    expect(first.volid).toMatch(
      new RegExp(`^local:backup/vzdump-lxc-${vmid}-\\d{4}_\\d\\d_\\d\\d-\\d\\d_\\d\\d_\\d\\d\\.tar\\.zst$`),
    );
    const vol = w.sim.state().volumes.find((v) => v.volid === first.volid)!;
    expect(vol.notes).toContain(first.id as string);
    expect(vol.notes).toContain("kuma");
    expect(first.size).toBe(vol.size);
    expect(new Date(first.backup_time as string).getTime()).toBe(vol.ctime * 1000);
  });

  test("gzip in stop mode to an explicit storage, after an out-of-band archive: ours is recorded, not the newest", async () => {
    // An archive of the same CT made outside Proximity (no notes) must never be taken for ours.
    const client = await w.t.services.hosts.client(w.hostId);
    const app = (await call(`/api/v1/apps/${appId}`)).body.app as Json;
    const { backup } = await makeBackup({ mode: "stop", compress: "gzip", storage: "local" });
    expect(backup).toMatchObject({ status: "completed", mode: "stop", compress: "gzip" });
    expect(backup.volid).toMatch(/\.tar\.gz$/);
    await simClock();
    const foreign = await client.vzdump(app.node as string, { vmid, storage: "local", compress: "lzo" });
    expect(foreign).not.toBeNull();
    await Bun.sleep(50);
    const rows = await w.t.services.database.db.select().from(backups);
    expect(rows.map((b) => b.volid)).not.toContain(simVolumes().find((v) => v.endsWith(".tar.lzo")));
    // Clean the foreign archive up so later volume counts are exact.
    const lzo = simVolumes().find((v) => v.endsWith(".tar.lzo"))!;
    await client.deleteVolume(app.node as string, "local", lzo);
    await Bun.sleep(50);
    expect(simVolumes().some((v) => v.endsWith(".tar.lzo"))).toBe(false);
  });

  test("lists per app and globally: the owner and an admin see them, newest first", async () => {
    const list = (await call(`/api/v1/apps/${appId}/backups`)).body as { items: Json[]; total: number };
    expect(list.total).toBe(2);
    expect(list.items.map((b) => b.id)).toContain(first.id);
    expect(
      new Date(list.items[0]!.created_at as string) >= new Date(list.items[1]!.created_at as string),
    ).toBe(true);
    const mine = (await call("/api/v1/backups")).body as { total: number };
    expect(mine.total).toBe(2);
    const all = (await call("/api/v1/backups", { token: w.admin.token })).body as { total: number };
    expect(all.total).toBe(2);
    const completed = (await call(`/api/v1/apps/${appId}/backups?status=completed`)).body as {
      total: number;
    };
    expect(completed.total).toBe(2);
  });

  test("a failing vzdump task marks the backup failed with the reason; the app keeps running", async () => {
    await simTaskFails(w.sim, "/nodes/{node}/vzdump", "job errors", 1);
    const r = await call(`/api/v1/apps/${appId}/backups`, { method: "POST", json: {} });
    const job = await waitJob((r.body.job as Json).id as string);
    expect(job.status).toBe("failed");
    const app = await settled(w, appId);
    expect(app?.status).toBe("running");
    expect(app?.statusReason).toContain("Backup failed");
    const row = await backupRow((r.body.backup as Json).id as string);
    expect(row?.status).toBe("failed");
    expect(row?.error).toContain("job errors");
    expect((await appLogs()).some((l) => l.includes("Backup failed") && l.includes("job errors"))).toBe(true);
    await clearFaults(w.sim);
  });
});

describe("restore", () => {
  test("restoring a running app: stop, restore over it, start again, healthy; data from the backup", async () => {
    const { backup } = await makeBackup();
    // Change the container after the backup; the restore must bring the backed-up state back.
    const app = (await call(`/api/v1/apps/${appId}`)).body.app as Json;
    const ssh = await w.t.services.hosts.executor(w.hostId);
    const wrote = await ssh.pctExec(app.node as string, vmid, ["tee", "/opt/proximity/after-backup.txt"], {
      stdin: "written after the backup",
      timeoutMs: 5_000,
    });
    expect(wrote.exitCode).toBe(0);
    const files = () =>
      Object.keys(
        (
          w.sim.state().containers.find((c) => c.vmid === vmid) as unknown as {
            files: Record<string, unknown>;
          }
        ).files,
      );
    expect(files()).toContain("/opt/proximity/after-backup.txt");

    const r = await call(`/api/v1/apps/${appId}/backups/${backup.id}/restore`, { method: "POST" });
    expect(`${r.status} ${JSON.stringify(r.body)}`).toStartWith("202");
    expect((r.body.app as Json).status).toBe("restoring");
    // Nothing else while it restores.
    expect((await call(`/api/v1/apps/${appId}/backups`, { method: "POST", json: {} })).status).toBe(409);
    expect((await call(`/api/v1/apps/${appId}/backups/${backup.id}`, { method: "DELETE" })).status).toBe(409);
    const job = await waitJob((r.body.job as Json).id as string);
    expect(job.status).toBe("succeeded");
    const after = await settled(w, appId);
    expect(after?.status).toBe("running");
    expect(after?.ip).toBeTruthy();
    const ct = w.sim.state().containers.find((c) => c.vmid === vmid)!;
    expect(ct.status).toBe("running");
    expect(files()).not.toContain("/opt/proximity/after-backup.txt");
    expect(files()).toContain("/opt/proximity/compose.yaml");
    const restoreTask = w.sim.state().tasks.filter((t) => t.type === "vzrestore" && t.id === String(vmid));
    expect(restoreTask.length).toBe(1);
    expect((await appLogs()).some((l) => l.startsWith(`Restored from ${backup.volid}`))).toBe(true);
  });

  test("a restore whose task fails: app in error with the reason, the backup still completed, the attempt logged", async () => {
    const [latest] = (
      (await call(`/api/v1/apps/${appId}/backups?status=completed`)).body as { items: Json[] }
    ).items;
    await simTaskFails(w.sim, "/nodes/{node}/lxc", `unable to restore CT ${vmid} - simulated read error`, 1);
    const r = await call(`/api/v1/apps/${appId}/backups/${latest!.id}/restore`, { method: "POST" });
    expect(r.status).toBe(202);
    const job = await waitJob((r.body.job as Json).id as string);
    expect(job.status).toBe("failed");
    const app = await settled(w, appId);
    expect(app?.status).toBe("error");
    expect(app?.statusReason).toContain("Restore from");
    expect(app?.statusReason).toContain("simulated read error");
    const still = await backupRow(latest!.id as string);
    expect(still?.status).toBe("completed");
    expect(simVolumes()).toContain(latest!.volid as string);
    const logs = await appLogs();
    expect(logs.some((l) => l.includes("Restore from") && l.includes("simulated read error"))).toBe(true);
    // The task's own log lines are in the app log too.
    expect(logs.some((l) => l.includes("TASK ERROR"))).toBe(true);
    await clearFaults(w.sim);

    // The same backup brings the app back from error.
    const again = await call(`/api/v1/apps/${appId}/backups/${latest!.id}/restore`, { method: "POST" });
    expect(again.status).toBe(202);
    expect((await waitJob((again.body.job as Json).id as string)).status).toBe("succeeded");
    expect((await settled(w, appId))?.status).toBe("running");
  });

  test("a failed backup cannot be restored (409)", async () => {
    const failed = ((await call(`/api/v1/apps/${appId}/backups?status=failed`)).body as { items: Json[] })
      .items[0]!;
    const r = await call(`/api/v1/apps/${appId}/backups/${failed.id}/restore`, { method: "POST" });
    expect(r.status).toBe(409);
  });
});

describe("delete", () => {
  test("removes the volume on Proxmox, then the row; a volume already gone is fine", async () => {
    const { backup } = await makeBackup();
    expect(simVolumes()).toContain(backup.volid as string);
    const del = await call(`/api/v1/apps/${appId}/backups/${backup.id}`, { method: "DELETE" });
    expect(del.status).toBe(204);
    expect(simVolumes()).not.toContain(backup.volid as string);
    expect(await backupRow(backup.id as string)).toBeUndefined();
    expect((await call(`/api/v1/apps/${appId}/backups/${backup.id}`, { method: "DELETE" })).status).toBe(404);

    const { backup: second } = await makeBackup();
    const client = await w.t.services.hosts.client(w.hostId);
    await client.deleteVolume(second.node as string, "local", second.volid as string, { delay: 5 });
    expect(simVolumes()).not.toContain(second.volid as string);
    expect((await call(`/api/v1/apps/${appId}/backups/${second.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await backupRow(second.id as string)).toBeUndefined();
  });
});

describe("schedules and retention", () => {
  test("validation: cron, time zone, keep counts", async () => {
    const put = (json: Json) => call(`/api/v1/apps/${appId}/backup-schedule`, { method: "PUT", json });
    expect((await call(`/api/v1/apps/${appId}/backup-schedule`)).status).toBe(404);
    const bad = await put({ cron: "not a cron" });
    expect(bad.status).toBe(422);
    expect((bad.body.error as Json).details).toEqual([expect.objectContaining({ field: "cron" })]);
    const tz = await put({ cron: "0 3 * * *", timezone: "Atlantis/Capital" });
    expect(((tz.body.error as Json).details as Json[])[0]!.field).toBe("timezone");
    expect((await put({ cron: "* * * * *" })).status).toBe(422);
    expect((await put({ cron: "0 3 * * *", keep_last: -1 })).status).toBe(422);
    const ok = await put({ cron: "0 3 * * *", timezone: "Europe/Berlin", keep_daily: 7 });
    expect(ok.status).toBe(200);
    expect(ok.body.schedule).toMatchObject({
      cron: "0 3 * * *",
      timezone: "Europe/Berlin",
      keep_daily: 7,
      enabled: true,
    });
    expect(new Date((ok.body.schedule as Json).next_run_at as string).getUTCMinutes()).toBe(0);
  });

  test("a schedule fires once per slot as the clock moves, and prunes exactly what the policy drops", async () => {
    // Manual backups so far are never pruned; count them to check that.
    const manualBefore = (await w.t.services.database.db.select().from(backups)).filter(
      (b) => b.trigger === "manual" && b.status === "completed" && b.appId === appId,
    );
    // Simulated time: both Proximity's scheduler clock and the simulator's clock move together, so the
    // archives carry the simulated times and retention sees real days.
    const realNow = Date.now();
    const t0 = Math.ceil(realNow / 86_400_000) * 86_400_000 + 86_400_000; // a UTC midnight ahead
    const setClock = async (at: number) => {
      await simClock(at);
      simulatedNow = at;
    };
    await setClock(t0 - 60_000);
    const put = await call(`/api/v1/apps/${appId}/backup-schedule`, {
      method: "PUT",
      json: { cron: "0 */6 * * *", timezone: "UTC", keep_last: 2, keep_daily: 1, compress: "lzo" },
    });
    expect(put.status).toBe(200);
    // Nothing is due yet: the slot before the schedule existed does not fire.
    expect((await w.t.services.backupScheduler.tick()).enqueued).toEqual([]);

    const hours = [0, 6, 12, 18, 24, 30, 36, 42];
    for (const h of hours) {
      const at = t0 + h * 3_600_000 + 60_000;
      await setClock(at);
      const tick = await w.t.services.backupScheduler.tick();
      expect(tick.enqueued.map((e) => e.slot)).toEqual([new Date(t0 + h * 3_600_000).toISOString()]);
      // A second tick (another instance, or this one again) at the same time enqueues nothing.
      expect((await w.t.services.backupScheduler.tick()).enqueued).toEqual([]);
      expect((await waitJob(tick.enqueued[0]!.job_id)).status).toBe("succeeded");
      expect((await settled(w, appId))?.status).toBe("running");
    }

    // keep_last 2 → day 2 18:00 and 12:00; keep_daily 1 → day 2 is covered, so day 1's newest (18:00).
    const scheduled = (await w.t.services.database.db.select().from(backups)).filter(
      (b) => b.trigger === "scheduled" && b.appId === appId,
    );
    const times = scheduled.map((b) => b.backupTime!.getTime() - t0).sort((a, b) => a - b);
    const hour = 3_600_000;
    expect(times.map((t) => Math.floor(t / hour))).toEqual([18, 36, 42]);
    expect(scheduled.every((b) => b.status === "completed" && b.compress === "lzo")).toBe(true);
    // The simulator holds exactly the kept archives plus the manual ones, nothing else.
    expect(simVolumes()).toEqual([...scheduled, ...manualBefore].map((b) => b.volid!).sort());
    const logs = await appLogs();
    expect(logs.filter((l) => l.startsWith("Pruned ")).length).toBe(hours.length - 3);
    // Jobs: one per slot, never two.
    const jobRows = await w.t.services.database.db.select().from(jobs).where(eq(jobs.kind, "backup_app"));
    const keys = jobRows.map((j) => j.dedupeKey).filter(Boolean);
    expect(keys.length).toBe(hours.length);
    expect(new Set(keys).size).toBe(hours.length);
    simulatedNow = undefined;
    await simClock(Date.now());
  });
});

describe("authorization: another user's app is 404 on every backup route", () => {
  test("eve cannot see, create, delete, restore or schedule bob's backups", async () => {
    const [any] = ((await call(`/api/v1/apps/${appId}/backups?status=completed`)).body as { items: Json[] })
      .items;
    const id = any!.id as string;
    const routes: [string, string, Json?][] = [
      ["GET", `/api/v1/apps/${appId}/backups`],
      ["POST", `/api/v1/apps/${appId}/backups`, {}],
      ["GET", `/api/v1/apps/${appId}/backups/${id}`],
      ["DELETE", `/api/v1/apps/${appId}/backups/${id}`],
      ["POST", `/api/v1/apps/${appId}/backups/${id}/restore`],
      ["GET", `/api/v1/apps/${appId}/backup-schedule`],
      ["PUT", `/api/v1/apps/${appId}/backup-schedule`, { cron: "0 3 * * *" }],
      ["GET", `/api/v1/backups/${id}`],
      ["DELETE", `/api/v1/backups/${id}`],
    ];
    for (const [method, path, json] of routes) {
      const res = await w.t.request(path, { method, token: eve.token, ...(json ? { json } : {}) });
      expect(`${method} ${path} → ${res.status}`).toBe(`${method} ${path} → 404`);
      expect((await errorOf(res)).code).toBe("NOT_FOUND");
    }
    expect(((await call("/api/v1/backups", { token: eve.token })).body as { total: number }).total).toBe(0);
    // The backup is untouched, and a backup of bob's app by id under another app is 404 for bob too.
    expect((await backupRow(id))?.status).toBe("completed");
    expect((await call(`/api/v1/apps/${crypto.randomUUID()}/backups/${id}`)).status).toBe(404);
    // The admin reaches everything.
    expect((await call(`/api/v1/apps/${appId}/backups/${id}`, { token: w.admin.token })).status).toBe(200);
  });
});

describe("deleting an app asks what happens to its backups", () => {
  test("keep_backups=true (the default) keeps rows and volumes, app_id null, with the hostname", async () => {
    const d = await deploy(w, { catalog_id: "uptime-kuma", hostname: "keeper" }, bob.token);
    const app = await settled(w, d.app.id);
    const r = await call(`/api/v1/apps/${app!.id}/backups`, { method: "POST", json: {} });
    await waitJob((r.body.job as Json).id as string);
    await settled(w, app!.id);
    const backupId = (r.body.backup as Json).id as string;
    const volid = (await backupRow(backupId))!.volid!;
    expect((await call(`/api/v1/apps/${app!.id}`, { method: "DELETE" })).status).toBe(202);
    expect(await settled(w, app!.id)).toBeUndefined();
    const row = await backupRow(backupId);
    expect(row).toMatchObject({ appId: null, appHostname: "keeper", status: "completed", volid });
    expect(simVolumes(app!.vmid!)).toContain(volid);
    // Still listed for its owner, and deletable by id.
    const mine = (await call("/api/v1/backups")).body as { items: Json[] };
    expect(mine.items.some((b) => b.id === backupId && b.app_id === null)).toBe(true);
    expect((await call(`/api/v1/backups/${backupId}`)).status).toBe(200);
    expect((await call(`/api/v1/backups/${backupId}`, { method: "DELETE" })).status).toBe(204);
    expect(simVolumes(app!.vmid!)).not.toContain(volid);
  });

  test("keep_backups=false deletes the volumes and rows", async () => {
    const d = await deploy(w, { catalog_id: "uptime-kuma", hostname: "goner" }, bob.token);
    const app = await settled(w, d.app.id);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await call(`/api/v1/apps/${app!.id}/backups`, { method: "POST", json: {} });
      await waitJob((r.body.job as Json).id as string);
      await settled(w, app!.id);
      ids.push((r.body.backup as Json).id as string);
      await simClock();
    }
    expect(simVolumes(app!.vmid!).length).toBe(2);
    expect((await call(`/api/v1/apps/${app!.id}?keep_backups=false`, { method: "DELETE" })).status).toBe(202);
    expect(await settled(w, app!.id)).toBeUndefined();
    for (const id of ids) expect(await backupRow(id)).toBeUndefined();
    expect(simVolumes(app!.vmid!)).toEqual([]);
  });
});

describe("audit and metrics", () => {
  test("every backup action is in the audit trail", async () => {
    const actions = [
      "backup.create",
      "backup.delete",
      "backup.restore",
      "backup_schedule.update",
      "app.delete",
    ];
    for (const action of actions) {
      const r = await call(`/api/v1/audit?action=${action}`, { token: w.admin.token });
      const body = r.body as { total: number; items: Json[] };
      expect(`${action}: ${body.total > 0}`).toBe(`${action}: true`);
      expect(body.items[0]!.actor_username).toBe("bob");
    }
    // Done by the scheduler: no actor, the slot in the details; pruning likewise.
    const scheduled = (
      await call("/api/v1/audit?action=backup.create&per_page=100", { token: w.admin.token })
    ).body as { items: Json[] };
    expect(
      scheduled.items.filter((e) => e.actor_id === null && (e.details as Json).trigger === "scheduled")
        .length,
    ).toBe(8);
    const pruned = (await call("/api/v1/audit?action=backup.prune", { token: w.admin.token })).body as {
      total: number;
    };
    expect(pruned.total).toBe(5);
    const restore = (
      await call(`/api/v1/audit?action=backup.restore&target=${appId}`, { token: w.admin.token })
    ).body as { items: Json[] };
    expect(restore.items[0]!.details).toMatchObject({
      backup_id: expect.any(String),
      volid: expect.any(String),
    });
  });

  test("operator actions of other features are audited too (host test/sync, reconcile)", async () => {
    const admin = { token: w.admin.token };
    expect((await call(`/api/v1/hosts/${w.hostId}/test`, { method: "POST", ...admin })).status).toBe(200);
    expect((await call(`/api/v1/hosts/${w.hostId}/sync`, { method: "POST", ...admin })).status).toBe(200);
    expect((await call("/api/v1/apps/reconcile", { method: "POST", ...admin })).status).toBe(200);
    for (const action of ["host.test", "host.sync", "app.reconcile"]) {
      const body = (await call(`/api/v1/audit?action=${action}`, admin)).body as {
        total: number;
        items: Json[];
      };
      expect(`${action}: ${body.total}`).toBe(`${action}: 1`);
      expect(body.items[0]!.actor_username).toBe("admin");
    }
  });

  test("/metrics: Prometheus text for an admin or METRICS_TOKEN; 401 anonymous; 403 other users; it moves", async () => {
    const scrape = async (token?: string) => {
      const res = await w.t.request("/metrics", token ? { token } : {});
      return { res, text: await res.text() };
    };
    const anonymous = await scrape();
    expect(anonymous.res.status).toBe(401);
    expect(JSON.parse(anonymous.text).error.code).toBe("UNAUTHENTICATED");
    expect((await scrape("wrong-token-wrong-token-wrong")).res.status).toBe(401);
    expect((await scrape(bob.token)).res.status).toBe(403);

    const before = await scrape(METRICS_TOKEN);
    expect(before.res.status).toBe(200);
    expect(before.res.headers.get("content-type")).toContain("text/plain");
    const p1 = parsePrometheus(before.text);
    expect(p1.value("proximity_apps", { status: "running" })).toBeGreaterThanOrEqual(1);
    expect(p1.value("proximity_jobs", { kind: "backup_app", status: "succeeded" })).toBeGreaterThan(0);
    expect(p1.value("proximity_job_duration_seconds_count", { kind: "restore_app" })).toBeGreaterThan(0);
    expect(p1.value("proximity_proxmox_requests_total", { path: "/nodes/{node}/vzdump" })).toBeGreaterThan(0);
    expect(
      p1.value("proximity_proxmox_request_duration_seconds_count", { path: "/nodes/{node}/lxc" }),
    ).toBeGreaterThan(0);
    expect(p1.value("proximity_proxmox_errors_total")).toBeGreaterThan(0); // the injected task failures
    expect(
      p1.value("proximity_http_requests_total", {
        route: "/api/v1/apps/{app_id}/backups",
        method: "POST",
        status: "202",
      }),
    ).toBeGreaterThan(0);
    expect(
      p1.value("proximity_http_requests_total", {
        status: "404",
        route: "/api/v1/apps/{app_id}/backups/{backup_id}",
      }),
    ).toBeGreaterThan(0);

    const { backup } = await makeBackup();
    expect(backup.status).toBe("completed");
    const after = parsePrometheus((await scrape(w.admin.token)).text);
    expect(after.value("proximity_jobs", { kind: "backup_app", status: "succeeded" })).toBe(
      p1.value("proximity_jobs", { kind: "backup_app", status: "succeeded" }) + 1,
    );
    expect(after.value("proximity_backups", { status: "completed" })).toBe(
      p1.value("proximity_backups", { status: "completed" }) + 1,
    );
    expect(after.value("proximity_proxmox_requests_total", { path: "/nodes/{node}/vzdump" })).toBe(
      p1.value("proximity_proxmox_requests_total", { path: "/nodes/{node}/vzdump" }) + 1,
    );
    expect(
      after.value("proximity_http_requests_total", {
        route: "/api/v1/apps/{app_id}/backups",
        method: "POST",
        status: "202",
      }),
    ).toBe(
      p1.value("proximity_http_requests_total", {
        route: "/api/v1/apps/{app_id}/backups",
        method: "POST",
        status: "202",
      }) + 1,
    );
  });
});
