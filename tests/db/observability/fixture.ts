/**
 * Starts tests/db/observability/fixtures/server.ts as its own process (Sentry initialised there, never in the
 * test process) and gives the tests small HTTP helpers, and the set-up and teardown the test files share (a
 * fake ingest with a process reporting to it, the admin and alice). The test process drives requests, so no
 * Sentry trace headers leak from client to server.
 */
import { onPostgres, testDatabaseUrl } from "../../helpers/db.ts";
import { type FakeSentry, startFakeSentry } from "../../helpers/fake-sentry.ts";
import { type ProximityProcess, spawnProximity } from "../../helpers/process.ts";

export const PASSWORD = "Fixture-Pa55word-never-sent";
export const SECRET_KEY = "observability-fixture-secret-0123456789abcdef";

export interface Fixture {
  proc: ProximityProcess;
  url: string;
  guideUrl: string;
  call(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  stop(): Promise<number>;
}

export async function startFixture(ingest: FakeSentry, env: Record<string, string> = {}): Promise<Fixture> {
  const proc = await spawnProximity(
    {
      SENTRY_DSN: ingest.dsn,
      DATA_DIR: `/tmp/proximity-obs-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      PROXIMITY_SECRET_KEY: SECRET_KEY,
      DATABASE_URL: "memory://",
      ...(onPostgres && testDatabaseUrl ? { FIXTURE_PG_URL: testDatabaseUrl } : {}),
      ...env,
    },
    ["bun", "tests/db/observability/fixtures/server.ts"],
  );
  const guideUrl = proc.output().match(/guide app on (http:\/\/\S+)/)?.[1];
  if (!guideUrl) {
    // Nobody else holds the process yet: stop it here, or it outlives the test run.
    await proc.stop("SIGKILL");
    throw new Error(`fixture did not print the guide app URL:\n${proc.output()}`);
  }
  const call: Fixture["call"] = (path, init = {}) => {
    const { token, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token) headers.set("authorization", `Bearer ${token}`);
    if (json !== undefined) headers.set("content-type", "application/json");
    return fetch(`${proc.url}${path}`, {
      ...rest,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
  };
  return { proc, url: proc.url, guideUrl, call, stop: () => proc.stop("SIGTERM") };
}

export interface Login {
  id: string;
  username: string;
  token: string;
  refreshToken: string;
}

export async function login(
  f: Fixture,
  username: string,
  headers: Record<string, string> = {},
): Promise<Login> {
  const res = await f.call("/api/v1/auth/login", {
    method: "POST",
    json: { username, password: PASSWORD },
    headers,
  });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { access_token: string; refresh_token: string; user: { id: string } };
  return { id: body.user.id, username, token: body.access_token, refreshToken: body.refresh_token };
}

export async function registerAdmin(f: Fixture, username = "admin"): Promise<Login> {
  const res = await f.call("/api/v1/auth/register", {
    method: "POST",
    json: { username, password: PASSWORD, email: `${username}@example.com` },
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
  return login(f, username);
}

export async function createUser(f: Fixture, admin: Login, username: string, role = "user"): Promise<void> {
  const res = await f.call("/api/v1/users", {
    method: "POST",
    token: admin.token,
    json: { username, password: PASSWORD, role, email: `${username}@example.com` },
  });
  if (res.status !== 201) throw new Error(`create ${username}: ${res.status} ${await res.text()}`);
}

/** Production settings, whatever the CI host is called (auto-detection is unit-tested). */
export const PRODUCTION_ENV: Record<string, string> = {
  SENTRY_ENVIRONMENT: "production",
  NODE_ENV: "production",
  PUBLIC_URL: "https://proximity.example.com",
};

export interface SentryProcess {
  ingest: FakeSentry;
  f: Fixture;
}

/**
 * A fake ingest and a Proximity process reporting to it under `env`. When the process does not start, the
 * ingest is stopped before the error is thrown, so a failed beforeAll leaves nothing running.
 */
export async function startSentryProcess(env: Record<string, string> = {}): Promise<SentryProcess> {
  const ingest = startFakeSentry();
  try {
    return { ingest, f: await startFixture(ingest, env) };
  } catch (e) {
    await ingest.stop();
    throw e;
  }
}

/**
 * For afterAll: stops the process unless a test already has (several stop it to read the client report sent
 * at shutdown), then the ingest. Either may be missing when beforeAll failed early.
 */
export async function stopSentryProcess({ ingest, f }: Partial<SentryProcess>): Promise<void> {
  try {
    if (f?.proc.proc.exitCode === null) await f.stop();
  } finally {
    await ingest?.stop();
  }
}

/** Signs up the admin, who creates the user alice; both logged in. */
export async function signUpAdminAndAlice(f: Fixture): Promise<{ admin: Login; alice: Login }> {
  const admin = await registerAdmin(f);
  await createUser(f, admin, "alice");
  return { admin, alice: await login(f, "alice") };
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}
