/**
 * Isolation under load, driven from this process (no Sentry here) against a Proximity process (Sentry on):
 * 200 concurrent requests from 200 different users, each from its own (forwarded) address, each failing —
 * every event must carry its own user, tags, route and breadcrumbs and nothing of any other request. Run in
 * development settings (every request's trace sampled: the request runs inside its span) and in production
 * settings (one in ten sampled: most events are built for a request that had no span until it failed).
 * The SDK's own breadcrumbs (an outgoing `fetch`) stay with the request that made the call. Then a burst of
 * 500 errors must arrive complete (the SDK's default transport buffer of 64 would drop most of it).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { FakeSentry, SentryEvent } from "../../helpers/fake-sentry.ts";
import {
  createUser,
  type Fixture,
  type Login,
  login,
  pool,
  registerAdmin,
  startSentryProcess,
  stopSentryProcess,
} from "./fixture.ts";

// Real sockets and processes on a 2-core machine: Bun's 5 s default is too tight (set per file: a
// preload's setDefaultTimeout only reaches the first file).
setDefaultTimeout(60_000);

const USERS = 200;
const ipOf = (i: number) => `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
type Crumb = { category: string; message?: string; data?: Record<string, unknown> };

const settings = [
  { name: "development", env: {} },
  { name: "production", env: { SENTRY_ENVIRONMENT: "production", NODE_ENV: "production" } },
] as const;

for (const setting of settings) {
  describe(`${setting.name} settings`, () => {
    let ingest: FakeSentry;
    let f: Fixture;
    let users: Login[];

    beforeAll(async () => {
      ({ ingest, f } = await startSentryProcess({ TRUST_PROXY: "true", ...setting.env }));
      const admin = await registerAdmin(f);
      const names = Array.from({ length: USERS - 1 }, (_, i) => `user${String(i).padStart(3, "0")}`);
      await pool(names, 16, (n) => createUser(f, admin, n));
      users = [admin, ...(await pool(names, 16, (n) => login(f, n)))];
    }, 60_000);

    afterAll(() => stopSentryProcess({ ingest, f }));

    test(`${USERS} concurrent requests from different users: no leak of user, tags, route or breadcrumbs`, async () => {
      ingest.reset();
      const responses = await Promise.all(
        users.map((u, i) =>
          f.call(`/api/v1/__obs/authed/concurrent/t${i}`, {
            token: u.token,
            headers: { "x-forwarded-for": ipOf(i) },
          }),
        ),
      );
      expect(responses.every((r) => r.status === 500)).toBe(true);
      const mine = (e: SentryEvent) => /^err for \S+ t\d+$/.test(e.exception?.values?.[0]?.value ?? "");
      await ingest.waitFor((s) => s.events().filter(mine).length >= USERS, 20_000, `${USERS} events`);
      const events = ingest.events().filter(mine);
      expect(events).toHaveLength(USERS);

      const traceIds = new Set<string>();
      for (const e of events) {
        const [, , username, tag] = (e.exception.values[0].value as string).split(" ");
        const i = Number(tag!.slice(1));
        const u = users[i]!;
        expect(username).toBe(u.username);
        expect(e.user).toEqual({
          id: u.id,
          username: u.username,
          email: `${u.username}@example.com`,
          role: i === 0 ? "admin" : "user",
          ip_address: ipOf(i),
        });
        expect(e.tags).toMatchObject({
          authenticated: "true",
          user_role: i === 0 ? "admin" : "user",
          error_type: "unhandled",
          status_code: "500",
        });
        expect(e.tags.request_id).toMatch(/^[0-9a-f-]{36}$/);
        expect(e.environment).toBe(setting.name);
        expect(e.transaction).toBe("GET /api/v1/__obs/authed/concurrent/{tag}");
        expect(e.request.url).toEndWith(`/api/v1/__obs/authed/concurrent/t${i}`);
        const crumbs = e.breadcrumbs as Crumb[];
        const fixture = crumbs.filter((b) => b.category === "fixture").map((b) => b.message);
        expect(fixture).toEqual([`start ${u.username}`, `then ${u.username}`]);
        const http = crumbs.filter((b) => b.category === "http.request");
        expect(http).toHaveLength(1);
        expect(http[0]!.data?.path).toBe(`/api/v1/__obs/authed/concurrent/t${i}`);
        expect(http[0]!.data?.route).toBe("GET /api/v1/__obs/authed/concurrent/{tag}");
        // This request's own DB work (no one else's): the handler's query, and the auth lookup unless the
        // session was already cached (the admin's is: its token created the other users).
        expect(e.contexts.performance.db_calls).toBe(crumbs.filter((b) => b.category === "db.query").length);
        expect(e.contexts.performance.db_calls).toBeGreaterThanOrEqual(i === 0 ? 1 : 2);
        traceIds.add(e.contexts.trace.trace_id);
      }
      expect(traceIds.size).toBe(USERS);
      if (setting.name === "production") {
        // Both kinds of request were in the run: traces sent as transactions, and traces that were not. A
        // transaction is sent when its span ends, after the error event: under load it can arrive later.
        const sent = (s: FakeSentry) =>
          events.filter((e) =>
            s.transactions().some((t) => t.contexts.trace.trace_id === e.contexts.trace.trace_id),
          ).length;
        await ingest.waitFor((s) => sent(s) > 0, 20_000, "a sampled request's transaction");
        const sampled = sent(ingest);
        expect(sampled).toBeGreaterThan(0);
        expect(sampled).toBeLessThan(USERS / 2);
      }
    }, 60_000);

    test("the SDK's fetch breadcrumb goes to the request that made the call, and to no other event", async () => {
      ingest.reset();
      const N = 20;
      const statuses = await Promise.all(
        Array.from({ length: N }, (_, i) => f.call(`/api/v1/__obs/fetch-fail/f${i}`).then((r) => r.status)),
      );
      expect(statuses.every((s) => s === 500)).toBe(true);
      expect((await f.call("/api/v1/__obs/unhandled?marker=after-fetches")).status).toBe(500);
      const ofFetch = (e: SentryEvent) => /^after fetch f\d+$/.test(e.exception?.values?.[0]?.value ?? "");
      const after = (e: SentryEvent) => String(e.request?.url).includes("marker=after-fetches");
      await ingest.waitFor(
        (s) => s.events().filter(ofFetch).length >= N && s.events().some(after),
        20_000,
        "fetch events",
      );
      for (const e of ingest.events().filter(ofFetch)) {
        const tag = (e.exception.values[0].value as string).split(" ")[2];
        const fetches = (e.breadcrumbs as Crumb[]).filter((b) => b.category === "fetch");
        expect(fetches).toHaveLength(1);
        expect(fetches[0]!.data?.url).toEndWith(`/api/v1/apps/${tag}`);
        expect(fetches[0]!.data).toMatchObject({
          method: "DELETE",
          status_code: 204,
          "url.query": "[Filtered]",
        });
        expect(JSON.stringify(fetches[0])).not.toContain("fetch-query-SECRET");
      }
      const later = ingest.events().find(after)!;
      expect((later.breadcrumbs as Crumb[]).filter((b) => b.category === "fetch")).toEqual([]);
    });

    if (setting.name === "development") {
      test("a burst of 500 errors: all 500 arrive (transport buffer sized)", async () => {
        ingest.reset();
        ingest.setDelay(2);
        const N = 500;
        const statuses = await Promise.all(
          Array.from({ length: N }, (_, i) =>
            f.call(`/api/v1/__obs/unhandled?burst=${i}`).then((r) => r.status),
          ),
        );
        expect(statuses.filter((s) => s === 500)).toHaveLength(N);
        const burst = (e: SentryEvent) =>
          typeof e.request?.url === "string" && e.request.url.includes("burst=");
        await ingest.waitFor((s) => s.events().filter(burst).length >= N, 30_000, `${N} burst events`);
        const seen = new Set(
          ingest
            .events()
            .filter(burst)
            .map((e) => new URL(e.request.url).searchParams.get("burst")),
        );
        expect(seen.size).toBe(N);
        expect(await f.stop()).toBe(0);
        const dropped = ingest
          .clientReports()
          .flatMap((r) => r.discarded_events as { reason: string; category: string }[])
          .filter((d) => d.category === "error");
        expect(dropped).toEqual([]);
      }, 60_000);
    }
  });
}
