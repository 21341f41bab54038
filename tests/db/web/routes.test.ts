/**
 * The web's security harness, as tests/helpers/route-security.ts is the API's: walks every route of every
 * web area (WEB_AREAS, src/web/app.tsx) and checks sign-in, role and CSRF on each. A route added outside an
 * area, a public route not on the list below, or an area without its guard fails here.
 */
import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { eq } from "drizzle-orm";
import { users } from "../../../src/db/schema.ts";
import { webRoutes, webRouteTable } from "../../../src/web/app.tsx";
import { createTestApp, PASSWORD, type TestApp } from "../../helpers/harness.ts";
import { Tab } from "../../helpers/web-tab.ts";

// About 3× what the setup took alone on the 2-core machine (~22 s; each test < 0.1 s).
setDefaultTimeout(75_000);

/** The routes anyone may reach: first run, sign-in, sign-out. Everything else needs a session. */
const PUBLIC = new Set(["GET /", "GET /setup", "POST /setup", "GET /login", "POST /login", "POST /logout"]);

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** A concrete URL: every `:param` (with or without a pattern) becomes a random UUID. */
function concrete(path: string): string {
  return path.replace(/:[a-z_]+(\{[^}]*\})?/gi, () => crypto.randomUUID());
}

let t: TestApp;
let admin: Tab;
let user: Tab;
let disabled: Tab;
const routes = webRouteTable();

beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: "https://proximity.example.com" });
  admin = new Tab(t);
  await admin.request("/setup");
  await admin.request("/setup", { form: { username: "admin", password: PASSWORD } });
  const system = { user: null, ip: "x", claimed: { id: null, username: "t" } } as const;
  for (const name of ["bob", "carol"])
    await t.services.users.create({ username: name, password: PASSWORD, role: "user" }, system);
  user = new Tab(t);
  await user.signIn("bob");
  disabled = new Tab(t);
  await disabled.signIn("carol");
  await user.request("/apps");
  await disabled.request("/apps");
  await t.services.database.db.update(users).set({ disabled: true }).where(eq(users.username, "carol"));
});

describe("the route table", () => {
  test("every web route belongs to an area (assets aside), and only the sign-in routes are public", () => {
    const table = new Set(routes.map((r) => `${r.method} ${r.path}`));
    const mounted = webRoutes()
      .routes.filter((r) => r.method !== "ALL" && !r.path.startsWith("/assets/"))
      .map((r) => `${r.method} ${r.path}`);
    expect(mounted.filter((r) => !table.has(r))).toEqual([]);
    expect(routes.length).toBeGreaterThan(35);
    const publicRoutes = routes.filter((r) => r.access === "public").map((r) => `${r.method} ${r.path}`);
    expect(new Set(publicRoutes)).toEqual(PUBLIC);
  });
});

describe.each(routes.filter((r) => r.access !== "public").map((r) => [`${r.method} ${r.path}`, r] as const))(
  "%s",
  (_, route) => {
    const url = concrete(route.path);
    const form = UNSAFE.has(route.method) ? { junk: "x".repeat(10) } : undefined;

    test("signed out: sent to sign in, nothing runs", async () => {
      const tab = new Tab(t);
      await tab.request("/login");
      const res = await tab.request(url, { method: route.method, ...(form ? { form } : {}) });
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toMatch(/^\/login/);
      const htmx = await tab.request(url, {
        method: route.method,
        ...(form ? { form } : {}),
        headers: { "hx-request": "true" },
      });
      expect(htmx.status).toBe(204);
      expect(htmx.headers.get("hx-redirect")).toMatch(/^\/login/);
    });

    test("a disabled user's session is over", async () => {
      const res = await disabled.request(url, { method: route.method, ...(form ? { form } : {}) });
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toMatch(/^\/login/);
    });

    if (route.access === "admin") {
      test("a non-administrator gets 403, before anything reads the input", async () => {
        const res = await user.request(url, { method: route.method, ...(form ? { form } : {}) });
        expect(res.status).toBe(403);
        if (route.method === "GET") expect(await res.text()).toContain("This page is for administrators");
      });
    }

    if (UNSAFE.has(route.method)) {
      test("without the CSRF token, or from another origin: 403", async () => {
        const noToken = await admin.request(url, { method: route.method, form: {}, token: false });
        expect(noToken.status).toBe(403);
        const foreign = await admin.request(url, {
          method: route.method,
          form: {},
          headers: { origin: "https://evil.example" },
        });
        expect(foreign.status).toBe(403);
      });
    }
  },
);
