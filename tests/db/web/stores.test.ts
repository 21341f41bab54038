/**
 * The App stores page without a browser: an admin adds a store by its directory, sees its counts and the
 * report of refusals, the catalog shows its apps with a community badge and a source filter, the install
 * form says the entry was not checked, and the catalog paginates its cards.
 */
import { beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { SYSTEM_ACTOR } from "../../../src/core/identity.ts";
import { applications } from "../../../src/db/schema.ts";
import { createTestApp, PASSWORD, registerOfflineHost, type TestApp } from "../../helpers/harness.ts";
import { adminTab, ORIGIN, Tab } from "../../helpers/web-tab.ts";

setDefaultTimeout(120_000);

const FIXTURES = join(import.meta.dir, "../../fixtures/stores");
let t: TestApp;

beforeEach(async () => {
  t = await createTestApp({ PUBLIC_URL: ORIGIN });
});

describe("App stores", () => {
  test("an admin adds a store; its counts, report and apps appear", async () => {
    const tab = await adminTab(t);
    const page = await tab.request("/stores");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("No stores yet");

    const added = await tab.request("/stores", {
      form: { name: "tipi", url: join(FIXTURES, "runtipi"), format: "auto" },
    });
    expect(added.status).toBe(303);
    const [source] = await t.services.sources.list();
    await t.services.sources.settled(source!.id);

    const list = await (await tab.request("/stores")).text();
    expect(list).toContain("8 imported");
    expect(list).toContain("5 refused");
    const report = await (await tab.request(`/stores/${source!.id}`)).text();
    expect(report).toContain("does not run on amd64 (only arm64)");
    expect(report).toContain("ships a fixed password");

    const catalog = await (await tab.request("/catalog?source=tipi")).text();
    expect(catalog).toContain("community · tipi");
    expect(catalog).toContain('href="/catalog/tipi%2Fnotepad"');
    expect(catalog).toContain("8 of ");
    const entry = await tab.request("/catalog/tipi%2Fnotepad");
    expect(entry.status).toBe(200);
    const html = await entry.text();
    expect(html).toContain("not checked by Proximity");
    expect(html).toContain('action="/catalog/tipi%2Fnotepad/install"');
    expect(html).not.toContain("Image not pinned");
    // What the import changed is on the entry's page, as in the store's report.
    expect(html).toContain('id="import-notes"');
    expect(html).toContain("/etc/localtime is not mounted (the container keeps the host&#39;s clock)");
    // A store's label without a full stop still reads as a sentence before the secret's own help.
    expect(html).toContain("Admin password. Kept encrypted;");
    // A built-in entry has none.
    expect(await (await tab.request("/catalog/gitea")).text()).not.toContain("import-notes");
    // An entry whose store names its image without a version says, on its page and install form, that
    // Proximity cannot offer updates for it.
    const rolling = await (await tab.request("/catalog/tipi%2Frolling")).text();
    expect(rolling).toContain(
      "Image not pinned (example/rolling:latest, redis): Proximity cannot offer updates for this app.",
    );
    expect(rolling).toContain('id="unpinned-note"');

    // A fixed database password of the store: the page says it was replaced, and the install form offers the
    // generated secret (left empty: generated; read later with Reveal credentials).
    const wikidb = await (await tab.request("/catalog/tipi%2Fwikidb")).text();
    expect(wikidb).toContain(
      "DB_PASSWORD: the store&#39;s fixed credential (wikidb DB_PASSWORD, wikidb DATABASE_URL, wikidb-db POSTGRES_PASSWORD) is replaced by one generated at install; Reveal credentials on the app&#39;s page shows it",
    );
    expect(wikidb).toContain('name="environment.DB_PASSWORD"');
    expect(wikidb).toContain("Generated automatically if left empty");
    expect(wikidb).not.toContain("tipi@");

    const refreshed = await tab.request(`/stores/${source!.id}/refresh`, { form: {} });
    expect(refreshed.status).toBe(303);
    await t.services.sources.settled(source!.id);
    const removed = await tab.request(`/stores/${source!.id}/delete`, { form: {} });
    expect(removed.status).toBe(303);
    expect(t.services.catalog.get("tipi/notepad")).toBeUndefined();
  });

  test("a bad name or URL is explained beside its field and adds nothing", async () => {
    const tab = await adminTab(t);
    await tab.request("/stores");
    const res = await tab.request("/stores", {
      form: { name: "Not A Slug", url: "relative/path", format: "auto" },
      headers: { "hx-request": "true" },
    });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toMatch(/id="name-error"/);
    expect(await t.services.sources.list()).toEqual([]);
  });

  test("an app whose store maps the host's GPU: its page says hardware transcoding is off; another device's refusal is in the report", async () => {
    const tab = await adminTab(t);
    const source = await t.services.sources.create(
      { name: "casa", url: join(FIXTURES, "casaos") },
      SYSTEM_ACTOR,
    );
    await t.services.sources.settled(source.id);
    const html = await (await tab.request("/catalog/casa%2Fgpubox")).text();
    expect(html).toContain('id="import-notes"');
    expect(html).toContain(
      "Hardware transcoding is off: Proximity does not pass the host&#39;s GPU into an app&#39;s container (/dev/dri, /dev/dri/renderD128, /dev/dri/card0 not passed); GPU Box transcodes on the CPU",
    );
    expect(html).toContain('action="/catalog/casa%2Fgpubox/install"');
    const report = await (await tab.request(`/stores/${source.id}`)).text();
    expect(report).toContain("passes the host device /dev/ttyUSB0 into its container (devices)");
  });

  test("a user cannot open the page", async () => {
    const tab = await adminTab(t);
    await tab.request("/users");
    await tab.request("/users", {
      form: { username: "member", password: PASSWORD, password_confirm: PASSWORD, role: "user" },
    });
    const member = new Tab(t);
    await member.signIn("member");
    expect((await member.request("/stores")).status).toBe(403);
  });
});

test("the catalog shows a page of cards and offers the rest", async () => {
  const tab = await adminTab(t);
  const all = t.services.catalog.list({});
  const html = await (await tab.request("/catalog")).text();
  const cards = html.match(/class="entry-card"/g)?.length ?? 0;
  if (all.length > 48) {
    expect(html).toContain("Show more");
    const more = await (await tab.request("/catalog?page=2")).text();
    expect(more.match(/class="entry-card"/g)!.length).toBeGreaterThan(cards);
  } else {
    expect(html).not.toContain("Show more");
  }
});

test("the Settings page sets who installs community apps and how often stores are imported", async () => {
  const tab = await adminTab(t);
  const html = await (await tab.request("/settings")).text();
  expect(html).toContain("Third-party app stores");
  // The form as the page sends it: the other sections at their defaults, the catalog's fields as given.
  const save = (catalog: Record<string, string>) =>
    tab.request("/settings", {
      method: "PUT",
      form: {
        registration: "closed",
        "resources.cores": "2",
        "resources.memory_mb": "2048",
        "resources.disk_gb": "8",
        "network.bridge": "vmbr0",
        "storage.rootfs": "local-lvm",
        "storage.backups": "local",
        ...catalog,
      },
      headers: { "hx-request": "true" },
    });
  const res = await save({ "catalog.community_installs": "true", "catalog.source_refresh_hours": "6" });
  expect(res.status).toBe(200);
  expect((await t.services.settings.get()).catalog).toEqual({
    community_installs: "everyone",
    source_refresh_hours: 6,
  });
  const bad = await save({ "catalog.source_refresh_hours": "-1" });
  expect(bad.status).toBe(422);
  expect(await bad.text()).toMatch(
    /id="catalog\.source_refresh_hours-error"|id="catalog-source_refresh_hours-error"/,
  );
  expect((await t.services.settings.get()).catalog.source_refresh_hours).toBe(6);
});

test("an app without a web interface: its catalog page and app page say so, and offer no Open button", async () => {
  const tab = await adminTab(t);
  const source = await t.services.sources.create(
    { name: "tipi", url: join(FIXTURES, "runtipi") },
    SYSTEM_ACTOR,
  );
  await t.services.sources.settled(source.id);
  const entryPage = await (await tab.request("/catalog/tipi%2Fdyndns")).text();
  expect(entryPage).toContain('id="entry-no-web"');
  expect(entryPage).toContain("None: a service without one");

  // Two running apps (rows only: the pages need no container): the daemon, and a web app beside it.
  const {
    items: [owner],
  } = await t.services.users.list(1, 10);
  const host = await registerOfflineHost(t);
  const row = (catalogId: string, hostname: string, url: string | null) => ({
    ownerId: owner!.id,
    hostId: host.id,
    catalogId,
    name: hostname,
    hostname,
    status: "running" as const,
    ip: "192.0.2.20",
    url,
    resources: { cores: 1, memory_mb: 512, disk_gb: 4 },
  });
  const [daemon, web] = await t.services.database.db
    .insert(applications)
    .values([row("tipi/dyndns", "dyndns", null), row("tipi/kvstore", "kv", "http://192.0.2.20:8080")])
    .returning();

  const page = await tab.request(`/apps/${daemon!.id}`);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).not.toContain("data-open-link");
  expect(html).not.toContain("Open dyndns");
  expect(html).toContain('id="app-no-web"');
  expect(html).toContain("None: this app is a service without a web interface, so there is nothing to open.");
  expect(html).toContain("It publishes no port.");
  expect(html).toContain("there is nothing to reach at an HTTPS name");
  // Asking for an HTTPS name anyway (a hand-made request) is refused with the reason; nothing changes.
  const expose = await tab.request(`/apps/${daemon!.id}/exposure`, {
    form: { enabled: "true" },
    headers: { "hx-request": "true" },
  });
  expect(expose.status).toBe(409);
  expect(await expose.text()).toContain(
    "dyndns has no web interface: there is nothing to reach at an HTTPS name",
  );
  // Its tile on My apps leads to its page, not to an address.
  const dashboard = await (await tab.request("/apps")).text();
  expect(dashboard).toContain(`href="/apps/${daemon!.id}"`);

  // The web app beside it keeps its Open button and says nothing of the kind.
  const webHtml = await (await tab.request(`/apps/${web!.id}`)).text();
  expect(webHtml).toContain("data-open-link");
  expect(webHtml).not.toContain('id="app-no-web"');
});
