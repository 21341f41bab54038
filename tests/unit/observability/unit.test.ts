/**
 * Pure parts of the Sentry layer, no client involved: environment detection, the init options built for
 * each environment, route-template names, scrubbing, error classification.
 */
import { describe, expect, test } from "bun:test";
import type { Event } from "@sentry/bun";
import { HTTPException } from "hono/http-exception";
import { loadConfig } from "../../../src/core/config.ts";
import { AppServiceError, NotFoundError } from "../../../src/core/errors.ts";
import { scrubHeaders, scrubQueryString, scrubString, scrubUrl } from "../../../src/core/scrub.ts";
import { classifyError, hostInfoFromUrl, registerProxmoxHost } from "../../../src/observability/classify.ts";
import { DROPPED_STATUS_RANGES, isDroppedStatus } from "../../../src/observability/dropped-status.ts";
import { detectEnvironment, runningUnderBunTest } from "../../../src/observability/environment.ts";
import { scrubEvent } from "../../../src/observability/event-scrub.ts";
import {
  buildSentryOptions,
  filterBreadcrumb,
  isUntracedPath,
  passesLevelFilter,
  resolveSettings,
  TRANSPORT_BUFFER_SIZE,
} from "../../../src/observability/options.ts";
import { requestEventData } from "../../../src/observability/request-data.ts";
import { routeTemplate } from "../../../src/observability/route-name.ts";
import { ProxmoxError } from "../../../src/proxmox/errors.ts";

const prodFacts = { hostname: "pve-app-01", publicUrl: "https://apps.example.com", underTest: false };

describe("environment detection (run time, never NODE_ENV)", () => {
  test.each([
    ["explicit wins", { ...prodFacts, explicit: "staging" }, "staging"],
    ["explicit development on a production host", { ...prodFacts, explicit: "development" }, "development"],
    ["hostname localhost", { ...prodFacts, hostname: "localhost" }, "development"],
    ["hostname 127.0.0.1", { ...prodFacts, hostname: "127.0.0.1" }, "development"],
    ["hostname *.local", { ...prodFacts, hostname: "nas.local" }, "development"],
    ["hostname containing local", { ...prodFacts, hostname: "mylocalbox" }, "development"],
    ["hostname containing test", { ...prodFacts, hostname: "ci-test-runner-3" }, "development"],
    ["PUBLIC_URL localhost", { ...prodFacts, publicUrl: "http://localhost:8765" }, "development"],
    ["PUBLIC_URL 127.0.0.1", { ...prodFacts, publicUrl: "http://127.0.0.1:8765" }, "development"],
    ["PUBLIC_URL *.local", { ...prodFacts, publicUrl: "https://proximity.local" }, "development"],
    ["PUBLIC_URL *test*", { ...prodFacts, publicUrl: "https://test.example.com" }, "development"],
    ["under bun test", { ...prodFacts, underTest: true }, "development"],
    ["production hostname and URL", prodFacts, "production"],
    ["blank explicit is ignored", { ...prodFacts, explicit: "  " }, "production"],
  ])("%s", (_name, facts, expected) => {
    expect(detectEnvironment(facts)).toBe(expected);
  });

  test("this process is `bun test`; a compiled NODE_ENV is not what decides", () => {
    expect(runningUnderBunTest()).toBe(true);
    expect(runningUnderBunTest({ NODE_ENV: "production" })).toBe(true); // Bun.main is this .test.ts file
  });
});

function settingsFor(env: Record<string, string>, facts = prodFacts) {
  return resolveSettings(
    loadConfig({ DATA_DIR: "/tmp/x", SENTRY_DSN: "https://k3y@o1.ingest.example.com/5", ...env }),
    facts,
  );
}

describe("settings and init options", () => {
  test("development: traces 1.0, errors 1.0, debug on; production: traces 0.1, debug off", () => {
    const dev = settingsFor({}, { ...prodFacts, hostname: "localhost" });
    expect(dev).toMatchObject({
      environment: "development",
      tracesSampleRate: 1,
      errorSampleRate: 1,
      debug: true,
    });
    const prod = settingsFor({});
    expect(prod).toMatchObject({
      environment: "production",
      tracesSampleRate: 0.1,
      errorSampleRate: 1,
      debug: false,
    });
    expect(settingsFor({ SENTRY_TRACES_SAMPLE_RATE: "0.5" }).tracesSampleRate).toBe(0.5);
  });

  test("release = SENTRY_RELEASE, else APP_VERSION; max breadcrumbs 50 by default, configurable; DSN host only", () => {
    expect(settingsFor({ APP_VERSION: "1.2.3" }).release).toBe("1.2.3");
    expect(settingsFor({ APP_VERSION: "1.2.3", SENTRY_RELEASE: "r-7" }).release).toBe("r-7");
    expect(settingsFor({}).maxBreadcrumbs).toBe(50);
    expect(settingsFor({ SENTRY_MAX_BREADCRUMBS: "20" }).maxBreadcrumbs).toBe(20);
    expect(settingsFor({}).dsnHost).toBe("o1.ingest.example.com");
  });

  test("disabled without SENTRY_DSN", () => {
    expect(resolveSettings(loadConfig({ DATA_DIR: "/tmp/x" }), prodFacts).enabled).toBe(false);
  });

  test("options: static lifecycle, big transport buffer, no trace propagation, no bodies/cookies/auto IP", () => {
    const o = buildSentryOptions(settingsFor({}));
    expect(o.traceLifecycle).toBe("static");
    expect(o.transportOptions?.bufferSize).toBe(TRANSPORT_BUFFER_SIZE);
    expect(TRANSPORT_BUFFER_SIZE).toBeGreaterThanOrEqual(1000);
    expect(o.tracePropagationTargets).toEqual([]);
    expect(o.sampleRate).toBe(1);
    expect(o.maxBreadcrumbs).toBe(50);
    expect(o.dataCollection).toMatchObject({ userInfo: false, cookies: false, httpBodies: [] });
  });

  test("integrations: no Bun.serve wrapper, console or dedupe; transactions without process contexts, modules or crumbs", async () => {
    const o = buildSentryOptions(settingsFor({}));
    const fake = (name: string) => ({
      name,
      processEvent: (e: Event) => ({ ...e, contexts: { ...e.contexts, [name]: { seen: true } } }),
    });
    const defaults = ["BunServer", "Console", "Dedupe", "RequestData", "Context", "Modules", "Http"].map(
      fake,
    );
    const chosen = typeof o.integrations === "function" ? o.integrations(defaults) : [];
    expect(chosen.map((i) => i.name)).toEqual([
      "RequestData",
      "Context",
      "Modules",
      "Http",
      "TransactionsWithoutBreadcrumbs",
    ]);
    // What the client does with an event: each integration's processEvent in turn.
    const process = async (event: Event) => {
      let e: Event | null = event;
      for (const i of chosen) e = e && ((await i.processEvent?.(e, {}, {} as never)) ?? e);
      return e as Event;
    };
    const crumbs = [{ category: "http.request", message: "GET /x → 200" }];
    const transaction = await process({ type: "transaction", transaction: "GET /x", breadcrumbs: crumbs });
    expect(transaction.breadcrumbs).toBeUndefined();
    expect(Object.keys(transaction.contexts ?? {})).toEqual(["RequestData", "Http"]);
    const error = await process({ message: "boom", breadcrumbs: crumbs });
    expect(error.breadcrumbs).toEqual(crumbs);
    expect(Object.keys(error.contexts ?? {})).toEqual(["RequestData", "Context", "Modules", "Http"]);
  });

  test("request data of an event: method, URL, query and headers; no cookie, no forwarded address", () => {
    const req = new Request("http://proximity.example.com/api/v1/apps?page=2&sort=name", {
      headers: {
        "user-agent": "curl/8",
        cookie: "session=abc",
        "x-forwarded-for": "10.0.0.9",
        "x-real-ip": "10.0.0.8",
        "x-session-sid": "s-123",
        "x-request-id": "r-1",
      },
    });
    expect(requestEventData(req)).toEqual({
      method: "GET",
      url: "http://proximity.example.com/api/v1/apps?page=2&sort=name",
      query_string: "page=2&sort=name",
      headers: { "user-agent": "curl/8", "x-session-sid": "[Filtered]", "x-request-id": "r-1" },
    });
    expect(requestEventData(new Request("http://h/x?")).query_string).toBeUndefined();
  });

  test("traces sampler: probes never, everything else at the configured rate", () => {
    const o = buildSentryOptions(settingsFor({}));
    const ctx = (name: string) => ({
      name,
      attributes: { "url.path": name.split(" ")[1] },
      inheritOrSampleWith: (r: number) => r,
    });
    expect(o.tracesSampler?.(ctx("GET /health"))).toBe(0);
    expect(o.tracesSampler?.(ctx("GET /ready"))).toBe(0);
    expect(o.tracesSampler?.(ctx("GET /metrics"))).toBe(0);
    expect(o.tracesSampler?.(ctx("GET /api/v1/apps"))).toBe(0.1);
    expect(isUntracedPath("/health/")).toBe(true);
    expect(isUntracedPath("/api/v1/health")).toBe(false);
  });

  test("level filter: production keeps error and fatal only; development keeps all", () => {
    for (const level of ["debug", "info", "warning"] as const) {
      expect(passesLevelFilter({ level }, false)).toBe(false);
      expect(passesLevelFilter({ level }, true)).toBe(true);
    }
    expect(passesLevelFilter({ level: "error" }, false)).toBe(true);
    expect(passesLevelFilter({ level: "fatal" }, false)).toBe(true);
  });

  test("breadcrumbs: console crumbs dropped, fetch crumbs lose their query", () => {
    expect(filterBreadcrumb({ category: "console", message: "x" })).toBeNull();
    const f = filterBreadcrumb({
      category: "fetch",
      data: { url: "https://pve:8006/api2/json/x?token=abc&node=pve1", "url.query": "token=abc" },
    });
    expect(f?.data).toEqual({ url: "https://pve:8006/api2/json/x?node=pve1", "url.query": "[Filtered]" });
  });
});

describe("route templates", () => {
  test.each([
    ["GET /api/v1/apps", "GET /api/v1/apps"],
    ["POST /api/v1/apps/deploy", "POST /api/v1/apps/deploy"],
    ["DELETE /api/v1/apps/:app_id", "DELETE /api/v1/apps/{app_id}"],
    ["GET /api/v1/users/:user_id", "GET /api/v1/users/{user_id}"],
    ["GET /x/:id{[0-9]+}/y/:name?", "GET /x/{id}/y/{name}"],
  ])("%s → %s", (input, expected) => {
    expect(routeTemplate(input)).toBe(expected);
  });
});

describe("scrubbing", () => {
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
  test("headers: credentials removed, not just masked", () => {
    expect(
      scrubHeaders({
        Authorization: `Bearer ${jwt}`,
        Cookie: "a=b",
        "Set-Cookie": "a=b",
        CSRFPreventionToken: "x",
        "X-CSRF-Token": "x",
        "x-api-key": "k",
        "x-refresh-token": "t",
        "x-client-secret": "s",
        "x-password": "p",
        "x-proxmox-node": "pve1",
        "user-agent": "curl",
        "x-request-id": "r1",
      }),
    ).toEqual({ "user-agent": "curl", "x-request-id": "r1" });
  });

  test("values that look like credentials are filtered anywhere", () => {
    expect(scrubString(`token is ${jwt} ok`)).toBe("token is [Filtered] ok");
    expect(scrubString("Authorization: PVEAPIToken=root@pam!prox=aaaa-bbbb")).not.toContain("aaaa-bbbb");
    expect(scrubString("Bearer abcdefghijklmnop")).toBe("[Filtered]");
    expect(scrubQueryString("page=2&refresh_token=x&api_key=y&q=z")).toBe("page=2&q=z");
    expect(scrubUrl("https://u:p@h/x?password=1&a=2")).toBe("https://h/x?a=2");
  });

  test("events: bodies and cookies removed, contexts and span data scrubbed, names templated", () => {
    const e = scrubEvent<Event>({
      transaction: "DELETE /api/v1/apps/:app_id",
      request: {
        data: '{"password":"p"}',
        cookies: { sid: "1" },
        headers: { authorization: "x", accept: "*/*" },
        query_string: "token=1&a=2",
        url: "http://h/x?token=1&a=2",
      },
      extra: { password: "p", ok: 1 },
      contexts: { custom: { secret: "s", fine: jwt } },
      breadcrumbs: [{ message: `Bearer ${jwt}`, data: { api_key: "k", n: 1 } }],
      spans: [
        {
          span_id: "1",
          trace_id: "2",
          start_timestamp: 0,
          status: "ok",
          data: { "http.request.header.authorization": "x" },
        },
      ],
    });
    expect(e.transaction).toBe("DELETE /api/v1/apps/{app_id}");
    expect(e.request).toEqual({ headers: { accept: "*/*" }, query_string: "a=2", url: "http://h/x?a=2" });
    expect(e.extra).toEqual({ ok: 1 });
    expect(e.contexts?.custom).toEqual({ fine: "[Filtered]" });
    expect(e.breadcrumbs?.[0]).toEqual({ message: "[Filtered]", data: { n: 1 } });
    expect(e.spans?.[0]?.data).toEqual({});
  });
});

describe("error classification", () => {
  test("ProxmoxError → proxmox with host, port, verify_ssl from the registered host; never credentials", () => {
    registerProxmoxHost(hostInfoFromUrl("main-cluster", "https://pve.lan:8006", false));
    const err = new ProxmoxError("boom", {
      kind: "http",
      host: "main-cluster",
      node: "pve1",
      method: "POST",
      path: "/nodes/{node}/lxc/{vmid}/status/start",
      status: 500,
      upid: "UPID:pve1:0019F0A2:0A3C5B11:6650A1B2:vzstart:123:root@pam!proximity:",
    });
    const c = classifyError(err, 502);
    expect(c.tags).toMatchObject({ error_type: "proxmox", status_code: "502" });
    expect(c.contexts.proxmox).toMatchObject({
      host: "pve.lan",
      host_label: "main-cluster",
      port: 8006,
      verify_ssl: false,
      node: "pve1",
      vmid: 123,
      pve_status: 500,
    });
  });

  test("AppServiceError, HTTPException, others; exception attributes without credential-like keys", () => {
    const svc = classifyError(
      new AppServiceError("x", { app_id: "a", catalog_id: "c", step: "s", operation: "o" }),
      500,
    );
    expect(svc.tags).toMatchObject({
      error_type: "app_service",
      app_id: "a",
      catalog_id: "c",
      operation: "o",
    });
    expect(classifyError(new HTTPException(500), 500).errorType).toBe("http_exception");
    expect(classifyError(new NotFoundError("x"), 500).errorType).toBe("unhandled");
    const odd = Object.assign(new Error("x"), { api_token: "t", attempt: 3 });
    expect(classifyError(odd, 500).contexts.exception).toEqual({ type: "Error", attempt: 3 });
  });
});

describe("the route that answered", () => {
  test("a static route is named as itself, not as a later parameter route that also matches", async () => {
    const { Hono } = await import("hono");
    const { matchedRoutePath } = await import("../../../src/observability/middleware.ts");
    const seen: (string | undefined)[] = [];
    const app = new Hono();
    app.use("*", async (c, next) => {
      await next();
      seen.push(matchedRoutePath(c));
    });
    app.get("/apps/discover", (c) => c.text("discover"));
    app.get("/apps/:app_id", (c) => c.text("one"));
    await app.request("/apps/discover");
    await app.request("/apps/123");
    await app.request("/nothing");
    expect(seen).toEqual(["/apps/discover", "/apps/:app_id", undefined]);
  });
});

describe("transactions the SDK would drop for their status (dropped-status.ts)", () => {
  test("the same ranges as the SDK's HTTP integration drops by default", async () => {
    // Read from the SDK itself (a dependency of @sentry/bun): a new default there must show up here.
    const { DEFAULT_IGNORE_STATUS_CODES } = await import("@sentry/core/server");
    const asRanges = DEFAULT_IGNORE_STATUS_CODES.map((c) => (typeof c === "number" ? [c, c] : [...c]));
    expect(DROPPED_STATUS_RANGES.map((r) => [...r])).toEqual(asRanges);
  });

  test.each([
    [200, false],
    [204, false],
    [300, false],
    [301, true],
    [303, true],
    [304, false],
    [305, true],
    [399, true],
    [400, false],
    [401, true],
    [403, true],
    [404, true],
    [405, false],
    [409, false],
    [422, false],
    [500, false],
    [503, false],
  ])("status %d dropped: %p", (status, dropped) => {
    expect(isDroppedStatus(status)).toBe(dropped);
  });
});
