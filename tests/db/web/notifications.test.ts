/**
 * Notifications in the web without a browser: an administrator adds a channel with the page's form (a
 * metadata address refused beside the field, nothing stored), a user ticks events of their own apps on
 * their account page and the subscription is what the dispatch uses.
 */
import { beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, PASSWORD, type TestApp } from "../../helpers/harness.ts";
import { adminTab, ORIGIN, Tab } from "../../helpers/web-tab.ts";

setDefaultTimeout(120_000);

let t: TestApp;

beforeEach(async () => {
  t = await createTestApp({ PUBLIC_URL: ORIGIN });
});

const webhookForm = (url: string) => ({
  kind: "webhook",
  name: "hooks",
  "config.url": url,
  secret: "0123456789abcdef0123",
  "events.app.down": "on",
  "events.update.available": "on",
});

describe("Notifications page", () => {
  test("a channel added with the form; a metadata address is refused beside the field", async () => {
    const tab = await adminTab(t);
    expect(await (await tab.request("/notifications")).text()).toContain("No channels yet");
    const refused = await tab.request("/notifications", {
      form: webhookForm("http://metadata.google.internal/computeMetadata"),
      headers: { "hx-request": "true" },
    });
    expect(refused.status).toBe(422);
    const html = await refused.text();
    expect(html).toContain('id="config-url-error"');
    expect(html).toContain("cloud metadata address");
    expect(await t.services.notifications.list()).toEqual([]);

    const added = await tab.request("/notifications", { form: webhookForm("http://192.168.1.20:8080/hook") });
    expect(added.status).toBe(303);
    const [channel] = await t.services.notifications.list();
    expect(channel).toMatchObject({
      name: "hooks",
      kind: "webhook",
      events: ["update.available", "app.down"],
    });
    const page = await (await tab.request("/notifications")).text();
    expect(page).toContain("192.168.1.20:8080");
    expect(page).not.toContain("0123456789abcdef0123");
    expect((await tab.request(`/notifications/${channel!.id}/disable`, { form: {} })).status).toBe(303);
    expect((await t.services.notifications.get(channel!.id)).enabled).toBe(false);
    expect(await (await tab.request("/notifications")).text()).toContain("disabled");
    await tab.request(`/notifications/${channel!.id}/enable`, { form: {} });
    expect((await t.services.notifications.get(channel!.id)).enabled).toBe(true);
  });
});

describe("Account: notifications for your apps", () => {
  test("a user ticks events on a channel; unticking all unsubscribes", async () => {
    const admin = await adminTab(t);
    await admin.request("/notifications", { form: webhookForm("http://192.168.1.20:8080/hook") });
    const [channel] = await t.services.notifications.list();
    const alice = await t.services.users.create(
      { username: "alice", password: PASSWORD, role: "user" },
      { user: null, ip: "127.0.0.1" },
    );
    const asAlice = { id: alice.id, username: "alice", email: null, role: "user" as const };
    const tab = new Tab(t);
    await tab.signIn("alice");
    const page = await (await tab.request("/account")).text();
    expect(page).toContain("Notifications for your apps");
    expect(page).toContain("hooks");
    const saved = await tab.request(`/account/subscriptions/${channel!.id}`, {
      method: "PUT",
      form: { "events.app.down": "on", "events.app.up": "on" },
    });
    expect(saved.status).toBe(200);
    const subs = await t.services.notifications.subscriptions(asAlice);
    expect(subs[0]!.events).toEqual(["app.down", "app.up"]);
    await tab.request(`/account/subscriptions/${channel!.id}`, { method: "PUT", form: {} });
    expect((await t.services.notifications.subscriptions(asAlice))[0]!.events).toEqual([]);
  });
});
