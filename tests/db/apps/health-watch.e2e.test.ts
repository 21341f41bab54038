/**
 * Health watching against the simulated cluster: an app that stops answering is marked degraded after N
 * failed checks and its owner's subscribed channel gets one `app.down` per outage, then `app.up` when it
 * answers again; one instance holds the watch; a storage over the threshold raises `host.storage_low` and a
 * host that stops answering raises `host.unreachable`.
 */

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { eq } from "drizzle-orm";
import { proxmoxHosts } from "../../../src/db/schema.ts";
import { HealthWatcher } from "../../../src/features/apps/watch.ts";
import { createUser, type Session } from "../../helpers/harness.ts";
import { clearFaults, deploy, settled, sharedWorld, simFault } from "../../helpers/sim.ts";
import { startWebhookReceiver, type WebhookReceiver } from "../../helpers/webhook-receiver.ts";

setDefaultTimeout(90_000);

const w = sharedWorld();
let alice: Session;
let appId: string;
let vmid: number;
let hooks: WebhookReceiver;
const t0 = Date.now();
/** Ticks at explicit instants, `s` seconds after the start, so no test waits for an interval. */
const at = (s: number) => new Date(t0 + s * 1000);

const delivered = (event: string, count?: number) => hooks.delivered(event, count);
const deliveries = (event: string) => hooks.received.filter((r) => r.event === event).length;

async function health() {
  const res = await w.t.request(`/api/v1/apps/${appId}`, { token: alice.token });
  return ((await res.json()) as { app: { status: string; health: { state: string; reason: string | null } } })
    .app;
}

beforeAll(async () => {
  hooks = startWebhookReceiver();
  const admin = w.admin.token;
  const channel = await w.t.request("/api/v1/notifications/channels", {
    method: "POST",
    token: admin,
    json: {
      name: "ops",
      kind: "webhook",
      config: { url: hooks.url },
      secret: "0123456789abcdef0123",
      // The administrators' selection: host events. App events come through the owner's subscription.
      events: ["host.unreachable", "host.storage_low"],
    },
  });
  const channelId = ((await channel.json()) as { channel: { id: string } }).channel.id;
  const settings = await w.t.request("/api/v1/settings", {
    method: "PUT",
    token: admin,
    json: { health: { interval_seconds: 10, failures: 2 } },
  });
  expect(settings.status).toBe(200);
  alice = await createUser(w.t, w.admin, "alice");
  const sub = await w.t.request(`/api/v1/notifications/subscriptions/${channelId}`, {
    method: "PUT",
    token: alice.token,
    json: { events: ["app.down", "app.up"] },
  });
  expect(sub.status).toBe(204);
  const started = await deploy(
    w,
    { catalog_id: "vaultwarden", hostname: "vault", runtime: "docker" },
    alice.token,
  );
  appId = started.app.id;
  const app = await settled(w, appId, 60_000);
  expect(app?.status).toBe("running");
  vmid = app!.vmid!;
});
afterAll(() => hooks.stop());

describe("apps", () => {
  test("a running app that answers is healthy", async () => {
    const tick = await w.t.services.watcher.tick(at(0), { hosts: false });
    expect(tick).toMatchObject({ leader: true, checked: 1, failed: 0 });
    expect((await health()).health.state).toBe("healthy");
    // Checked again only when due (interval 10 s, jittered ±20 %).
    expect((await w.t.services.watcher.tick(at(5), { hosts: false })).checked).toBe(0);
  });

  test("an app that stops answering is degraded after 2 failed checks: one app.down per outage", async () => {
    await simFault(w.sim, { path: "app:http", action: "http_500", vmid, message: "app crashed" });
    const first = await w.t.services.watcher.tick(at(15), { hosts: false });
    expect(first).toMatchObject({ checked: 1, failed: 1, down: [] });
    expect((await health()).health.state).toBe("healthy");
    // Open pages hear of it: the app's status is announced again (unchanged) when its health changes.
    const heard: string[] = [];
    const off = w.t.services.events.subscribe((e) => {
      if (e.type === "app.status" && e.app_id === appId) heard.push(e.status);
    });
    const second = await w.t.services.watcher.tick(at(30), { hosts: false });
    expect(second.down).toEqual([appId]);
    await Bun.sleep(50);
    off();
    expect(heard).toEqual(["running"]);
    const app = await health();
    // Degraded is a health state beside the status: it blocks nothing.
    expect(app).toMatchObject({ status: "running", health: { state: "degraded" } });
    expect(app.health.reason).toContain("HTTP 500");
    const third = await w.t.services.watcher.tick(at(45), { hosts: false });
    expect(third).toMatchObject({ failed: 1, down: [] });
    const [down] = await delivered("app.down");
    expect(down).toMatchObject({ app: { id: appId } });
    await Bun.sleep(300);
    expect(deliveries("app.down")).toBe(1);
  });

  test("when it answers again: healthy, and app.up", async () => {
    await clearFaults(w.sim);
    const tick = await w.t.services.watcher.tick(at(60), { hosts: false });
    expect(tick.up).toEqual([appId]);
    expect((await health()).health.state).toBe("healthy");
    const [up] = await delivered("app.up");
    expect(up).toMatchObject({ app: { id: appId } });
  });

  test("one instance watches: another one does not get the lease while it is held", async () => {
    const other = new HealthWatcher({
      db: w.t.services.database.db,
      hosts: w.t.services.hosts,
      catalog: w.t.services.catalog,
      settings: w.t.services.settings,
      notify: w.t.services.notifications.notify,
      instanceId: "another-instance",
    });
    expect((await other.tick(at(75))).leader).toBe(false);
    // Stopping hands the watch over at once.
    await w.t.services.watcher.stop();
    expect((await other.tick(at(75), { hosts: false })).leader).toBe(true);
    await other.stop();
  });
});

describe("hosts", () => {
  test("a storage above the threshold raises host.storage_low once", async () => {
    await w.t.request("/api/v1/settings", {
      method: "PUT",
      token: w.admin.token,
      json: { health: { storage_low_percent: 1 } },
    });
    const first = await w.t.services.watcher.tick(at(90), { hosts: true });
    expect(first.hostsChecked).toBe(1);
    const lows = await delivered("host.storage_low");
    expect(lows[0]!.details).toMatchObject({ host_name: "sim", threshold_percent: 1 });
    const count = deliveries("host.storage_low");
    await w.t.services.watcher.tick(at(105), { hosts: true });
    await Bun.sleep(300);
    expect(deliveries("host.storage_low")).toBe(count);
  });

  test("a host that stops answering raises host.unreachable", async () => {
    // A second registration of the cluster whose API address now answers nothing (a host gone dark).
    const db = w.t.services.database.db;
    const [host] = await db.select().from(proxmoxHosts).where(eq(proxmoxHosts.id, w.hostId));
    const { id: _id, ...copy } = host!;
    await db.insert(proxmoxHosts).values({ ...copy, name: "gone", apiUrl: "https://127.0.0.1:1" });
    await w.t.services.watcher.tick(at(120), { hosts: true });
    const [event] = await delivered("host.unreachable");
    expect(event!.details).toMatchObject({ host_name: "gone" });
    expect(String(event!.details.reason).length).toBeGreaterThan(0);
    expect(deliveries("host.unreachable")).toBe(1);
  });
});
