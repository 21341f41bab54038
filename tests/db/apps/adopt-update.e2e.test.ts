/**
 * Update of an adopted helper-script container: its own /usr/bin/update through `pct exec`, non-interactive,
 * with a snapshot before, the output in the app's log, the port's health check after, and a rollback to the
 * snapshot when the script fails or the app does not come back. Refused, with the reason, when there is no
 * /usr/bin/update or no network.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { errorOf } from "../../helpers/harness.ts";
import { makeContainer } from "../../helpers/helper-scripts.ts";
import { advanceSimClock, type SimWorld, settled, simControl, startWorld } from "../../helpers/sim.ts";

setDefaultTimeout(60_000);

let w: SimWorld;
let kuma: string;
beforeAll(async () => {
  w = await startWorld();
  await makeContainer(w, {
    vmid: 401,
    node: "pve1",
    script: { slug: "uptimekuma", app: "Uptime Kuma", port: 3001, tags: ["monitoring"] },
  });
  await makeContainer(w, { vmid: 402, node: "pve1", hostname: "handmade" });
  await makeContainer(w, {
    vmid: 403,
    node: "pve1",
    hostname: "offline-tool",
    network: false,
    script: { slug: "it-tools", app: "IT-Tools", port: 80 },
  });
  kuma = await adopted(401);
});
afterAll(async () => {
  await w.stop();
});

const api = (path: string, init: Parameters<SimWorld["t"]["request"]>[1] = {}) =>
  w.t.request(path, { token: w.admin.token, ...init });

async function adopted(vmid: number): Promise<string> {
  const res = await api("/api/v1/apps/adopt", {
    method: "POST",
    json: { host_id: w.hostId, node: "pve1", vmid },
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { app: { id: string } }).app.id;
}

const container = (vmid: number) => w.sim.state().containers.find((c) => c.vmid === vmid)!;
const version = (vmid: number) => container(vmid).files["/opt/uptimekuma_version.txt"]?.content.trim();

async function history(appId: string) {
  const res = await api(`/api/v1/apps/${appId}/updates`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: { result: string; step: string | null; snapshot: string | null }[] })
    .items;
}

async function logText(appId: string): Promise<string> {
  const res = await api(`/api/v1/apps/${appId}/logs?per_page=100`);
  return ((await res.json()) as { items: { message: string }[] }).items.map((l) => l.message).join("\n");
}

/** The status a GET to the app's URL answers with. */
async function statusAtUrl(appId: string): Promise<number> {
  const { app } = (await (await api(`/api/v1/apps/${appId}`)).json()) as { app: { url: string } };
  return (await fetch(app.url)).status;
}

async function update(appId: string) {
  const res = await api(`/api/v1/apps/${appId}/update`, { method: "POST" });
  if (res.status !== 202) throw new Error(`update answered ${res.status}: ${await res.text()}`);
  return settled(w, appId);
}

describe("Update runs the container's own /usr/bin/update", () => {
  test("non-interactively, snapshot first, its output in the app's log, healthy after", async () => {
    expect(version(401)).toBe("1.0.0");
    const app = await update(kuma);
    expect(app).toMatchObject({ status: "running", statusReason: null });
    expect(version(401)).toBe("2.0.0");
    const ran = container(401).commands.find((c) => c.argv.includes("bash"))!;
    expect(ran.argv).toEqual(["env", "PHS_SILENT=1", "TERM=dumb", "bash", "/usr/bin/update"]);
    expect(ran.exitCode).toBe(0);
    const log = await logText(kuma);
    expect(log).toContain("Updated successfully!");
    expect(log).toContain("Stopping Service");
    const [last] = await history(kuma);
    expect(last).toMatchObject({ result: "succeeded" });
    expect(container(401).snapshots).toContain(last!.snapshot!);
    expect(await statusAtUrl(kuma)).toBe(200);
  });

  test.each([
    {
      name: "a failing update is rolled back to the snapshot: the old version, the app answering",
      next: "fail",
      step: "update_script",
      reasons: ["rolled back", "exited with 1"],
    },
    {
      name: "an update that ends well but leaves the app down is caught by the health check and rolled back",
      next: "break",
      step: "health",
      reasons: ["did not answer on port 3001"],
    },
  ])("$name", async ({ next, step, reasons }) => {
    await simControl(w.sim, "containers/401", { next_update: next });
    const app = await update(kuma);
    expect(app!.status).toBe("running");
    for (const reason of reasons) expect(app!.statusReason).toContain(reason);
    expect(version(401)).toBe("2.0.0");
    expect((await history(kuma))[0]).toMatchObject({ result: "rolled_back", step });
    expect(await statusAtUrl(kuma)).toBe(200);
  });
});

describe("backup and restore of the adopted container", () => {
  test("a restore brings back the container as it was backed up, and its port answers", async () => {
    await advanceSimClock(w.sim, 2);
    const made = await api(`/api/v1/apps/${kuma}/backups`, { method: "POST", json: {} });
    expect(made.status).toBe(202);
    const { backup } = (await made.json()) as { backup: { id: string } };
    expect((await settled(w, kuma))!.status).toBe("running");
    await simControl(w.sim, "containers/401", { next_update: "succeed" });
    expect((await update(kuma))!.status).toBe("running");
    expect(version(401)).toBe("3.0.0");
    const restored = await api(`/api/v1/apps/${kuma}/backups/${backup.id}/restore`, { method: "POST" });
    expect(restored.status).toBe(202);
    const app = await settled(w, kuma, 60_000);
    expect(app).toMatchObject({ status: "running", statusReason: null });
    expect(version(401)).toBe("2.0.0");
    expect((await fetch(app!.url!)).status).toBe(200);
  });
});

describe("Update refused, nothing changed", () => {
  test("a container without /usr/bin/update", async () => {
    const id = await adopted(402);
    const res = await api(`/api/v1/apps/${id}/update`, { method: "POST" });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toContain("no /usr/bin/update");
    expect(container(402).snapshots).toEqual([]);
    expect((await (await api(`/api/v1/apps/${id}`)).json()) as { app: { status: string } }).toMatchObject({
      app: { status: "running" },
    });
  });

  test("a container without network", async () => {
    const id = await adopted(403);
    const res = await api(`/api/v1/apps/${id}/update`, { method: "POST" });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toContain("no network interface");
    expect(container(403).commands.some((c) => c.argv.includes("bash"))).toBe(false);
  });

  test("a stopped container", async () => {
    const stop = await api(`/api/v1/apps/${kuma}/actions`, { method: "POST", json: { action: "stop" } });
    expect(stop.status).toBe(202);
    await settled(w, kuma);
    const res = await api(`/api/v1/apps/${kuma}/update`, { method: "POST" });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toContain("stopped");
  });
});
