/**
 * My apps (the dashboard) reads the API list's prepared statement (AppsService.listViews): a user sees only
 * their own apps, in the page and in the live stream's first list, and an administrator every user's, each
 * with its owner; a hostile name stored in the database reaches the page as text.
 */
import { beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type Application, applications } from "../../../src/db/schema.ts";
import { hostRow } from "../../helpers/db.ts";
import { createTestApp, PASSWORD, type TestApp } from "../../helpers/harness.ts";
import { adminTab, ORIGIN, Tab } from "../../helpers/web-tab.ts";

// Password hashing and a fresh database per test on a shared two-core machine.
setDefaultTimeout(120_000);

let t: TestApp;
let tabs: { admin: Tab; alice: Tab; bob: Tab };
let apps: Pick<Application, "id" | "hostname">[];

const HOSTILE = `<script>alert("x")</script>`;

async function user(username: string): Promise<{ id: string; tab: Tab }> {
  const made = await t.services.users.create(
    { username, password: PASSWORD, role: "user" },
    { user: null, ip: "x", claimed: { id: null, username: "t" } },
  );
  const tab = new Tab(t);
  await tab.signIn(username);
  return { id: made.id, tab };
}

beforeEach(async () => {
  t = await createTestApp({ PUBLIC_URL: ORIGIN });
  const admin = await adminTab(t);
  const alice = await user("alice");
  const bob = await user("bob");
  const [root] = (await t.services.users.list(1, 10)).items.filter((u) => u.username === "admin");
  const host = await hostRow(t.services.database.db);
  const app = (ownerId: string, hostname: string, i: number) => ({
    ownerId,
    hostId: host.id,
    catalogId: "gitea",
    catalogVersion: "1",
    name: hostname === "alice-odd" ? HOSTILE : "Gitea",
    hostname,
    status: "running" as const,
    node: "pve1",
    vmid: 200 + i,
    resources: { cores: 1, memory_mb: 1024, disk_gb: 8 },
    environment: {},
    createdAt: new Date(Date.parse("2026-12-01T00:00:00Z") + i * 1000),
  });
  apps = await t.services.database.db
    .insert(applications)
    .values([
      app(alice.id, "alice-git", 0),
      app(alice.id, "alice-odd", 1),
      app(bob.id, "bob-git", 2),
      app(bob.id, "bob-wiki", 3),
      app(root!.id, "root-proxy", 4),
    ])
    .returning({ id: applications.id, hostname: applications.hostname });
  tabs = { admin, alice: alice.tab, bob: bob.tab };
});

/** The hostnames of the tiles in a page or stream event, in their order. */
function tiles(html: string): string[] {
  return [...html.matchAll(/<article id="app-[^"]+" data-hostname="([^"]+)" class="tile">/g)].map(
    (m) => m[1]!,
  );
}

/** The live stream's first event: the whole list. */
async function liveList(tab: Tab): Promise<string> {
  const ac = new AbortController();
  const res = await t.app.request(`${ORIGIN}/apps/live`, {
    headers: { cookie: tab.cookieHeader() },
    signal: ac.signal,
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  let text = "";
  while (!text.includes("\n\n")) text += new TextDecoder().decode((await reader.read()).value);
  ac.abort();
  return text;
}

describe("My apps", () => {
  test("a user's dashboard and live list show only their own apps, newest first, without owners", async () => {
    for (const [tab, own] of [
      [tabs.alice, ["alice-odd", "alice-git"]],
      [tabs.bob, ["bob-wiki", "bob-git"]],
    ] as const) {
      const html = await (await tab.request("/apps")).text();
      expect(html).toContain("<h1>My apps</h1>");
      expect(html).toContain('<p class="count">2 apps</p>');
      expect(tiles(html)).toEqual([...own]);
      expect(tiles(await liveList(tab))).toEqual([...own]);
      for (const other of ["alice", "bob", "root"].filter((n) => !own[0].startsWith(n)))
        expect(html).not.toContain(`${other}-`);
      expect(html).not.toContain("· alice");
      expect(html).not.toContain("· bob");
    }
  });

  test("an administrator's lists every user's apps, each with its owner's name", async () => {
    const html = await (await tabs.admin.request("/apps")).text();
    expect(html).toContain("<h1>All apps</h1>");
    expect(html).toContain("5 apps (you are an administrator");
    const all = ["root-proxy", "bob-wiki", "bob-git", "alice-odd", "alice-git"];
    expect(tiles(html)).toEqual(all);
    expect(tiles(await liveList(tabs.admin))).toEqual(all);
    for (const [hostname, owner] of [
      ["root-proxy", "admin"],
      ["bob-wiki", "bob"],
      ["alice-git", "alice"],
    ]) {
      const tile = html.match(new RegExp(`data-hostname="${hostname}".*?</article>`))![0];
      expect(tile).toContain(`<p class="tile-meta">1 core · 1 GiB · 8 GiB · pve1 · ${owner}</p>`);
    }
  });

  test("after a delete, another user's app id names nothing: the notice does not reveal it", async () => {
    const bobs = apps.find((a) => a.hostname === "bob-git")!;
    const mine = apps.find((a) => a.hostname === "alice-git")!;
    const other = await (await tabs.alice.request(`/apps?deleting=${bobs.id}`)).text();
    expect(other).toContain("The app was deleted.");
    expect(other).not.toContain("bob-git");
    const own = await (await tabs.alice.request(`/apps?deleting=${mine.id}`)).text();
    expect(own).toContain("Deleting alice-git: it leaves this list once its container is gone.");
  });

  test("a name stored in the database is text on the page, not markup", async () => {
    const html = await (await tabs.alice.request("/apps")).text();
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('<small class="muted">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</small>');
  });
});
