/**
 * Authenticated sessions are cached in each instance (src/features/auth/session-cache.ts) and dropped when the
 * database announces a change (drizzle/0011_session_notify.sql). Two instances over one database — on
 * PostgreSQL each with its own connections, so the news crosses through LISTEN/NOTIFY; on PGlite both in this
 * process — and a session that one instance has cached: every way a session can end on the other instance ends
 * it here too, long before the cache's 60 s safety limit, and the delay is printed.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { testDatabaseUrl } from "../../helpers/db.ts";
import {
  changePassword,
  createTestApp,
  createUser,
  login,
  logout,
  refresh,
  type Session,
  secondTestApp,
  setupAdmin,
  type TestApp,
} from "../../helpers/harness.ts";

/** Far below the cache's 60 s safety limit: a session dropped within it was dropped by the event. */
const WELL_BEFORE_THE_SAFETY_LIMIT_MS = 5_000;

let a: TestApp;
let b: Awaited<ReturnType<typeof secondTestApp>>;
let admin: Session;

beforeEach(async () => {
  a = await createTestApp();
  await a.services.events.ready();
  b = await secondTestApp();
  admin = await setupAdmin(a);
});

afterEach(async () => {
  await b.close();
  await a.services.events.close();
});

/** B has the session cached: it answered with it, and then kept answering without a read. */
async function cachedOnB(session: Session): Promise<void> {
  expect((await b.request("/api/v1/auth/me", { token: session.token })).status).toBe(200);
  expect((await b.request("/api/v1/auth/me", { token: session.token })).status).toBe(200);
}

/** How long after `change` resolved B still let the token in (polling every millisecond or so). */
async function delayUntilRefused(token: string, path = "/api/v1/auth/me", refused = 401): Promise<number> {
  const started = performance.now();
  for (;;) {
    const status = (await b.request(path, { token })).status;
    const elapsed = performance.now() - started;
    if (status === refused) return elapsed;
    if (elapsed > WELL_BEFORE_THE_SAFETY_LIMIT_MS) return elapsed;
    await Bun.sleep(1);
  }
}

function report(what: string, ms: number): void {
  console.log(`${what}: refused by the other instance ${ms.toFixed(1)} ms after the change answered`);
  expect(ms).toBeLessThan(WELL_BEFORE_THE_SAFETY_LIMIT_MS);
}

describe(`session cache across two instances (${testDatabaseUrl ? "PostgreSQL" : "PGlite"})`, () => {
  test("disabling a user on one instance ends their cached session on the other", async () => {
    const erin = await createUser(a, admin, "erin");
    await cachedOnB(erin);
    const res = await a.request(`/api/v1/users/${erin.id}`, {
      method: "PATCH",
      token: admin.token,
      json: { disabled: true },
    });
    expect(res.status).toBe(200);
    report("disable", await delayUntilRefused(erin.token));
  });

  test("demotion shows on the other instance at once: an admin route answers 403", async () => {
    const root2 = await createUser(a, admin, "root2", "admin");
    expect((await b.request("/api/v1/users", { token: root2.token })).status).toBe(200);
    await a.request(`/api/v1/users/${root2.id}`, {
      method: "PATCH",
      token: admin.token,
      json: { role: "user" },
    });
    report("demotion", await delayUntilRefused(root2.token, "/api/v1/users", 403));
    const me = (await (await b.request("/api/v1/auth/me", { token: root2.token })).json()) as {
      user: { role: string };
    };
    expect(me.user.role).toBe("user");
  });

  test("logout on one instance ends the session on the other", async () => {
    const erin = await createUser(a, admin, "erin");
    await cachedOnB(erin);
    const out = await logout(a, erin);
    expect(out.status).toBe(204);
    report("logout", await delayUntilRefused(erin.token));
  });

  test("a password change ends the other sessions on the other instance; the presenting one stays", async () => {
    const mine = await login(a, "admin");
    await cachedOnB(admin);
    await cachedOnB(mine);
    const res = await changePassword(a, mine, "another-long-password");
    expect(res.status).toBe(204);
    report("password change", await delayUntilRefused(admin.token));
    expect((await b.request("/api/v1/auth/me", { token: mine.token })).status).toBe(200);
  });

  test("re-use of a rotated refresh token ends the session on the other instance; rotation alone does not", async () => {
    const erin = await createUser(a, admin, "erin");
    await cachedOnB(erin);
    const rotated = await refresh(a, erin.refreshToken);
    expect(rotated.status).toBe(200);
    const next = (await rotated.json()) as { access_token: string };
    // The session lives on: the old access token (same session) and the new one both still work.
    expect((await b.request("/api/v1/auth/me", { token: erin.token })).status).toBe(200);
    expect((await b.request("/api/v1/auth/me", { token: next.access_token })).status).toBe(200);
    const reused = await refresh(a, erin.refreshToken);
    expect(reused.status).toBe(401);
    report("refresh-token re-use", await delayUntilRefused(next.access_token));
  });

  test("deleting a user ends their cached session on the other instance", async () => {
    const erin = await createUser(a, admin, "erin");
    await cachedOnB(erin);
    expect(
      (await a.request(`/api/v1/users/${erin.id}`, { method: "DELETE", token: admin.token })).status,
    ).toBe(204);
    report("delete", await delayUntilRefused(erin.token));
  });
});
