/**
 * Production settings with every trace sampled: which request transactions reach Sentry by status, and what
 * the client report says about the others. The SDK's HTTP integration drops the transactions of 401–404
 * and 3xx answers; the layer does not build those at all (src/observability/dropped-status.ts), and what
 * arrives on the wire — the transactions and the client report's counts — must be what the SDK's own
 * drop produced.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { type FakeSentry, type SentryEvent, startFakeSentry } from "../../helpers/fake-sentry.ts";
import { createUser, type Fixture, type Login, login, registerAdmin, startFixture } from "./fixture.ts";

// Real sockets and processes on a 2-core machine: Bun's 5 s default is too tight.
setDefaultTimeout(60_000);

let ingest: FakeSentry;
let f: Fixture;
let admin: Login;
let alice: Login;

beforeAll(async () => {
  ingest = startFakeSentry();
  f = await startFixture(ingest, {
    SENTRY_ENVIRONMENT: "production",
    NODE_ENV: "production",
    PUBLIC_URL: "https://proximity.example.com",
    SENTRY_TRACES_SAMPLE_RATE: "1",
  });
  admin = await registerAdmin(f);
  await createUser(f, admin, "alice");
  alice = await login(f, "alice");
});

afterAll(async () => {
  if (f?.proc.proc.exitCode === null) await f.stop();
  await ingest?.stop();
});

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
