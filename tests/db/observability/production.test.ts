/**
 * Production settings in a real process: traces sampled at 10 %, only error/fatal events sent (a warning is
 * dropped by beforeSend and shows up as such in the client report), errors in unsampled traces still carry
 * the trace and performance contexts, and breadcrumbs are capped at SENTRY_MAX_BREADCRUMBS.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import type { FakeSentry, SentryEvent } from "../../helpers/fake-sentry.ts";
import { type Fixture, PRODUCTION_ENV, pool, startSentryProcess, stopSentryProcess } from "./fixture.ts";

// Real sockets and processes on a 2-core machine: Bun's 5 s default is too tight (set per file: a
// preload's setDefaultTimeout only reaches the first file).
setDefaultTimeout(60_000);

let ingest: FakeSentry;
let f: Fixture;
/** Requests that get a span (none of them a probe): each is either sent as a transaction or counted as dropped. */
let traced = 0;

beforeAll(async () => {
  ({ ingest, f } = await startSentryProcess({ ...PRODUCTION_ENV, SENTRY_MAX_BREADCRUMBS: "10" }));
});

afterAll(() => stopSentryProcess({ ingest, f }));

test("production: 10 % of transactions sampled, errors 100 %", async () => {
  const N = 300;
  const statuses = await pool(
    Array.from({ length: N }, (_, i) => i),
    25,
    async (i) => {
      traced++;
      return (await f.call(`/api/v1/__obs/http-exception?n=${i}`)).status;
    },
  );
  expect(statuses.every((s) => s === 500)).toBe(true);
  await ingest.waitFor((s) => s.events().length >= N, 15_000, `${N} events`);
  expect(ingest.events().filter((e) => e.tags.error_type === "http_exception")).toHaveLength(N);
  await Bun.sleep(300);
  const sampled = ingest
    .transactions()
    .filter((t) => t.transaction === "GET /api/v1/__obs/http-exception").length;
  // Binomial(300, 0.1): mean 30, sd ≈ 5.2; 8..60 is beyond 4 sd either way.
  expect(sampled).toBeGreaterThanOrEqual(8);
  expect(sampled).toBeLessThanOrEqual(60);
  for (const e of ingest.events()) expect(e.environment).toBe("production");
}, 30_000);

test("errors in unsampled traces still carry trace and performance contexts", () => {
  const unsampled = ingest.envelopes.filter(
    (env) =>
      env.items.some((i) => i.header.type === "event") &&
      (env.header.trace as { sampled?: string } | undefined)?.sampled === "false",
  );
  expect(unsampled.length).toBeGreaterThan(100);
  for (const env of unsampled) {
    const e = env.items.find((i) => i.header.type === "event")!.payload as SentryEvent;
    expect(e.contexts.trace.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(e.contexts.performance).toMatchObject({ db_calls: 0, proxmox_calls: 0 });
    expect(e.contexts.performance.elapsed_ms).toBeGreaterThanOrEqual(0);
    expect(e.contexts.application.debug).toBe(false);
  }
});

test("production level filter: the warning is dropped, the error message is sent", async () => {
  traced++;
  expect((await f.call("/api/v1/__obs/warning")).status).toBe(200);
  await ingest.waitFor(
    (s) => s.events().some((e) => e.message === "fixture error message"),
    10_000,
    "error msg",
  );
  await Bun.sleep(200);
  expect(ingest.events().some((e) => e.message === "fixture warning message")).toBe(false);
});

test("breadcrumbs are capped at SENTRY_MAX_BREADCRUMBS (newest kept), DB crumb of the request included", async () => {
  traced++;
  expect((await f.call("/api/v1/__obs/crumbs/40")).status).toBe(500);
  await ingest.waitFor(
    (s) => s.events().some((e) => e.exception?.values?.[0]?.value === "after 40 crumbs"),
    10_000,
    "crumbs event",
  );
  const e = ingest.events().find((e) => e.exception?.values?.[0]?.value === "after 40 crumbs")!;
  const list = e.breadcrumbs as { category: string; message: string }[];
  expect(list).toHaveLength(10);
  expect(list.map((b) => b.category).slice(-2)).toEqual(["db.query", "http.request"]);
  // The oldest were dropped: the fixture crumbs left are the last ones, ending with "crumb 39".
  const fixture = list.filter((b) => b.category === "fixture").map((b) => Number(b.message.split(" ")[1]));
  expect(fixture.at(-1)).toBe(39);
  expect(fixture).toEqual(Array.from({ length: fixture.length }, (_, i) => 40 - fixture.length + i));
});

test("a caller's sampling decision is kept: sampled traces are all sent, unsampled ones never", async () => {
  const N = 20;
  const hex = (i: number, len: number) => i.toString(16).padStart(len, "0");
  const prefix = (sampled: 0 | 1) => (sampled ? "aaaa" : "bbbb");
  traced += 2 * N;
  const call = (i: number, sampled: 0 | 1) =>
    fetch(`${f.guideUrl}/api/v1/apps`, {
      headers: { "sentry-trace": `${prefix(sampled)}${hex(i + 1, 28)}-${hex(i + 1, 16)}-${sampled}` },
    }).then((r) => r.status);
  const statuses = await Promise.all(Array.from({ length: N }, (_, i) => [call(i, 1), call(i, 0)]).flat());
  expect(statuses.every((s) => s === 200)).toBe(true);
  const upstream = (sampled: 0 | 1) => (t: SentryEvent) =>
    t.transaction === "GET /api/v1/apps" &&
    t.contexts.trace.trace_id.startsWith(prefix(sampled)) &&
    t.contexts.trace.parent_span_id === t.contexts.trace.trace_id.slice(-16);
  // At the 10 % base rate, 20 of 20 would happen by chance once in 10^20 runs.
  await ingest.waitFor((s) => s.transactions().filter(upstream(1)).length >= N, 10_000, "sampled traces");
  await Bun.sleep(300);
  expect(ingest.transactions().filter(upstream(1))).toHaveLength(N);
  expect(ingest.transactions().filter(upstream(0))).toHaveLength(0);
});

test("client report on shutdown: dropped warning (before_send) and unsampled transactions (sample_rate)", async () => {
  // Requests that produce no event count too, though their span is never started.
  for (let i = 0; i < 100; i++) {
    traced++;
    expect((await fetch(`${f.guideUrl}/api/v1/apps`)).status).toBe(200);
  }
  expect(await f.stop()).toBe(0);
  const reasons = ingest
    .clientReports()
    .flatMap((r) => r.discarded_events as { reason: string; category: string; quantity: number }[]);
  expect(reasons.some((d) => d.reason === "before_send" && d.category === "error")).toBe(true);
  const unsampled = reasons
    .filter((d) => d.reason === "sample_rate" && d.category === "transaction")
    .reduce((n, d) => n + d.quantity, 0);
  const sent = ingest.transactions().filter((t) => t.contexts?.trace?.op === "http.server").length;
  expect(sent).toBeGreaterThan(0);
  expect(unsampled + sent).toBe(traced);
});
