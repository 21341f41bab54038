/**
 * Docker updates guarded by a PVE snapshot, against the simulated cluster: the operator's catalog moves an
 * entry ahead, the app shows the update with its notes, the update snapshots the container and succeeds;
 * an update to a release whose health check fails rolls back to the old version with its data; old
 * snapshots are pruned; an automatic update runs in its window and not outside it; bad policies are refused.
 * A webhook channel receives update.available, update.succeeded and update.rolled_back.
 */

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { deploy, pinVaultwarden, type SimWorld, settled, sharedWorldWithCatalog } from "../../helpers/sim.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver.ts";

setDefaultTimeout(90_000);

const w = sharedWorldWithCatalog();
let appId: string;
let hooks: WebhookReceiver;
/** The first delivery of `event` the webhook channel made. */
const delivered = async (event: string) => (await hooks.delivered(event))[0]!;

const api: SimWorld["api"] = (path, init) => w.api(path, init);

type SimCt = { vmid: number; snapshots: string[]; files: Record<string, { content: string }> };
function simCt(vmid: number): SimCt {
  const state = w.sim.state() as unknown as { containers: SimCt[] };
  return state.containers.find((c) => c.vmid === vmid)!;
}

interface PublicApp {
  status: string;
  status_reason: string | null;
  catalog_version: string | null;
  vmid: number;
  node: string;
  url: string;
  update: { available: boolean; current: string | null; latest: string | null; notes: string | null };
}
async function getApp(): Promise<PublicApp> {
  return ((await (await api(`/api/v1/apps/${appId}`)).json()) as { app: PublicApp }).app;
}

interface UpdateRow {
  trigger: string;
  from: string | null;
  to: string | null;
  result: string;
  step: string | null;
  reason: string | null;
  snapshot: string | null;
  finished_at: string | null;
}
async function history(): Promise<UpdateRow[]> {
  return ((await (await api(`/api/v1/apps/${appId}/updates`)).json()) as { items: UpdateRow[] }).items;
}

async function updateAndSettle() {
  const res = await api(`/api/v1/apps/${appId}/update`, { method: "POST" });
  expect(res.status).toBe(202);
  await settled(w, appId, 60_000);
  return getApp();
}

beforeAll(async () => {
  hooks = startWebhookReceiver();
  const channel = await api("/api/v1/notifications/channels", {
    method: "POST",
    json: {
      name: "hooks",
      kind: "webhook",
      config: { url: hooks.url },
      secret: "0123456789abcdef0123",
      events: ["update.available", "update.succeeded", "update.rolled_back", "update.failed"],
    },
  });
  expect(channel.status).toBe(201);
  const started = await deploy(w, { catalog_id: "vaultwarden", hostname: "vault", runtime: "docker" });
  expect(started.status).toBe(202);
  appId = started.app.id;
  expect((await settled(w, appId, 60_000))?.status).toBe("running");
});
afterAll(() => hooks.stop());

describe("update availability", () => {
  test("with the catalog's version installed there is no update, and an update is refused", async () => {
    const app = await getApp();
    expect(app.update).toMatchObject({ available: false, current: "1.37.2", latest: "1.37.2", notes: null });
    const res = await api(`/api/v1/apps/${appId}/update`, { method: "POST" });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      "nothing to update to",
    );
  });

  test("an operator entry with a newer version shows the update with the entry's notes", async () => {
    await pinVaultwarden(w, "1.38.0");
    const app = await getApp();
    expect(app.update).toMatchObject({ available: true, current: "1.37.2", latest: "1.38.0" });
    expect(app.update.notes).toContain("Vaultwarden");
    // The update watcher tells the channels once per new version.
    expect((await w.t.services.updates.tick()).notified).toEqual([appId]);
    expect((await w.t.services.updates.tick()).notified).toEqual([]);
    const notice = await delivered("update.available");
    expect(notice).toMatchObject({ app: { id: appId }, details: { from: "1.37.2", to: "1.38.0" } });
  });
});

describe("guarded update", () => {
  test("a healthy update snapshots the container first, then runs the new version", async () => {
    const exec = await w.t.services.hosts.executor(w.hostId);
    const before = await getApp();
    await exec.pctExec(before.node, before.vmid, ["tee", "/opt/proximity/marker"], {
      stdin: "written by 1.37.2\n",
    });
    const app = await updateAndSettle();
    expect(app.status).toBe("running");
    expect(app.catalog_version).toBe("1.38.0");
    expect(app.update.available).toBe(false);
    const ct = simCt(app.vmid);
    expect(ct.files["/opt/proximity/compose.yaml"]!.content).toContain("vaultwarden/server:1.38.0");
    const [row] = await history();
    expect(row).toMatchObject({ trigger: "manual", from: "1.37.2", to: "1.38.0", result: "succeeded" });
    expect(row!.snapshot).toMatch(/^proximity_upd_\d{14}$/);
    expect(ct.snapshots).toContain(row!.snapshot!);
    expect((await delivered("update.succeeded")).details).toMatchObject({ from: "1.37.2", to: "1.38.0" });
  });

  test("an update whose new version fails its health check rolls back to the old version and its data", async () => {
    await pinVaultwarden(w, "1.39.0-unhealthy");
    const before = await getApp();
    const app = await updateAndSettle();
    expect(app.status).toBe("running");
    expect(app.catalog_version).toBe("1.38.0");
    expect(app.status_reason).toContain("rolled back to 1.38.0");
    const ct = simCt(before.vmid);
    expect(ct.files["/opt/proximity/compose.yaml"]!.content).toContain("vaultwarden/server:1.38.0");
    expect(ct.files["/opt/proximity/compose.yaml"]!.content).not.toContain("unhealthy");
    expect(ct.files["/opt/proximity/marker"]!.content).toBe("written by 1.37.2\n");
    const [row] = await history();
    expect(row).toMatchObject({
      from: "1.38.0",
      to: "1.39.0-unhealthy",
      result: "rolled_back",
      step: "health",
    });
    expect(row!.reason).toContain("did not become healthy");
    expect((await delivered("update.rolled_back")).details).toMatchObject({
      from: "1.38.0",
      to: "1.39.0-unhealthy",
      step: "health",
    });
    // The app answers again, as the old version.
    const res = await fetch(app.url);
    expect(res.status).toBe(200);
    // Still offered (the catalog is ahead), so a person can try again once the release is fixed.
    expect(app.update).toMatchObject({ available: true, latest: "1.39.0-unhealthy" });
  });

  test("after the next successful update only the newest snapshot Proximity took is kept", async () => {
    await pinVaultwarden(w, "1.39.1");
    const app = await updateAndSettle();
    expect(app.catalog_version).toBe("1.39.1");
    const [row] = await history();
    const ours = simCt(app.vmid).snapshots.filter((s) => s.startsWith("proximity_upd_"));
    expect(ours).toEqual([row!.snapshot!]);
  });
});

describe("automatic updates", () => {
  test("a bad window, or auto without a window, is refused naming the field", async () => {
    for (const body of [
      { mode: "auto", window: "every night" },
      { mode: "auto", window: null },
      { mode: "sometimes" },
    ]) {
      const res = await api(`/api/v1/apps/${appId}/update-policy`, { method: "PUT", json: body });
      expect(res.status).toBe(422);
      const err = (await res.json()) as { error: { details: { field: string }[] } };
      expect(err.error.details.map((d) => d.field)).toContain(body.mode === "sometimes" ? "mode" : "window");
    }
    expect((await getApp()).update).toMatchObject({ policy: { mode: "notify", window: null } });
  });

  test("an automatic update runs in its window, and not outside it", async () => {
    const res = await api(`/api/v1/apps/${appId}/update-policy`, {
      method: "PUT",
      json: { mode: "auto", window: "0 3 * * *" },
    });
    expect(res.status).toBe(200);
    await pinVaultwarden(w, "1.39.2");
    const day = new Date();
    const at = (h: number, m: number) =>
      new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), h, m));
    const outside = await w.t.services.updates.tick(at(5, 0));
    expect(outside.started).toEqual([]);
    const inside = await w.t.services.updates.tick(at(3, 10));
    expect(inside.started.map((s) => s.app_id)).toEqual([appId]);
    // The same window does not start a second update.
    expect((await w.t.services.updates.tick(at(3, 20))).started).toEqual([]);
    await settled(w, appId, 60_000);
    const app = await getApp();
    expect(app.catalog_version).toBe("1.39.2");
    const [row] = await history();
    expect(row).toMatchObject({ trigger: "auto", from: "1.39.1", to: "1.39.2", result: "succeeded" });
  });

  test("a version that rolled back is not tried again by itself in the next windows", async () => {
    await pinVaultwarden(w, "1.40.0-unhealthy");
    const day = new Date();
    const at = (d: number, h: number, m: number) =>
      new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + d, h, m));
    expect((await w.t.services.updates.tick(at(1, 3, 5))).started.map((s) => s.app_id)).toEqual([appId]);
    await settled(w, appId, 60_000);
    const [row] = await history();
    expect(row).toMatchObject({ trigger: "auto", to: "1.40.0-unhealthy", result: "rolled_back" });
    expect((await getApp()).catalog_version).toBe("1.39.2");
    expect((await w.t.services.updates.tick(at(2, 3, 5))).started).toEqual([]);
  });
});
