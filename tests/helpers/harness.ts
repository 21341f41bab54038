/**
 * Builds the real app over the shared test database, plus small helpers for the common steps
 * (register, login, authorised requests). Tests call the app in-process with app.request().
 */
import { createApp } from "../../src/boot/app.ts";
import { type BuildOptions, buildServices, type Services } from "../../src/boot/container.ts";
import { type Config, loadConfig } from "../../src/core/config.ts";
import { SYSTEM_ACTOR } from "../../src/core/identity.ts";
import { deriveKeys } from "../../src/crypto/keys.ts";
import type { CreateHostInput } from "../../src/features/hosts/hosts.schemas.ts";
import { getTestDatabase, resetDatabase, secondInstance, testDatabaseUrl } from "./db.ts";

export const TEST_SECRET = "test-secret-key-0123456789abcdef0123456789abcdef";
export const PASSWORD = "correct-horse-battery";

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    DATA_DIR: "/tmp/proximity-test-data",
    PROXIMITY_SECRET_KEY: TEST_SECRET,
    PASSWORD_HASH_MEMORY_KIB: "4096",
    PROXIMITY_SIMULATOR: "off",
    ...(testDatabaseUrl ? { DATABASE_URL: testDatabaseUrl } : { DATABASE_URL: "memory://" }),
    ...env,
  });
}

export interface TestApp {
  app: ReturnType<typeof createApp>;
  services: Services;
  request(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
}

/** A fresh app over an emptied database. */
export async function createTestApp(
  env: Record<string, string> = {},
  build: BuildOptions = {},
): Promise<TestApp> {
  await resetDatabase();
  const database = await getTestDatabase();
  const config = testConfig(env);
  const services = buildServices(config, database, await deriveKeys(TEST_SECRET), build);
  await services.catalog.load();
  return testAppOf(services);
}

/**
 * A second instance of the app over the test database: its own services and caches (its own connections on
 * PostgreSQL), listening to the database's events. `close` stops both.
 */
export async function secondTestApp(
  env: Record<string, string> = {},
): Promise<TestApp & { close(): Promise<void> }> {
  const database = await getTestDatabase();
  const db = await secondInstance(database);
  const services = buildServices(testConfig(env), db, await deriveKeys(TEST_SECRET));
  await services.events.ready();
  return {
    ...testAppOf(services),
    close: async () => {
      await services.events.close();
      if (db !== database) await db.close();
    },
  };
}

/** The app over these services, with the request helper (a bearer token, a JSON body). */
export function testAppOf(services: Services): TestApp {
  const app = createApp(services);
  return {
    app,
    services,
    request: async (path, init = {}) => {
      const { token, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token) headers.set("authorization", `Bearer ${token}`);
      if (json !== undefined) headers.set("content-type", "application/json");
      return app.request(path, {
        ...rest,
        headers,
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
    },
  };
}

export interface Session {
  id: string;
  username: string;
  token: string;
  refreshToken: string;
}

export async function login(t: TestApp, username: string, password = PASSWORD): Promise<Session> {
  const res = await t.request("/api/v1/auth/login", { method: "POST", json: { username, password } });
  if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { access_token: string; refresh_token: string; user: { id: string } };
  return { id: body.user.id, username, token: body.access_token, refreshToken: body.refresh_token };
}

/** The first registered user is the admin. */
export async function setupAdmin(t: TestApp, username = "admin"): Promise<Session> {
  const res = await t.request("/api/v1/auth/register", {
    method: "POST",
    json: { username, password: PASSWORD },
  });
  if (res.status !== 201) throw new Error(`register ${username} failed: ${res.status} ${await res.text()}`);
  return login(t, username);
}

/** A fresh app over an emptied database and its first user, the admin: where most API tests start. */
export async function appWithAdmin(
  env: Record<string, string> = {},
  build: BuildOptions = {},
): Promise<{ t: TestApp; admin: Session }> {
  const t = await createTestApp(env, build);
  return { t, admin: await setupAdmin(t) };
}

/** A regular user created by the admin. */
export async function createUser(
  t: TestApp,
  admin: Session,
  username: string,
  role = "user",
): Promise<Session> {
  const res = await t.request("/api/v1/users", {
    method: "POST",
    token: admin.token,
    json: { username, password: PASSWORD, role },
  });
  if (res.status !== 201) throw new Error(`create ${username} failed: ${res.status} ${await res.text()}`);
  return login(t, username);
}

/**
 * `session` changes its password from PASSWORD to `newPassword`, presenting its refresh token so that this
 * session stays while the others end. The answer, for the caller to check.
 */
export function changePassword(t: TestApp, session: Session, newPassword: string): Promise<Response> {
  return t.request("/api/v1/auth/change-password", {
    method: "POST",
    token: session.token,
    json: { current_password: PASSWORD, new_password: newPassword, refresh_token: session.refreshToken },
  });
}

/** POST /auth/refresh with `refreshToken`: the answer (a new pair, or 401 for a spent or revoked token). */
export function refresh(t: Pick<TestApp, "request">, refreshToken: string): Promise<Response> {
  return t.request("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: refreshToken } });
}

/** `session` signs out, presenting its refresh token: the answer. */
export function logout(t: Pick<TestApp, "request">, session: Session): Promise<Response> {
  return t.request("/api/v1/auth/logout", {
    method: "POST",
    token: session.token,
    json: { refresh_token: session.refreshToken },
  });
}

/** How many audit events of `action` the admin reads in the audit log. */
export async function auditTotal(t: TestApp, admin: Session, action: string): Promise<number> {
  const res = await t.request(`/api/v1/audit?action=${action}`, { token: admin.token });
  return ((await res.json()) as { total: number }).total;
}

export async function errorOf(
  res: Response,
): Promise<{ code: string; message: string; details?: { field: string; message: string }[] }> {
  const body = (await res.json()) as {
    error: { code: string; message: string; details?: { field: string; message: string }[] };
  };
  return body.error;
}

/**
 * A host no Proxmox VE answers (192.0.2.1 is a documentation address), registered without a check: for
 * tests that need host and app rows, not a cluster.
 */
export function registerOfflineHost(t: TestApp, overrides: Partial<CreateHostInput> = {}) {
  return t.services.hosts.create(
    {
      name: "pve",
      api_url: "https://192.0.2.1:8006",
      token_id: "a@pve!b",
      token_secret: "s",
      verify_tls: true,
      ssh: { port: 22, username: "root" },
      is_default: true,
      ...overrides,
    },
    SYSTEM_ACTOR,
  );
}
