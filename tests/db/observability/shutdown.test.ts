/**
 * The real entry point (bun src/index.ts, as an operator runs it) with SENTRY_DSN pointing at the fake
 * ingest, as the README section "Error monitoring" describes: the operator test endpoint produces an event with every tag
 * and context, and SIGTERM flushes an event still pending behind a slow ingest.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { type FakeSentry, startFakeSentry } from "../../helpers/fake-sentry.ts";
import { type ProximityProcess, spawnProximity } from "../../helpers/process.ts";
import { PASSWORD, SECRET_KEY } from "./fixture.ts";

// Real sockets and processes on a 2-core machine: Bun's 5 s default is too tight (set per file: a
// preload's setDefaultTimeout only reaches the first file).
setDefaultTimeout(60_000);

let ingest: FakeSentry;
let proc: ProximityProcess;

beforeAll(async () => {
  ingest = startFakeSentry();
  proc = await spawnProximity({
    SENTRY_DSN: ingest.dsn,
    SENTRY_RELEASE: "proximity@9.9.9-test",
    DATABASE_URL: "memory://",
    DATA_DIR: `/tmp/proximity-obs-shutdown-${process.pid}`,
    PROXIMITY_SECRET_KEY: SECRET_KEY,
  });
});

afterAll(async () => {
  if (proc?.proc.exitCode === null) proc.proc.kill("SIGKILL");
  await ingest?.stop();
});

test("SIGTERM flushes the pending sentry-test event (slow ingest); every tag and context present", async () => {
  const post = (path: string, body?: unknown, token?: string) =>
    fetch(`${proc.url}${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  expect(
    (await post("/api/v1/auth/register", { username: "ops", password: PASSWORD, email: "ops@example.com" }))
      .status,
  ).toBe(201);
  const { access_token, user } = (await (
    await post("/api/v1/auth/login", { username: "ops", password: PASSWORD })
  ).json()) as {
    access_token: string;
    user: { id: string };
  };
  await Bun.sleep(300); // let the start-up envelopes (session, transactions) arrive first
  ingest.setDelay(400);
  const before = ingest.events().length;
  expect((await post("/api/v1/system/sentry-test", undefined, access_token)).status).toBe(500);
  // The event is now queued behind a 400 ms ingest: stop right away.
  expect(ingest.events().length).toBe(before);
  expect(await proc.stop("SIGTERM")).toBe(0);
  expect(proc.output()).toContain("SIGTERM received");
  const e = ingest.events().find((e) => e.exception?.values?.[0]?.type === "SentryTestError");
  expect(e).toBeDefined();
  expect(e!.tags).toMatchObject({
    app_name: "Proximity",
    app_version: "0.1.0",
    authenticated: "true",
    user_role: "admin",
    error_type: "unhandled",
    status_code: "500",
    operation: "sentry_test",
  });
  expect(e!.user).toEqual({
    id: user.id,
    username: "ops",
    email: "ops@example.com",
    role: "admin",
    ip_address: "127.0.0.1",
  });
  expect(e!.contexts.application).toEqual({
    name: "Proximity",
    version: "0.1.0",
    debug: true,
    environment: "development",
  });
  expect(e!.contexts.database).toEqual({ scheme: "pglite" });
  expect(e!.contexts.performance).toMatchObject({ db_calls: 1, proxmox_calls: 0 });
  expect(e!.contexts.trace.trace_id).toMatch(/^[0-9a-f]{32}$/);
  expect(e!.contexts.exception).toMatchObject({ type: "SentryTestError", sentry_test: true });
  expect(e!.release).toBe("proximity@9.9.9-test");
  expect(e!.environment).toBe("development"); // spawned from `bun test`: always development
  expect(e!.transaction).toBe("POST /api/v1/system/sentry-test");
  expect(e!.request).toMatchObject({ method: "POST" });
  expect(e!.exception.values[0].stacktrace.frames.length).toBeGreaterThan(0);
  const crumbs = e!.breadcrumbs as { category: string }[];
  expect(crumbs.map((b) => b.category)).toEqual(["db.query", "http.request"]);
}, 30_000);
