/**
 * The web pages without a browser, through app.request(): first run, sessions in cookies (rotation,
 * logout, password change, disabled users), CSRF (origin and token), HTML fragments for htmx, assets and
 * icons, and that the JSON API ignores the cookie.
 */
import { beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { auditLog, refreshTokens, users } from "../../../src/db/schema.ts";
import { startSimulator } from "../../../src/simulator/index.ts";
import { createTestApp, PASSWORD, type TestApp } from "../../helpers/harness.ts";
import { simHostBody } from "../../helpers/sim.ts";
import { adminTab, ORIGIN, Tab } from "../../helpers/web-tab.ts";

// Password hashing and a fresh database per test on a shared two-core machine.
setDefaultTimeout(120_000);

let t: TestApp;

beforeEach(async () => {
  t = await createTestApp({ PUBLIC_URL: ORIGIN });
});

async function userRows() {
  return t.services.database.db.select().from(users);
}

describe("first run", () => {
  test("with no user, / leads to /setup, which creates the administrator and signs in", async () => {
    const tab = new Tab(t);
    const root = await tab.request("/");
    expect(root.status).toBe(303);
    expect(root.headers.get("location")).toBe("/setup");
    const page = await tab.request("/setup");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Create the administrator");
    expect(html).toMatch(/<input type="hidden" name="_csrf" value="[\w-]{43}"/);
    const done = await tab.request("/setup", { form: { username: "Admin", password: PASSWORD } });
    expect(done.status).toBe(303);
    const cookie = done.headers.getSetCookie().find((c) => c.startsWith("__Host-proximity_session="))!;
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toContain("Secure"); // PUBLIC_URL is https
    const [admin] = await userRows();
    expect(admin).toMatchObject({ username: "admin", role: "admin" });
    // Once someone exists, /setup is over.
    expect((await new Tab(t).request("/setup")).headers.get("location")).toBe("/login");
  });

  test("a weak password is explained beside the field and creates nobody", async () => {
    const tab = new Tab(t);
    await tab.request("/setup");
    const res = await tab.request("/setup", { form: { username: "admin", password: "short" } });
    expect(res.status).toBe(422);
    expect(await res.text()).toMatch(/id="password-error"[^>]*>[^<]*at least 10 characters/);
    expect(await userRows()).toHaveLength(0);
  });
});

describe("CSRF", () => {
  test("without the token, or from another origin, a state change is refused and nothing changes", async () => {
    const tab = new Tab(t);
    await tab.request("/setup");
    const noToken = await tab.request("/setup", {
      form: { username: "admin", password: PASSWORD },
      token: false,
    });
    expect(noToken.status).toBe(403);
    const foreign = await tab.request("/setup", {
      form: { username: "admin", password: PASSWORD },
      headers: { origin: "https://evil.example" },
    });
    expect(foreign.status).toBe(403);
    const noOrigin = await tab.request("/setup", {
      form: { username: "admin", password: PASSWORD },
      headers: { origin: "null" },
    });
    expect(noOrigin.status).toBe(403);
    expect(await userRows()).toHaveLength(0);
  });

  test("a signed-in session cookie without the token cannot create a user, act on an app or sign out", async () => {
    const tab = await adminTab(t);
    for (const [path, form] of [
      ["/users", { username: "mallory", password: PASSWORD, role: "admin" }],
      ["/logout", {}],
      ["/account/sign-out-everywhere", {}],
      ["/apps/00000000-0000-4000-8000-000000000000/action", { action: "stop" }],
    ] as const) {
      const res = await tab.request(path, { form, token: false, headers: { "hx-request": "true" } });
      expect(res.status).toBe(403);
      // htmx gets a toast with the reason and the request id.
      const html = await res.text();
      expect(html).toContain('hx-target="#toasts"');
      expect(html).toContain(res.headers.get("x-request-id")!);
    }
    // A token from another browser (another CSRF cookie) does not work either.
    const other = new Tab(t);
    await other.request("/login");
    const res = await tab.request("/users", {
      form: { username: "mallory", password: PASSWORD, role: "admin", _csrf: other.csrf },
      token: false,
    });
    expect(res.status).toBe(403);
    expect((await userRows()).map((u) => u.username)).toEqual(["admin"]);
    expect((await tab.request("/apps")).status).toBe(200); // still signed in
  });
});

describe("sessions", () => {
  test("logout ends the session at once", async () => {
    const tab = await adminTab(t);
    const cookie = tab.jar.get("__Host-proximity_session")!;
    await tab.request("/apps");
    expect((await tab.request("/logout", { form: {} })).status).toBe(303);
    tab.jar.set("__Host-proximity_session", cookie); // a copy kept by someone
    const res = await tab.request("/apps");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/login?next=%2Fapps");
  });

  test("changing the password ends the other sessions and keeps this one", async () => {
    const a = await adminTab(t);
    const b = new Tab(t);
    await b.signIn("admin");
    expect((await b.request("/apps")).status).toBe(200);
    await a.request("/account");
    const res = await a.request("/account/password", {
      form: { current_password: PASSWORD, new_password: "another-long-password" },
      headers: { "hx-request": "true" },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Password changed");
    expect((await a.request("/apps")).status).toBe(200);
    expect((await b.request("/apps")).status).toBe(303);
  });

  test("a disabled user loses access on the next request", async () => {
    const admin = await adminTab(t);
    await t.services.users.create(
      { username: "bob", password: PASSWORD, role: "user" },
      { user: null, ip: "x", claimed: { id: null, username: "t" } },
    );
    const bob = new Tab(t);
    await bob.signIn("bob");
    expect((await bob.request("/apps")).status).toBe(200);
    const [row] = await t.services.database.db.select().from(users).where(eq(users.username, "bob"));
    await admin.request("/users");
    expect((await admin.request(`/users/${row!.id}/disabled`, { form: { disabled: "true" } })).status).toBe(
      303,
    );
    expect((await bob.request("/apps")).status).toBe(303);
  });

  test("after 15 minutes the token rotates; the new cookie works", async () => {
    const tab = await adminTab(t);
    const before = tab.jar.get("__Host-proximity_session")!;
    await t.services.database.db.update(refreshTokens).set({ createdAt: new Date(Date.now() - 16 * 60_000) });
    const res = await tab.request("/apps");
    expect(res.status).toBe(200);
    const after = tab.jar.get("__Host-proximity_session")!;
    expect(after).not.toBe(before);
    expect((await tab.request("/apps")).status).toBe(200);
    const rows = await t.services.database.db.select().from(refreshTokens);
    expect(rows.filter((r) => r.revokedReason === "rotated")).toHaveLength(1);
  });

  test("the JSON API ignores the session cookie (bearer only)", async () => {
    const tab = await adminTab(t);
    const res = await t.app.request(`${ORIGIN}/api/v1/apps`, { headers: { cookie: tab.cookieHeader() } });
    expect(res.status).toBe(401);
  });

  test("a user gets 403 on admin pages and 404 on someone else's app", async () => {
    await adminTab(t);
    await t.services.users.create(
      { username: "bob", password: PASSWORD, role: "user" },
      { user: null, ip: "x", claimed: { id: null, username: "t" } },
    );
    const bob = new Tab(t);
    await bob.signIn("bob");
    for (const p of ["/hosts", "/users", "/settings", "/audit"])
      expect((await bob.request(p)).status).toBe(403);
    const html = await (await bob.request("/apps")).text();
    expect(html).not.toContain('href="/hosts"');
    expect(html).toContain("No apps yet");
  });
});

describe("fragments and assets", () => {
  test("catalog search answers htmx with the results fragment only", async () => {
    const tab = await adminTab(t);
    const full = await (await tab.request("/catalog")).text();
    expect(full).toStartWith("<!doctype html>");
    expect(full).toContain(`${t.services.catalog.size} apps`);
    const res = await tab.request("/catalog?q=git&category=development", {
      headers: { "hx-request": "true" },
    });
    const frag = await res.text();
    expect(frag).toStartWith('<div id="catalog-results">');
    expect(frag).not.toContain("<html");
    const expected = t.services.catalog.list({ q: "git", category: "development" }).map((e) => e.name);
    expect(expected.length).toBeGreaterThan(0);
    for (const name of expected) expect(frag).toContain(`>${name}</a>`);
    expect(frag).toContain(`${expected.length} of ${t.services.catalog.size} apps`);
    const none = await (await tab.request("/catalog?q=zzzz", { headers: { "hx-request": "true" } })).text();
    expect(none).toContain("No app matches");
  });

  test("assets: content-hashed URLs, a year of caching, gzip, 304 on a matching ETag", async () => {
    const html = await (await new Tab(t).request("/setup")).text();
    const urls = [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(urls.some((u) => /^\/assets\/htmx\.[0-9a-f]{10}\.js$/.test(u))).toBe(true);
    expect(urls.some((u) => /^\/assets\/pico\.[0-9a-f]{10}\.css$/.test(u))).toBe(true);
    for (const url of urls) {
      const res = await t.app.request(url, { headers: { "accept-encoding": "gzip" } });
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("content-encoding")).toBe("gzip");
      // Not documents: nosniff and a CSP that allows nothing, without the page-only headers.
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(res.headers.get("x-frame-options")).toBeNull();
      const again = await t.app.request(url, { headers: { "if-none-match": res.headers.get("etag")! } });
      expect(again.status).toBe(304);
    }
    expect((await t.app.request("/assets/htmx.0000000000.js")).status).toBe(404);
  });

  test("icons: a brand mark or a letter tile for any id; the API's icon field points here", async () => {
    const admin = await adminTab(t);
    void admin;
    const login = await t.request("/api/v1/auth/login", {
      method: "POST",
      json: { username: "admin", password: PASSWORD },
    });
    const token = ((await login.json()) as { access_token: string }).access_token;
    const entry = (await (await t.request("/api/v1/catalog/gitea", { token })).json()) as { icon: string };
    expect(entry.icon).toMatch(new RegExp(`^${ORIGIN}/assets/icons/gitea\\.[0-9a-f]{10}\\.svg$`));
    const svg = await t.app.request(new URL(entry.icon).pathname);
    expect(svg.headers.get("content-type")).toBe("image/svg+xml");
    const text = await svg.text();
    expect(text).toContain("<title>Gitea</title>");
    expect(text).toContain("<path");
    const list = (await (await t.request("/api/v1/catalog?per_page=100", { token })).json()) as {
      items: { icon: string }[];
    };
    expect(list.items.every((e) => e.icon.startsWith(`${ORIGIN}/assets/icons/`))).toBe(true);
    // An id without a brand mark (e.g. an operator's own app) gets a letter tile.
    const tile = t.services.catalog.iconPath("my-own-app");
    const res = await t.app.request(tile);
    expect(await res.text()).toContain(">MO</text>");
    expect((await t.app.request("/assets/icons/gitea.0000000000.svg")).status).toBe(404);
  });

  test("an operator entry's icon file beside its YAML is served as its icon, in pages and the API", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "proximity-icons-"));
    try {
      const dir = join(dataDir, "catalog");
      await mkdir(dir);
      const kuma = await Bun.file("src/features/catalog/entries/uptime-kuma.yaml").text();
      const svg =
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><title>Our own mark</title><rect width="8" height="8" fill="#123456"/></svg>';
      await writeFile(join(dir, "our-status.svg"), svg);
      await writeFile(
        join(dir, "our-status.yaml"),
        kuma
          .replace(/^id: .*$/m, "id: our-status")
          .replace(/^name: .*$/m, "name: Our Status")
          .replace(/^icon: .*$/m, "icon: our-status.svg"),
      );
      // A PNG icon too, and an entry naming a file that is not there (it keeps a letter tile).
      const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);
      await writeFile(join(dir, "our-png.png"), png);
      for (const [id, icon] of [
        ["our-png", "our-png.png"],
        ["our-missing", "nothing-here.svg"],
      ])
        await writeFile(
          join(dir, `${id}.yaml`),
          kuma
            .replace(/^id: .*$/m, `id: ${id}`)
            .replace(/^name: .*$/m, `name: ${id}`)
            .replace(/^icon: .*$/m, `icon: ${icon}`),
        );
      t = await createTestApp({ PUBLIC_URL: ORIGIN, DATA_DIR: dataDir });
      expect(t.services.catalog.get("our-status")?.name).toBe("Our Status");

      const path = t.services.catalog.iconPath("our-status");
      expect(path).toMatch(/^\/assets\/icons\/our-status\.[0-9a-f]{10}\.svg$/);
      const res = await t.app.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/svg+xml");
      expect(res.headers.get("cache-control")).toContain("immutable");
      expect(await res.text()).toBe(svg);

      const pngPath = t.services.catalog.iconPath("our-png");
      expect(pngPath).toMatch(/^\/assets\/icons\/our-png\.[0-9a-f]{10}\.png$/);
      const pngRes = await t.app.request(pngPath);
      expect(pngRes.headers.get("content-type")).toBe("image/png");
      expect(new Uint8Array(await pngRes.arrayBuffer())).toEqual(png);

      const missing = await t.app.request(t.services.catalog.iconPath("our-missing"));
      expect(await missing.text()).toContain(">OM</text>");

      // The catalog page shows it, and the API's icon field points at it.
      const tab = new Tab(t);
      await tab.request("/setup");
      await tab.request("/setup", { form: { username: "admin", password: PASSWORD } });
      const html = await (await tab.request("/catalog")).text();
      expect(html).toContain(`src="${path}"`);
      const login = await t.request("/api/v1/auth/login", {
        method: "POST",
        json: { username: "admin", password: PASSWORD },
      });
      const token = ((await login.json()) as { access_token: string }).access_token;
      const entry = (await (await t.request("/api/v1/catalog/our-status", { token })).json()) as {
        icon: string;
      };
      expect(entry.icon).toBe(`${ORIGIN}${path}`);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("pages for browsers", () => {
  const BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

  test("an unknown page is an HTML 404 in the layout; the API and non-browser clients get JSON", async () => {
    const tab = await adminTab(t);
    const res = await tab.request("/nope", { headers: { accept: BROWSER, "x-request-id": "req-404-page" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain("<h1>Page not found</h1>");
    expect(html).toContain("/nope");
    expect(html).toContain("req-404-page");
    // The layout, signed in: the navigation is there.
    expect(html).toContain('href="/apps"');
    expect(html).toContain('href="/account"');
    // Signed out, too.
    const anon = await t.app.request("/deeper/nope", { headers: { accept: BROWSER } });
    expect(anon.status).toBe(404);
    expect(await anon.text()).toContain("<h1>Page not found</h1>");

    const api = await t.app.request("/api/v1/nope", { headers: { accept: BROWSER } });
    expect(api.status).toBe(404);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    for (const accept of [undefined, "application/json", "*/*"]) {
      const res = await t.app.request("/nope", { headers: accept ? { accept } : {} });
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toContain("application/json");
    }
    // Not a page: a POST to an unknown path stays JSON.
    const post = await t.app.request("/nope", { method: "POST", headers: { accept: BROWSER } });
    expect(post.headers.get("content-type")).toContain("application/json");
  });

  test("hosts page: Test shows every preflight check in plain words, with the command that fixes it", async () => {
    const sim = await startSimulator({
      nodes: 2,
      speed: 500,
      authFailDelayMs: 0,
      tokenAcl: { "/": ["Sys.Audit"], "/vms": ["VM.Audit", "VM.Allocate"], "/storage": ["Datastore.Audit"] },
    });
    try {
      const tab = new Tab(t);
      await tab.request("/setup");
      await tab.request("/setup", { form: { username: "admin", password: PASSWORD } });
      const host = await t.services.hosts.create(
        { ...simHostBody(sim), verify_tls: true, is_default: true },
        { user: null, ip: "127.0.0.1", claimed: { id: null, username: "test" } },
      );
      const page = await (await tab.request("/hosts")).text();
      expect(page).toContain(`hx-post="/hosts/${host.id}/test"`);
      const res = await tab.request(`/hosts/${host.id}/test`, {
        method: "POST",
        headers: { "hx-request": "true", "x-csrf-token": tab.csrf },
      });
      expect(res.status).toBe(200);
      const html = await res.text();
      // The verdict first: deploys are refused until the failed check is fixed.
      expect(html).toMatch(/Not ready: 1 check failed/);
      expect(html).toContain("Deploys to this host are refused");
      // Every check, named in words rather than by its id, with its finding.
      expect(html).toContain("Proxmox VE version");
      expect(html).toContain("Proxmox VE 9.2");
      expect(html.replace(/<[^>]+>/g, " ")).not.toContain("pve_version");
      expect(html).toContain("Node pve1: storage for container disks");
      expect(html).toContain("Node pve2: SSH login and pct");
      // The failed one says so, and shows the fix as a command to copy.
      expect(html).toMatch(/<li[^>]*data-severity="error"[^>]*>[\s\S]*Privileges of the API token/);
      expect(html).toMatch(/<code>pveum role add Proximity --privs (&quot;|")[^<]*<\/code>/);
      const items = html.match(/<li[^>]*data-check=/g) ?? [];
      expect(items.length).toBeGreaterThanOrEqual(8);
      // Audited as the API's test is.
      const audited = await t.services.database.db
        .select()
        .from(auditLog)
        .where(eq(auditLog.action, "host.test"));
      expect(audited).toHaveLength(1);
      expect(audited[0]!.details).toEqual({ ok: false });
    } finally {
      t.services.hosts.close();
      await sim.stop();
    }
  });
});
