/**
 * The web's loose edges, through app.request(): live streams end when the viewer's access does and are
 * capped per user, `next` never leaves our origin, the API's limits on the sign-in form, the scheme and
 * cookie prefix behind a TLS-terminating proxy, the Host check, and the first-run setup code.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { eq } from "drizzle-orm";
import { applications, auditLog, users } from "../../../src/db/schema.ts";
import { MAX_STREAMS_PER_USER } from "../../../src/web/apps/live.tsx";
import { safeNext } from "../../../src/web/auth/next.ts";
import { createTestApp, PASSWORD, registerOfflineHost, type TestApp } from "../../helpers/harness.ts";
import { captureLogs } from "../../helpers/logs.ts";
import { adminTab, ORIGIN, Tab } from "../../helpers/web-tab.ts";

// About 3× the slowest test measured alone on the 2-core machine (23 s: streams ended by logout, disabling
// and demotion).
setDefaultTimeout(70_000);

const SYSTEM = { user: null, ip: "x", claimed: { id: null, username: "t" } } as const;

async function world(env: Record<string, string> = {}) {
  const t = await createTestApp({ PUBLIC_URL: ORIGIN, SSE_RECHECK_SECONDS: "1", ...env });
  const admin = await adminTab(t);
  return { t, admin };
}

/** An app row of `owner` (no container: the page and its stream need none). */
async function appOf(t: TestApp, ownerId: string): Promise<string> {
  const host = await registerOfflineHost(t);
  const [app] = await t.services.database.db
    .insert(applications)
    .values({
      ownerId,
      hostId: host.id,
      catalogId: "it-tools",
      name: "IT-Tools",
      hostname: "tools",
      status: "running",
      resources: { cores: 1, memory_mb: 512, disk_gb: 2 },
    })
    .returning();
  return app!.id;
}

/** Reads an event stream until it ends or `ms` pass; whether it ended, and what it said. */
async function readStream(res: Response, ms: number): Promise<{ ended: boolean; text: string }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + ms;
  let read = reader.read();
  while (Date.now() < deadline) {
    const chunk = await Promise.race([read, Bun.sleep(deadline - Date.now()).then(() => "timeout" as const)]);
    if (chunk === "timeout") break;
    if (chunk.done) return { ended: true, text };
    text += decoder.decode(chunk.value);
    read = reader.read();
  }
  await reader.cancel().catch(() => {});
  return { ended: false, text };
}

describe("live streams end when access does", () => {
  test("after logout, after the account is disabled, and after an administrator is demoted", async () => {
    const { t, admin } = await world();
    await t.services.users.create({ username: "alice", password: PASSWORD, role: "user" }, SYSTEM);
    await t.services.users.create({ username: "root2", password: PASSWORD, role: "admin" }, SYSTEM);
    const [alice] = await t.services.database.db.select().from(users).where(eq(users.username, "alice"));
    const appId = await appOf(t, alice!.id);

    // Logout elsewhere (the same session, from another tab): both streams end, the list and the app's.
    const list = await admin.request("/apps/live");
    const page = await admin.request(`/apps/${appId}/live`);
    expect(list.status).toBe(200);
    expect(page.status).toBe(200);
    const copy = new Tab(t);
    copy.jar = new Map(admin.jar);
    await copy.request("/apps");
    await copy.request("/logout", { form: {} });
    const [a, b] = await Promise.all([readStream(list, 5_000), readStream(page, 5_000)]);
    expect(a.ended).toBe(true);
    expect(a.text).toContain("event: end");
    expect(b.ended).toBe(true);

    // Disabled: alice's own stream of her app ends.
    const aliceTab = new Tab(t);
    await aliceTab.signIn("alice");
    const own = await aliceTab.request(`/apps/${appId}/live`);
    expect(own.status).toBe(200);
    await t.services.database.db.update(users).set({ disabled: true }).where(eq(users.id, alice!.id));
    expect((await readStream(own, 5_000)).ended).toBe(true);

    // Demoted: an administrator watching someone else's app stops seeing it.
    const root2 = new Tab(t);
    await root2.signIn("root2");
    const watched = await root2.request(`/apps/${appId}/live`);
    expect(watched.status).toBe(200);
    await t.services.database.db.update(users).set({ role: "user" }).where(eq(users.username, "root2"));
    const after = await readStream(watched, 5_000);
    expect(after.ended).toBe(true);
    expect(after.text).toContain("event: end");
  });

  test(`a user holds at most ${MAX_STREAMS_PER_USER} streams; a closed one frees its place`, async () => {
    const { t, admin } = await world();
    const open = [];
    for (let i = 0; i < MAX_STREAMS_PER_USER; i++) {
      const res = await admin.request("/apps/live");
      expect(res.status).toBe(200);
      open.push(res);
    }
    const refused = await admin.request("/apps/live", { headers: { "hx-request": "true" } });
    expect(refused.status).toBe(429);
    await open.pop()!.body!.cancel();
    await Bun.sleep(50);
    const again = await admin.request("/apps/live");
    expect(again.status).toBe(200);
    for (const res of [...open, again]) await res.body!.cancel();
    void t;
  });
});

describe("after sign-in, `next` stays on our side", () => {
  test.each([
    ["/apps/123?tab=logs", "/apps/123?tab=logs"],
    ["//evil.example", "/apps"],
    ["/\\evil.example", "/apps"],
    ["/\t/evil.example", "/apps"],
    ["/\r\n/evil.example", "/apps"],
    ["https://evil.example/x", "/apps"],
    ["/%2F%2Fevil.example", "/%2F%2Fevil.example"],
    ["javascript:alert(1)", "/apps"],
  ])("%j → %s", (next, expected) => {
    expect(safeNext(next)).toBe(expected);
  });

  test("the login form redirects to a safe target, and a CR/LF next is no 500", async () => {
    const { t } = await world();
    for (const [next, location] of [
      ["/\\evil.example", "/apps"],
      ["/catalog\r\nSet-Cookie: x=1", "/catalogSet-Cookie:%20x=1"],
      ["/catalog", "/catalog"],
    ]) {
      const tab = new Tab(t);
      await tab.request("/login");
      const res = await tab.request("/login", {
        form: { username: "admin", password: PASSWORD, next: next! },
      });
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe(location!);
    }
  });
});

describe("the sign-in form has the API's limits", () => {
  test("a 900 KB username is refused before it reaches the limiter or the audit log", async () => {
    const { t } = await world();
    const tab = new Tab(t);
    await tab.request("/login");
    const res = await tab.request("/login", { form: { username: "u".repeat(900_000), password: "x" } });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain("must be at most 64 characters");
    const rows = await t.services.database.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, "auth.login"));
    expect(rows.filter((r) => (r.actorUsername ?? "").length > 64)).toEqual([]);
  });
});

describe("behind a TLS-terminating proxy", () => {
  test("X-Forwarded-Proto: https makes the origin https and the cookies Secure with the __Host- prefix", async () => {
    // PUBLIC_URL left at its default; the proxy forwards Host (an address) and the scheme.
    const t = await createTestApp({ TRUST_PROXY: "true" });
    const headers = { host: "192.168.1.10", "x-forwarded-proto": "https" };
    const page = await t.app.request("http://192.168.1.10/setup", { headers });
    expect(page.status).toBe(200);
    const cookies = page.headers.getSetCookie();
    const csrfCookie = cookies.find((c) => c.startsWith("__Host-proximity_csrf="))!;
    expect(csrfCookie).toContain("Secure");
    const token = (await page.text()).match(/name="csrf-token" content="([^"]+)"/)![1]!;
    const { setupCode } = await import("../../../src/web/auth/setup-code.ts");
    const res = await t.app.request("http://192.168.1.10/setup", {
      method: "POST",
      headers: {
        ...headers,
        origin: "https://192.168.1.10",
        cookie: csrfCookie.split(";")[0]!,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({
        _csrf: token,
        username: "admin",
        password: PASSWORD,
        setup_code: setupCode(),
      }).toString(),
    });
    expect(res.status).toBe(303);
    const session = res.headers.getSetCookie().find((c) => c.startsWith("__Host-proximity_session="));
    expect(session).toContain("Secure");
    expect(session).toContain("Path=/");
  });
});

describe("the Host check", () => {
  test("pages answer to PUBLIC_URL's host, localhost and IP addresses only", async () => {
    const t = await createTestApp({ PUBLIC_URL: ORIGIN });
    const get = (host: string) => t.app.request(`http://${host}/login`, { headers: { host } });
    for (const host of [
      "proximity.example.com",
      "localhost:8765",
      "127.0.0.1:8765",
      "[::1]:8765",
      "10.0.0.5",
    ])
      expect([200, 303]).toContain((await get(host)).status);
    const rebound = await get("evil.example");
    expect(rebound.status).toBe(403);
    expect(await rebound.text()).toContain("does not answer to");
    // The API (bearer tokens, no cookies) is not a page: no Host check there.
    expect(
      (await t.app.request("http://evil.example/health", { headers: { host: "evil.example" } })).status,
    ).toBe(200);
  });
});

describe("first run from another machine", () => {
  test("asks for the setup code from the log; without it nobody is created", async () => {
    const t = await createTestApp({ PUBLIC_URL: ORIGIN });
    const tab = new Tab(t);
    const page = await (await tab.request("/setup")).text();
    expect(page).toContain('name="setup_code"');
    for (const code of ["", "AAAA-BBBB"]) {
      const res = await tab.request("/setup", {
        form: { username: "admin", password: PASSWORD, setup_code: code },
      });
      expect(res.status).toBe(422);
      expect(await res.text()).toContain("is not the code in Proximity");
    }
    expect(await t.services.database.db.select().from(users)).toHaveLength(0);
  });
});

describe("a page that fails", () => {
  test("answers 500 with the request id and writes the error to the log, as the API does", async () => {
    const { t, admin } = await world();
    const catalog = t.services.catalog;
    const list = catalog.list.bind(catalog);
    catalog.list = () => {
      throw new Error("the catalog broke");
    };
    const logs = captureLogs("error");
    try {
      const res = await admin.request("/catalog", { headers: { "x-request-id": "req-web-500" } });
      expect(res.status).toBe(500);
      expect(await res.text()).toContain("req-web-500");
      const entry = logs.entries().find((e) => e.request_id === "req-web-500");
      expect(entry?.msg).toBe("GET /catalog failed: INTERNAL");
      expect(JSON.stringify(entry)).toContain("the catalog broke");
    } finally {
      logs.restore();
      catalog.list = list;
    }
  });
});
