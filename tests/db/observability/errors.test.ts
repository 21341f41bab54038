/**
 * The Sentry layer in development settings, end to end: a real Proximity app (tests/db/observability/fixtures/
 * server.ts, Sentry initialised in its own process) → the fake ingest over HTTP. Error types with their tags
 * and contexts, 4xx not captured, user/tags/contexts, breadcrumbs (DB, Proxmox REST and tasks, SSH pct
 * exec), route-template transaction names, untraced probes, jobs, the operator routes, and no secret in any
 * byte that left the process.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { onPostgres } from "../../helpers/db.ts";
import type { FakeSentry, SentryEvent } from "../../helpers/fake-sentry.ts";
import { startFakeNode } from "../../unit/proxmox/helpers/fake-node-ssh.ts";
import { startFakePve, TASK_UPID } from "./fake-pve.ts";
import {
  type Fixture,
  type Login,
  PASSWORD,
  signUpAdminAndAlice,
  startSentryProcess,
  stopSentryProcess,
} from "./fixture.ts";

// Real sockets and processes on a 2-core machine: Bun's 5 s default is too tight (set per file: a
// preload's setDefaultTimeout only reaches the first file).
setDefaultTimeout(60_000);

const PVE_TOKEN_SECRET = "5f1c7f0e-9d2b-4c8e-a1f3-pve-token-SECRET";
const SSH_PASSWORD = "ssh-root-pw-SECRET";
const STDIN_SECRET = "DB_PASSWORD=stdin-SECRET-value";
const CSRF = "csrf-token-SECRET-value";

let ingest: FakeSentry;
let pve: ReturnType<typeof startFakePve>;
let ssh: Awaited<ReturnType<typeof startFakeNode>>;
let f: Fixture;
let admin: Login;
let alice: Login;

beforeAll(async () => {
  pve = startFakePve();
  ssh = await startFakeNode({ host: "127.0.0.1", password: SSH_PASSWORD });
  ({ ingest, f } = await startSentryProcess({
    FAKE_PVE_URL: pve.url,
    FAKE_PVE_TOKEN_ID: "root@pam!proximity",
    FAKE_PVE_TOKEN_SECRET: PVE_TOKEN_SECRET,
    FAKE_SSH_PORT: String(ssh.port),
    FAKE_SSH_PASSWORD: SSH_PASSWORD,
    FAKE_STDIN_SECRET: STDIN_SECRET,
  }));
  ({ admin, alice } = await signUpAdminAndAlice(f));
});

afterAll(async () => {
  await stopSentryProcess({ ingest, f });
  await pve?.stop();
  await ssh?.stop();
});

async function eventWhere(pred: (e: SentryEvent) => boolean, what: string): Promise<SentryEvent> {
  await ingest.waitFor((s) => s.events().some(pred), 10_000, what);
  return ingest.events().find(pred)!;
}

const byPath = (path: string) => (e: SentryEvent) =>
  typeof e.request?.url === "string" && e.request.url.includes(path);
const crumbs = (e: SentryEvent, category: string) =>
  (
    e.breadcrumbs as { category: string; message?: string; data?: Record<string, unknown>; level?: string }[]
  ).filter((b) => b.category === category);

describe("error types, tags and contexts", () => {
  test("ProxmoxError (failed task) → error_type proxmox, proxmox context, REST/task/SSH/DB breadcrumbs", async () => {
    const res = await f.call("/api/v1/__obs/authed/proxmox-fail", { method: "POST", token: admin.token });
    expect(res.status).toBe(502);
    const e = await eventWhere(byPath("/proxmox-fail"), "proxmox event");

    expect(e.tags).toMatchObject({
      error_type: "proxmox",
      status_code: "502",
      app_name: "Proximity",
      app_version: "0.1.0",
      authenticated: "true",
      user_role: "admin",
      operation: "start_app",
      app_id: "app-7",
    });
    expect(e.contexts.proxmox).toMatchObject({
      host: "127.0.0.1",
      port: pve.port,
      verify_ssl: false,
      node: "pve1",
      vmid: 101,
      path: "/nodes/{node}/tasks/{upid}/status",
      upid: TASK_UPID,
      kind: "task_failed",
    });
    expect(e.contexts.proxmox).toHaveProperty("pve_status");
    expect(e.contexts.exception).toMatchObject({
      type: "ProxmoxError",
      kind: "task_failed",
      code: "PROXMOX_ERROR",
    });
    expect(e.user).toEqual({
      id: admin.id,
      username: "admin",
      email: "admin@example.com",
      role: "admin",
      ip_address: "127.0.0.1",
    });
    expect(e.contexts.application).toEqual({
      name: "Proximity",
      version: "0.1.0",
      debug: true,
      environment: "development",
    });
    expect(e.contexts.database).toEqual({ scheme: onPostgres ? "postgresql" : "pglite" });
    expect(e.environment).toBe("development");
    expect(e.release).toBe("0.1.0");
    expect(e.transaction).toBe("POST /api/v1/__obs/authed/proxmox-fail");
    expect(e.exception.values[0].stacktrace.frames.length).toBeGreaterThan(0);
    expect(e.contexts.trace.trace_id).toMatch(/^[0-9a-f]{32}$/);

    // Breadcrumbs of this request: DB, Proxmox REST (with UPID for the task), SSH pct exec, HTTP.
    expect(crumbs(e, "db.query").length).toBeGreaterThan(0);
    for (const q of crumbs(e, "db.query")) {
      expect(q.data).toHaveProperty("duration_ms");
      expect(q.message).not.toContain("fixture");
    }
    const rest = crumbs(e, "proxmox.api");
    expect(rest.find((b) => b.data?.path === "/version")?.data).toMatchObject({ method: "GET", status: 200 });
    expect(crumbs(e, "proxmox.task")[0]?.data).toMatchObject({
      method: "POST",
      path: "/nodes/{node}/lxc/{vmid}/status/start",
      status: 200,
      upid: TASK_UPID,
    });
    const execs = crumbs(e, "proxmox.ssh");
    expect(execs.map((b) => [b.data?.vmid, b.data?.command, b.data?.exit_code])).toEqual([
      [101, "tee", 0],
      [101, "test", 1],
    ]);
    expect(execs[0]!.data).toHaveProperty("duration_ms");
    expect(crumbs(e, "http.request").at(-1)?.data).toMatchObject({
      method: "POST",
      path: "/api/v1/__obs/authed/proxmox-fail",
      status_code: 502,
    });
    // Performance context: this request's own counters.
    expect(e.contexts.performance.proxmox_calls).toBeGreaterThanOrEqual(3);
    expect(e.contexts.performance.ssh_calls).toBe(2);
    expect(e.contexts.performance.db_calls).toBeGreaterThanOrEqual(2);
    expect(e.contexts.performance.elapsed_ms).toBeGreaterThan(0);
    // Headers that identify the user are gone.
    expect(Object.keys(e.request.headers).map((h) => h.toLowerCase())).not.toContain("authorization");
  });

  test("ProxmoxError (HTTP 500 from PVE) → pve_status 500 and the path template", async () => {
    const res = await f.call("/api/v1/__obs/authed/proxmox-http-fail", {
      method: "POST",
      token: alice.token,
    });
    expect(res.status).toBe(502);
    const e = await eventWhere(byPath("/proxmox-http-fail"), "proxmox http event");
    expect(e.tags).toMatchObject({ error_type: "proxmox", status_code: "502", user_role: "user" });
    expect(e.contexts.proxmox).toMatchObject({
      host: "127.0.0.1",
      port: pve.port,
      verify_ssl: false,
      node: "pve1",
      path: "/nodes/{node}/lxc/{vmid}/status/stop",
      pve_status: 500,
    });
    expect(e.user).toMatchObject({ id: alice.id, username: "alice", role: "user" });
  });

  test("Proxmox never receives Sentry trace headers, only its own auth", () => {
    expect(pve.requests.length).toBeGreaterThan(0);
    for (const r of pve.requests) {
      expect(r.headers.get("sentry-trace")).toBeNull();
      expect(r.headers.get("baggage")).toBeNull();
      expect(r.headers.get("traceparent")).toBeNull();
    }
    expect(pve.requests[0]!.headers.get("authorization")).toContain(PVE_TOKEN_SECRET);
  });

  test("AppServiceError → error_type app_service with its operation context; anonymous request", async () => {
    expect((await f.call("/api/v1/__obs/app-service-fail", { method: "POST" })).status).toBe(500);
    const e = await eventWhere(byPath("/app-service-fail"), "app_service event");
    expect(e.tags).toMatchObject({
      error_type: "app_service",
      status_code: "500",
      authenticated: "false",
      app_id: "app-42",
      catalog_id: "nextcloud",
      operation: "deploy_app",
      step: "start_container",
    });
    expect(e.tags.user_role).toBeUndefined();
    expect(e.user).toBeUndefined();
    expect(e.contexts.app_service).toEqual({
      app_id: "app-42",
      catalog_id: "nextcloud",
      step: "start_container",
      operation: "deploy_app",
      vmid: 105,
      node: "pve2",
    });
  });

  test("Hono HTTPException 5xx → error_type http_exception with status_code", async () => {
    // The app's error handler answers an unmapped HTTPException status as 500 INTERNAL.
    expect((await f.call("/api/v1/__obs/http-exception")).status).toBe(500);
    const e = await eventWhere(byPath("/http-exception"), "http_exception event");
    expect(e.tags).toMatchObject({ error_type: "http_exception", status_code: "500" });
    expect(e.exception.values[0].type).toBe("Error");
    expect(e.contexts.exception).toMatchObject({ status: 503 });
  });

  test("anything else → error_type unhandled, with stack trace and request context", async () => {
    expect((await f.call("/api/v1/__obs/unhandled?page=2&sort=name")).status).toBe(500);
    const e = await eventWhere(byPath("/api/v1/__obs/unhandled?"), "unhandled event");
    expect(e.tags).toMatchObject({ error_type: "unhandled", status_code: "500" });
    expect(e.exception.values[0]).toMatchObject({ type: "TypeError", value: "fixture unhandled failure" });
    const frames = e.exception.values[0].stacktrace.frames as { filename: string }[];
    expect(frames.some((fr) => fr.filename.endsWith("tests/db/observability/fixtures/server.ts"))).toBe(true);
    expect(e.request.method).toBe("GET");
    expect(e.request.query_string).toBe("page=2&sort=name");
    expect(e.request.headers).toHaveProperty("user-agent");
  });

  test("4xx are never captured (AppError 404, HTTPException 409, validation 422, 401, 403, failed login, bad JSON)", async () => {
    const before = ingest.events().length;
    const statuses = [
      (await f.call("/api/v1/__obs/not-found")).status,
      (await f.call("/api/v1/__obs/http-exception-4xx")).status,
      (await f.call("/api/v1/users/not-a-uuid", { token: admin.token })).status,
      (await f.call("/api/v1/users")).status,
      (await f.call("/api/v1/users", { token: alice.token })).status,
      (
        await f.call("/api/v1/auth/login", {
          method: "POST",
          json: { username: "alice", password: "wrong-pass-1" },
        })
      ).status,
      (
        await f.call("/api/v1/auth/login", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{not json",
        })
      ).status,
    ];
    expect(statuses).toEqual([404, 409, 422, 401, 403, 401, 422]);
    // A 5xx afterwards arrives; none of the 4xx did.
    expect((await f.call("/api/v1/__obs/http-exception?marker=after-4xx")).status).toBe(500);
    await eventWhere(byPath("marker=after-4xx"), "marker event");
    await Bun.sleep(200);
    const newer = ingest.events().slice(before);
    expect(newer.map((e) => e.tags.status_code)).toEqual(["500"]);
  });
});

describe("transactions", () => {
  test("named by route template with {param} (real route), source route; the request's user, tags and data", async () => {
    expect((await f.call(`/api/v1/users/${alice.id}`, { token: admin.token })).status).toBe(200);
    const ofAlice = (t: SentryEvent) =>
      t.transaction === "GET /api/v1/users/{user_id}" && String(t.request?.url).endsWith(alice.id);
    await ingest.waitFor((s) => s.transactions().some(ofAlice), 10_000, "users transaction");
    const t = ingest.transactions().find(ofAlice)!;
    expect(t.transaction_info).toEqual({ source: "route" });
    expect(t.contexts.trace.op).toBe("http.server");
    // The request's user, tags and request data, as on its events; no breadcrumbs.
    expect(t.user).toEqual({
      id: admin.id,
      username: "admin",
      email: "admin@example.com",
      role: "admin",
      ip_address: "127.0.0.1",
    });
    expect(t.tags).toMatchObject({ app_name: "Proximity", authenticated: "true", user_role: "admin" });
    expect(t.tags.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.request).toMatchObject({ method: "GET", url: `${f.url}/api/v1/users/${alice.id}` });
    expect(Object.keys(t.request.headers)).not.toContain("authorization");
    expect(t.contexts.trace.data["http.route"]).toBe("/api/v1/users/{user_id}");
    expect(t.contexts.response).toEqual({ status_code: 200 });
    expect(t.breadcrumbs).toBeUndefined();
    expect(ingest.transactions().some((t) => t.transaction.includes(alice.id))).toBe(false);
  });

  test("the guide's three routes: GET /api/v1/apps, POST /api/v1/apps/deploy, DELETE /api/v1/apps/{app_id}", async () => {
    expect((await fetch(`${f.guideUrl}/api/v1/apps`)).status).toBe(200);
    expect((await fetch(`${f.guideUrl}/api/v1/apps/deploy`, { method: "POST" })).status).toBe(500);
    expect((await fetch(`${f.guideUrl}/api/v1/apps/app-123`, { method: "DELETE" })).status).toBe(204);
    const names = ["GET /api/v1/apps", "POST /api/v1/apps/deploy", "DELETE /api/v1/apps/{app_id}"];
    await ingest.waitFor(
      (s) => names.every((n) => s.transactions().some((t) => t.transaction === n)),
      10_000,
      "guide transactions",
    );
    const deployError = await eventWhere((e) => e.transaction === "POST /api/v1/apps/deploy", "deploy error");
    expect(deployError.tags.error_type).toBe("unhandled");
    expect(ingest.transactions().some((t) => t.transaction.includes("app-123"))).toBe(false);
  });

  test("an incoming sentry-trace is continued; a request without one starts a trace of its own", async () => {
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    const spanId = "b7ad6b7169203331";
    const res = await f.call("/api/v1/__obs/unhandled?marker=continued", {
      headers: {
        "sentry-trace": `${traceId}-${spanId}-1`,
        baggage: `sentry-trace_id=${traceId},sentry-sampled=true,sentry-environment=upstream`,
      },
    });
    expect(res.status).toBe(500);
    expect((await f.call("/api/v1/__obs/unhandled?marker=own-trace")).status).toBe(500);
    const continued = await eventWhere(byPath("marker=continued"), "continued event");
    const own = await eventWhere(byPath("marker=own-trace"), "own-trace event");
    expect(continued.contexts.trace.trace_id).toBe(traceId);
    expect(own.contexts.trace.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(own.contexts.trace.trace_id).not.toBe(traceId);
    // The request's transaction is a child of the caller's span, in the caller's trace.
    const inTrace = (t: SentryEvent) => t.contexts?.trace?.trace_id === traceId;
    await ingest.waitFor((s) => s.transactions().some(inTrace), 10_000, "continued transaction");
    const t = ingest.transactions().find(inTrace)!;
    expect(t.transaction).toBe("GET /api/v1/__obs/unhandled");
    expect(t.contexts.trace.parent_span_id).toBe(spanId);
    expect(t.contexts.trace.span_id).toBe(continued.contexts.trace.span_id);
  });

  test("/health, /ready and /metrics are not traced", async () => {
    for (const p of ["/health", "/ready", "/metrics", "/health", "/ready"]) await f.call(p);
    expect((await f.call("/api/v1/__obs/http-exception?marker=after-probes")).status).toBe(500);
    await eventWhere(byPath("marker=after-probes"), "marker");
    await Bun.sleep(300);
    const names = ingest.transactions().map((t) => t.transaction as string);
    expect(names.filter((n) => /\/(health|ready|metrics)$/.test(n))).toEqual([]);
  });
});

describe("development settings", () => {
  test("a warning message is sent in development (with the error)", async () => {
    expect((await f.call("/api/v1/__obs/warning")).status).toBe(200);
    const w = await eventWhere((e) => e.message === "fixture warning message", "warning");
    expect(w.level).toBe("warning");
    expect(w.transaction).toBe("GET /api/v1/__obs/warning");
    await eventWhere((e) => e.message === "fixture error message", "error message");
  });

  test("GET /api/v1/system/sentry reports the settings without the DSN key; admin only", async () => {
    const res = await f.call("/api/v1/system/sentry", { token: admin.token });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      enabled: true,
      environment: "development",
      release: "0.1.0",
      traces_sample_rate: 1,
      error_sample_rate: 1,
      max_breadcrumbs: 50,
      debug: true,
      dsn_host: `127.0.0.1:${ingest.port}`,
    });
    expect(JSON.stringify(body)).not.toContain("publickey");
    expect((await f.call("/api/v1/system/sentry", { token: alice.token })).status).toBe(403);
    expect((await f.call("/api/v1/system/sentry")).status).toBe(401);
  });

  test("POST /api/v1/system/sentry-test raises a tagged test error (500)", async () => {
    expect((await f.call("/api/v1/system/sentry-test", { method: "POST", token: alice.token })).status).toBe(
      403,
    );
    const res = await f.call("/api/v1/system/sentry-test", { method: "POST", token: admin.token });
    expect(res.status).toBe(500);
    const e = await eventWhere(
      (e) => e.exception?.values?.[0]?.type === "SentryTestError",
      "sentry-test event",
    );
    expect(e.tags).toMatchObject({
      operation: "sentry_test",
      error_type: "unhandled",
      status_code: "500",
      user_role: "admin",
      authenticated: "true",
    });
    expect(e.transaction).toBe("POST /api/v1/system/sentry-test");
  });
});

describe("jobs", () => {
  test("runJob: own isolation scope and transaction `job <kind>`, tagged like requests", async () => {
    const res = await f.call("/api/v1/__obs/authed/job-fail", { method: "POST", token: alice.token });
    expect(res.status).toBe(202);
    const e = await eventWhere((e) => e.transaction === "job deploy_app", "job event");
    expect(e.tags).toMatchObject({
      job_kind: "deploy_app",
      job_id: "job-1",
      error_type: "app_service",
      app_name: "Proximity",
      app_version: "0.1.0",
      authenticated: "true",
      user_role: "user",
      app_id: "app-9",
      catalog_id: "gitea",
      operation: "deploy_app",
    });
    expect(e.user).toMatchObject({ id: alice.id, username: "alice" });
    const messages = (e.breadcrumbs as { message?: string }[]).map((b) => b.message);
    expect(messages).toContain("deploy_app started");
    expect(messages).toContain("deploy_app: create_container");
    expect(messages).not.toContain("request crumb that must not reach the job");
    expect(e.contexts.performance.db_calls).toBeGreaterThanOrEqual(1);
    await ingest.waitFor(
      (s) => s.transactions().some((t) => t.transaction === "job deploy_app"),
      10_000,
      "job tx",
    );
    const request = await ingest
      .waitFor(
        (s) => s.transactions().some((t) => t.transaction === "POST /api/v1/__obs/authed/job-fail"),
        10_000,
        "request tx",
      )
      .then(() => ingest.transactions().find((t) => t.transaction === "POST /api/v1/__obs/authed/job-fail")!);
    const job = ingest.transactions().find((t) => t.transaction === "job deploy_app")!;
    expect(job.contexts.trace.trace_id).not.toBe(request.contexts.trace.trace_id);
  });
});

describe("secrets never leave", () => {
  test("password, JWT, refresh token, CSRF, PVE token secret, SSH password and stdin appear in no byte sent", async () => {
    // Put every secret in play on failing requests: headers, cookies, query string, body.
    const res = await f.call(
      `/api/v1/__obs/unhandled?refresh_token=${admin.refreshToken}&token=${admin.token}&q=secrets`,
      {
        method: "POST",
        token: admin.token,
        headers: {
          cookie: `refresh_token=${admin.refreshToken}; session=${admin.token}`,
          "x-csrf-token": CSRF,
          csrfpreventiontoken: CSRF,
          "x-refresh-token": admin.refreshToken,
          "x-api-key": PVE_TOKEN_SECRET,
          "x-debug-note": `Bearer ${admin.token}`,
        },
        json: { password: PASSWORD, refresh_token: admin.refreshToken, token_secret: PVE_TOKEN_SECRET },
      },
    );
    expect(res.status).toBe(500);
    const refresh = await f.call("/api/v1/auth/refresh", {
      method: "POST",
      json: { refresh_token: alice.refreshToken },
    });
    expect(refresh.status).toBe(200);
    const e = await eventWhere(byPath("q=secrets"), "secret-laden event");
    expect(e.request.data).toBeUndefined();
    expect(e.request.cookies).toBeUndefined();
    const headerNames = Object.keys(e.request.headers).map((h) => h.toLowerCase());
    for (const h of [
      "authorization",
      "cookie",
      "x-csrf-token",
      "csrfpreventiontoken",
      "x-refresh-token",
      "x-api-key",
    ]) {
      expect(headerNames).not.toContain(h);
    }
    expect(e.request.query_string).toBe("q=secrets");

    // Stop the process: everything still queued is flushed, then every byte is checked.
    expect(await f.stop()).toBe(0);
    expect(f.proc.output()).toContain("flushed: true");
    const raw = ingest.rawText();
    expect(ingest.envelopes.length).toBeGreaterThan(10);
    const secrets = {
      password: PASSWORD,
      adminJwt: admin.token,
      aliceJwt: alice.token,
      adminRefresh: admin.refreshToken,
      aliceRefresh: alice.refreshToken,
      csrf: CSRF,
      pveTokenSecret: PVE_TOKEN_SECRET,
      sshPassword: SSH_PASSWORD,
      stdin: STDIN_SECRET,
      fixtureSecretKey: "observability-fixture-secret-0123456789abcdef",
    };
    for (const [name, value] of Object.entries(secrets)) {
      expect({ name, leaked: raw.includes(value) }).toEqual({ name, leaked: false });
      expect({ name, leaked: raw.includes(encodeURIComponent(value)) }).toEqual({ name, leaked: false });
      // JWT signatures alone must not leak either.
      const tail = value.split(".").at(-1)!;
      if (tail.length > 20) expect({ name, leaked: raw.includes(tail) }).toEqual({ name, leaked: false });
    }
  });
});
