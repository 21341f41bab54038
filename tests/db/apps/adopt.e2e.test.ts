/**
 * Containers made outside Proximity (by a community helper script, or by hand) on the simulated cluster:
 * discovery with suggestions, adoption as an `lxc` app, what is refused and why, the lifecycle an adopted
 * app gets, and release against delete. Discovery and adoption only read: the config digest stays the same.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createUser, errorOf, type Session } from "../../helpers/harness.ts";
import { configDigest, makeContainer } from "../../helpers/helper-scripts.ts";
import {
  clearFaults,
  type SimWorld,
  settled,
  simContainers,
  simControl,
  startWorld,
} from "../../helpers/sim.ts";

setDefaultTimeout(60_000);

let w: SimWorld;
let bob: Session;
beforeAll(async () => {
  w = await startWorld();
  bob = await createUser(w.t, w.admin, "bob");
  await makeContainer(w, {
    vmid: 301,
    node: "pve1",
    script: { slug: "uptimekuma", app: "Uptime Kuma", port: 3001, tags: ["analytics", "monitoring"] },
  });
  // Made by hand, named like an app the scripts know: named from the table, but not claimed as theirs.
  await makeContainer(w, { vmid: 302, node: "pve2", hostname: "jellyfin" });
  await makeContainer(w, { vmid: 303, node: "pve1", hostname: "legacy", start: false });
  // Renamed by its owner: the description's link still names the script.
  await makeContainer(w, {
    vmid: 304,
    node: "pve2",
    hostname: "passwords",
    script: { slug: "vaultwarden", app: "Vaultwarden", port: 8000, tags: ["password-manager"] },
  });
  await makeContainer(w, { vmid: 305, node: "pve1", hostname: "golden", start: false });
  await simControl(w.sim, "containers/305", { template: true });
  await makeContainer(w, { vmid: 306, node: "pve1", hostname: "ours", tags: ["proximity"], start: false });
  await simControl(w.sim, "vms", { vmid: 307, node: "pve1", name: "windows" });
});
afterAll(async () => {
  await w.stop();
});

const api = (path: string, init: Parameters<SimWorld["t"]["request"]>[1] = {}) =>
  w.t.request(path, { token: w.admin.token, ...init });

interface Found {
  vmid: number;
  node: string;
  name: string | null;
  status: string;
  adoptable: boolean;
  reason: string | null;
  lock: string | null;
  suggestion: {
    name: string;
    slug: string | null;
    source: string;
    port: number | null;
    website: string | null;
    icon: string;
    category: string | null;
  };
}

async function discovered(): Promise<Found[]> {
  const res = await api(`/api/v1/apps/discover?host_id=${w.hostId}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: Found[] }).items;
}

const adopt = (body: Record<string, unknown>, token = w.admin.token) =>
  w.t.request("/api/v1/apps/adopt", { method: "POST", token, json: { host_id: w.hostId, ...body } });

describe("discovery", () => {
  test("lists the containers Proximity does not manage, each with what it most likely runs", async () => {
    const items = await discovered();
    const byId = new Map(items.map((i) => [i.vmid, i]));
    // Templates, VMs and Proximity's own containers are not offered.
    expect([...byId.keys()]).toEqual([301, 302, 303, 304]);
    expect(byId.get(301)!.suggestion).toMatchObject({
      name: "Uptime Kuma",
      slug: "uptimekuma",
      source: "community-scripts",
      port: 3001,
      website: "https://uptime.kuma.pet/",
      category: "analytics",
    });
    expect(byId.get(301)!.suggestion.icon).toMatch(/^\/assets\/icons\/uptime-?kuma\.[a-f0-9]{10}\.svg$/);
    expect(byId.get(302)!.suggestion).toMatchObject({
      name: "Jellyfin",
      slug: "jellyfin",
      source: "unknown",
      port: 8096,
    });
    expect(byId.get(303)!.suggestion).toMatchObject({
      name: "legacy",
      slug: null,
      source: "unknown",
      port: null,
    });
    expect(byId.get(303)!.status).toBe("stopped");
    expect(byId.get(304)!.suggestion).toMatchObject({
      name: "Vaultwarden",
      slug: "vaultwarden",
      source: "community-scripts",
      port: 8000,
    });
    expect(items.every((i) => i.adoptable && i.reason === null)).toBe(true);
  });

  test("reads and never writes: the containers' configs are unchanged", async () => {
    const before = await configDigest(w, "pve1", 301);
    await discovered();
    expect(await configDigest(w, "pve1", 301)).toBe(before);
  });

  test("a locked container and one on an offline node are listed, not adoptable, with the reason", async () => {
    await simControl(w.sim, "containers/303", { lock: "backup" });
    await simControl(w.sim, "nodes/pve2", { online: false });
    try {
      const byId = new Map((await discovered()).map((i) => [i.vmid, i]));
      expect(byId.get(303)).toMatchObject({ adoptable: false, lock: "backup" });
      expect(byId.get(303)!.reason).toContain("locked (backup)");
      expect(byId.get(302)!.adoptable).toBe(false);
      expect(byId.get(302)!.reason).toContain("pve2 is offline");
    } finally {
      await simControl(w.sim, "containers/303", { lock: null });
      await simControl(w.sim, "nodes/pve2", { online: true });
    }
  });

  test("only administrators: a user gets 403 for discovery and adoption", async () => {
    expect(
      (await w.t.request(`/api/v1/apps/discover?host_id=${w.hostId}`, { token: bob.token })).status,
    ).toBe(403);
    expect((await adopt({ node: "pve1", vmid: 301 }, bob.token)).status).toBe(403);
  });
});

describe("what cannot be adopted, and why (nothing changes)", () => {
  const refused = async (body: Record<string, unknown>, status: number, text: string) => {
    const res = await adopt(body);
    expect(res.status).toBe(status);
    const error = await errorOf(res);
    expect(`${error.message} ${(error.details ?? []).map((d) => d.message).join(" ")}`).toContain(text);
  };

  test("a VM, a template, a wrong node, a guest that does not exist", async () => {
    await refused({ node: "pve1", vmid: 307 }, 422, "virtual machine");
    await refused({ node: "pve1", vmid: 305 }, 422, "template");
    await refused({ node: "pve2", vmid: 301 }, 422, "is on pve1");
    await refused({ node: "pve1", vmid: 999 }, 422, "no guest 999");
  });

  test("a locked container, one being created, one on an offline node", async () => {
    const before = await configDigest(w, "pve1", 303);
    await simControl(w.sim, "containers/303", { lock: "migrate" });
    await refused({ node: "pve1", vmid: 303 }, 409, "locked (migrate)");
    await simControl(w.sim, "containers/303", { lock: "create" });
    await refused({ node: "pve1", vmid: 303 }, 409, "being created");
    await simControl(w.sim, "containers/303", { lock: null });
    expect(await configDigest(w, "pve1", 303)).toBe(before);
    await simControl(w.sim, "nodes/pve2", { online: false });
    try {
      await refused({ node: "pve2", vmid: 302 }, 409, "pve2 is offline");
    } finally {
      await simControl(w.sim, "nodes/pve2", { online: true });
    }
    const apps = (await (await api("/api/v1/apps")).json()) as { total: number };
    expect(apps.total).toBe(0);
  });

  test("Proximity's own container, and one adopted already", async () => {
    await refused({ node: "pve1", vmid: 306 }, 409, "made by Proximity");
    const first = await adopt({ node: "pve2", vmid: 304 });
    expect(first.status).toBe(201);
    await refused({ node: "pve2", vmid: 304 }, 409, "already managed by Proximity");
    const { app } = (await first.json()) as { app: { id: string } };
    expect((await api(`/api/v1/apps/${app.id}?keep_container=true`, { method: "DELETE" })).status).toBe(202);
    await settled(w, app.id);
  });
});

describe("an adopted helper-script container", () => {
  let appId: string;

  test("is adopted with the suggestion's name and port, for an owner, and its container is untouched", async () => {
    const before = await configDigest(w, "pve1", 301);
    const res = await adopt({ node: "pve1", vmid: 301, owner_id: bob.id });
    expect(res.status).toBe(201);
    const { app } = (await res.json()) as {
      app: { id: string; name: string; runtime: string; port: number; url: string; script_slug: string };
    };
    appId = app.id;
    expect(app).toMatchObject({
      name: "Uptime Kuma",
      runtime: "lxc",
      port: 3001,
      script_slug: "uptimekuma",
      status: "running",
      owner_id: bob.id,
      adopted: true,
      resources: { cores: 1, memory_mb: 1024, disk_gb: 4 },
    });
    expect(app.url).toMatch(/^http:\/\/127\.\d+\.\d+\.\d+:3001\/$/);
    // The Open link reaches the app.
    expect((await fetch(app.url)).status).toBe(200);
    expect(await configDigest(w, "pve1", 301)).toBe(before);
    expect((await discovered()).map((i) => i.vmid)).not.toContain(301);
  });

  test("is health-watched on its port: degraded when it stops answering, healthy again after", async () => {
    const settings = await api("/api/v1/settings", {
      method: "PUT",
      json: { health: { interval_seconds: 10, failures: 1 } },
    });
    expect(settings.status).toBe(200);
    const state = async () =>
      (
        (await (await api(`/api/v1/apps/${appId}`)).json()) as {
          app: { health: { state: string; reason: string | null } };
        }
      ).app.health;
    const at = (s: number) => new Date(Date.now() + 3_600_000 + s * 1000);
    expect((await w.t.services.watcher.tick(at(0), { hosts: false })).checked).toBeGreaterThanOrEqual(1);
    expect((await state()).state).toBe("healthy");
    await simControl(w.sim, "faults", { path: "app:http", action: "http_500", vmid: 301, times: 1_000 });
    try {
      await w.t.services.watcher.tick(at(60), { hosts: false });
      const down = await state();
      expect(down.state).toBe("degraded");
      expect(down.reason).toContain(":3001/: HTTP 500");
    } finally {
      await clearFaults(w.sim);
    }
    await w.t.services.watcher.tick(at(120), { hosts: false });
    expect((await state()).state).toBe("healthy");
  });

  test("stops, starts (its port answers again) and backs up like a deployed app", async () => {
    const act = async (action: string) => {
      const r = await w.t.request(`/api/v1/apps/${appId}/actions`, {
        method: "POST",
        token: bob.token,
        json: { action },
      });
      expect(r.status).toBe(202);
      return settled(w, appId);
    };
    expect((await act("stop"))!.status).toBe("stopped");
    const started = await act("start");
    expect(started).toMatchObject({ status: "running", statusReason: null });
    const backup = await w.t.request(`/api/v1/apps/${appId}/backups`, {
      method: "POST",
      token: bob.token,
      json: {},
    });
    expect(backup.status).toBe(202);
    expect((await settled(w, appId))!.status).toBe("running");
    const list = (await (
      await w.t.request(`/api/v1/apps/${appId}/backups`, { token: bob.token })
    ).json()) as { items: { status: string }[] };
    expect(list.items.map((b) => b.status)).toEqual(["completed"]);
  });

  test("clones into an lxc app of its own under another hostname, answering on the same port", async () => {
    const source = (await (await api(`/api/v1/apps/${appId}`)).json()) as { app: { url: string } };
    const r = await w.t.request(`/api/v1/apps/${appId}/clone`, {
      method: "POST",
      token: bob.token,
      json: { hostname: "kuma-copy" },
    });
    expect(r.status).toBe(202);
    const { app } = (await r.json()) as { app: { id: string } };
    const copy = await settled(w, app.id, 60_000);
    expect(copy).toMatchObject({
      status: "running",
      runtime: "lxc",
      port: 3001,
      scriptSlug: "uptimekuma",
      hostname: "kuma-copy",
      adopted: false,
    });
    expect(copy!.url).toMatch(/:3001\/$/);
    expect(copy!.url).not.toBe(source.app.url);
    expect((await fetch(copy!.url!)).status).toBe(200);
    expect((await settled(w, appId))!.status).toBe("running");
    const del = await api(`/api/v1/apps/${app.id}`, { method: "DELETE" });
    expect(del.status).toBe(202);
    expect(await settled(w, app.id)).toBeUndefined();
  });

  test("has no container logs or catalog environment, and says why", async () => {
    const logs = await w.t.request(`/api/v1/apps/${appId}/container-logs`, { token: bob.token });
    expect(logs.status).toBe(409);
    expect((await errorOf(logs)).message).toContain("only available for apps Proximity installed");
    const env = await w.t.request(`/api/v1/apps/${appId}`, {
      method: "PATCH",
      token: bob.token,
      json: { environment: { TZ: "UTC" } },
    });
    expect(env.status).toBe(422);
  });

  test("a start whose app does not come back up ends in error naming the port", async () => {
    await simControl(w.sim, "faults", { path: "app:http", action: "http_500", vmid: 301, times: 10_000 });
    try {
      const r = await w.t.request(`/api/v1/apps/${appId}/actions`, {
        method: "POST",
        token: bob.token,
        json: { action: "restart" },
      });
      expect(r.status).toBe(202);
      const app = await settled(w, appId);
      expect(app!.status).toBe("error");
      expect(app!.statusReason).toContain("did not answer on port 3001");
    } finally {
      await clearFaults(w.sim);
    }
  });

  test("release ends management and leaves the container running, its tags and description as they were", async () => {
    const restart = await w.t.request(`/api/v1/apps/${appId}/actions`, {
      method: "POST",
      token: bob.token,
      json: { action: "start" },
    });
    expect([202, 409]).toContain(restart.status);
    await settled(w, appId);
    const before = await configDigest(w, "pve1", 301);
    const res = await w.t.request(`/api/v1/apps/${appId}?keep_container=true`, {
      method: "DELETE",
      token: bob.token,
    });
    expect(res.status).toBe(202);
    expect(await settled(w, appId)).toBeUndefined();
    expect(await configDigest(w, "pve1", 301)).toBe(before);
    const client = await w.t.services.hosts.client(w.hostId);
    expect((await client.lxcStatus("pve1", 301)).status).toBe("running");
    // It is offered again.
    expect((await discovered()).map((i) => i.vmid)).toContain(301);
  });

  test("delete with keep_container=false destroys the container", async () => {
    const res = await adopt({ node: "pve1", vmid: 303, name: "Old box" });
    expect(res.status).toBe(201);
    const { app } = (await res.json()) as {
      app: { id: string; name: string; port: number | null; url: null };
    };
    expect(app).toMatchObject({ name: "Old box", port: null, url: null, runtime: "lxc" });
    const del = await api(`/api/v1/apps/${app.id}?keep_container=false`, { method: "DELETE" });
    expect(del.status).toBe(202);
    expect(await settled(w, app.id)).toBeUndefined();
    expect(simContainers(w.sim)).not.toContain("pve1/303");
  });
});
