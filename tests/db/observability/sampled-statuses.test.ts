/**
 * Production settings with every trace sampled: which request transactions reach Sentry by status, and what
 * the client report says about the others. The SDK's HTTP integration drops the transactions of 401–404
 * and 3xx answers; the layer does not build those at all (src/observability/dropped-status.ts), and what
 * arrives on the wire — the transactions and the client report's counts — must be what the SDK's own
 * drop produced.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { FakeSentry, SentryEvent } from "../../helpers/fake-sentry.ts";
import {
  type Fixture,
  type Login,
  PRODUCTION_ENV,
  registerAdmin,
  signUpAdminAndAlice,
  startFixture,
  startSentryProcess,
  stopSentryProcess,
} from "./fixture.ts";

// Real sockets and processes on a 2-core machine: Bun's 5 s default is too tight.
setDefaultTimeout(60_000);

const SAMPLED_PRODUCTION_ENV = { ...PRODUCTION_ENV, SENTRY_TRACES_SAMPLE_RATE: "1" };

let ingest: FakeSentry;
let f: Fixture;
let admin: Login;
let alice: Login;

beforeAll(async () => {
  ({ ingest, f } = await startSentryProcess(SAMPLED_PRODUCTION_ENV));
  ({ admin, alice } = await signUpAdminAndAlice(f));
});

// The second test's process, too: it is `f` by then.
afterAll(() => stopSentryProcess({ ingest, f }));

test("sampled requests: 401, 403 and 404 are counted as dropped by the event processor, others are sent", async () => {
  const calls: [string, () => Promise<Response>, number, boolean][] = [
    [
      "GET /api/v1/users/{user_id}",
      () => f.call(`/api/v1/users/${alice.id}`, { token: admin.token }),
      200,
      true,
    ],
    ["GET /api/v1/__obs/http-exception-4xx", () => f.call("/api/v1/__obs/http-exception-4xx"), 409, true],
    [
      "GET /api/v1/users/{user_id}",
      () => f.call("/api/v1/users/not-a-uuid", { token: admin.token }),
      422,
      true,
    ],
    ["GET /api/v1/__obs/not-found", () => f.call("/api/v1/__obs/not-found"), 404, false],
    ["GET /api/v1/users", () => f.call("/api/v1/users"), 401, false],
    ["GET /api/v1/users", () => f.call("/api/v1/users", { token: alice.token }), 403, false],
  ];
  // The set-up's four requests (register, login, user created, login) were sampled and sent first.
  await ingest.waitFor((s) => s.transactions().length >= 4, 10_000, "set-up transactions");
  await Bun.sleep(300);
  const sentBefore = ingest.transactions().length;
  expect(sentBefore).toBe(4);
  for (const [, call, status] of calls) expect((await call()).status).toBe(status);
  const expected = calls.filter(([, , , sent]) => sent).map(([name, , status]) => [name, status]);
  const received = () =>
    ingest
      .transactions()
      .slice(sentBefore)
      .map((t: SentryEvent) => [t.transaction, t.contexts.response?.status_code]);
  await ingest.waitFor(
    (s) => s.transactions().length >= sentBefore + expected.length,
    10_000,
    "transactions",
  );
  await Bun.sleep(300);
  expect(received()).toEqual(expected);
  for (const t of ingest.transactions().slice(sentBefore)) {
    expect(t.contexts.trace.data["http.response.status_code"]).toBe(t.contexts.response.status_code);
  }

  expect(await f.stop()).toBe(0);
  const discarded = ingest
    .clientReports()
    .flatMap((r) => r.discarded_events as { reason: string; category: string; quantity: number }[]);
  const count = (reason: string, category: string) =>
    discarded
      .filter((d) => d.reason === reason && d.category === category)
      .reduce((n, d) => n + d.quantity, 0);
  // Three transactions of one span each, as the SDK counted them when its event processor dropped them.
  expect(count("event_processor", "transaction")).toBe(3);
  expect(count("event_processor", "span")).toBe(3);
  expect(count("sample_rate", "transaction")).toBe(0);
});

/** The structure of a JSON value: its keys all the way down, and the type of each leaf. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return ["array"];
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, shape((value as Record<string, unknown>)[k])]),
    );
  }
  return typeof value;
}

test("a transaction the layer builds is the one the SDK's pipeline builds, key by key", async () => {
  // A second process: the first test stopped its own to read the client report.
  f = await startFixture(ingest, SAMPLED_PRODUCTION_ENV);
  const admin = await registerAdmin(f);
  ingest.reset();
  const headers = { "user-agent": "twin-test", "x-request-id": "twin" };
  expect((await f.call("/api/v1/__obs/authed/with-fetch?a=1", { token: admin.token, headers })).status).toBe(
    200,
  );
  expect(
    (await f.call("/api/v1/__obs/authed/without-fetch?a=1", { token: admin.token, headers })).status,
  ).toBe(200);
  const envelopeOf = (name: string) =>
    ingest.envelopes.find((e) =>
      e.items.some((i) => i.header.type === "transaction" && (i.payload as SentryEvent).transaction === name),
    );
  const names = ["GET /api/v1/__obs/authed/with-fetch", "GET /api/v1/__obs/authed/without-fetch"];
  await ingest.waitFor(() => names.every((n) => envelopeOf(n) !== undefined), 10_000, "both transactions");
  const [bySdk, byLayer] = names.map((n) => envelopeOf(n)!);
  const sdkTx = bySdk!.items[0]!.payload as SentryEvent;
  const layerTx = byLayer!.items[0]!.payload as SentryEvent;

  // The SDK's: one child span, the outgoing fetch. The layer's: none (it builds only those).
  expect((sdkTx.spans as { op: string }[]).map((s) => s.op)).toEqual(["http.client"]);
  expect(layerTx.spans).toEqual([]);

  // Envelope headers and items: the same keys, the same sdk, the same sampling context but for its ids.
  expect(shape(byLayer!.header)).toEqual(shape(bySdk!.header));
  expect(byLayer!.header.sdk).toEqual(bySdk!.header.sdk);
  expect(byLayer!.items.map((i) => i.header)).toEqual(bySdk!.items.map((i) => i.header));
  const dsc = (e: typeof bySdk) => ({
    ...(e!.header.trace as Record<string, string>),
    trace_id: "",
    transaction: "",
    sample_rand: "",
  });
  expect(dsc(byLayer)).toEqual(dsc(bySdk));

  // The event: the same keys all the way down, and the same values wherever the two requests agree.
  const { spans: _s1, ...sdkRest } = sdkTx;
  const { spans: _s2, ...layerRest } = layerTx;
  expect(shape(layerRest)).toEqual(shape(sdkRest));
  for (const key of [
    "type",
    "platform",
    "server_name",
    "environment",
    "release",
    "sdk",
    "user",
    "transaction_info",
  ]) {
    expect({ key, value: layerTx[key] }).toEqual({ key, value: sdkTx[key] });
  }
  const { trace: sdkTrace, ...sdkContexts } = sdkTx.contexts;
  const { trace: layerTrace, ...layerContexts } = layerTx.contexts;
  expect(layerContexts).toEqual(sdkContexts);
  const { request_id: _r1, ...sdkTags } = sdkTx.tags;
  const { request_id: _r2, ...layerTags } = layerTx.tags;
  expect(layerTags).toEqual(sdkTags);
  const withoutPath = (d: Record<string, unknown>) => ({ ...d, "url.path": "", "http.route": "" });
  expect(withoutPath(layerTrace.data)).toEqual(withoutPath(sdkTrace.data));
  expect({ ...layerTrace, data: {}, span_id: "", trace_id: "" }).toEqual({
    ...sdkTrace,
    data: {},
    span_id: "",
    trace_id: "",
  });
  expect(layerTx.request.headers).toEqual(sdkTx.request.headers);
  expect(layerTx.request.query_string).toBe("a=1");
  expect(layerTx.user.ip_address).toBe("127.0.0.1");
  expect(layerTx.timestamp).toBeGreaterThan(layerTx.start_timestamp);
  expect(layerTx.event_id).toBe(byLayer!.header.event_id);
  expect(layerTx.event_id).toMatch(/^[0-9a-f]{32}$/);
  expect(layerTx.contexts.trace.trace_id).toBe((byLayer!.header.trace as Record<string, string>).trace_id);
});
