/**
 * The sign-in gate through the real proxy: Proximity serves on a real socket (its PUBLIC_URL), the
 * simulator's Caddy asks it before every request to a gated app (forward-auth), a visitor without a pass is
 * sent to sign in, the owner comes back with a one-time code and gets a pass on the app's own name, another
 * user does not, and a pass stops working when its user is disabled.
 */

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { App } from "../../../src/boot/app.ts";
import { type RunningSimulator, startSimulator } from "../../../src/simulator/index.ts";
import {
  createTestApp,
  createUser,
  PASSWORD,
  type Session,
  setupAdmin,
  type TestApp,
} from "../../helpers/harness.ts";
import { curlName } from "../../helpers/https-name.ts";
import { FAST_TIMING, simHostBody } from "../../helpers/sim.ts";

setDefaultTimeout(180_000);
const DOMAIN = "gate.example.test";
const NAME = `vault.${DOMAIN}`;
const dir = mkdtempSync(join(tmpdir(), "access-gate-"));

let sim: RunningSimulator;
let t: TestApp;
let server: ReturnType<typeof Bun.serve>;
let url = "";
let admin: Session;
let bob: Session;
let proxyIp = "";
let vaultId = "";

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const api = (path: string, init: Parameters<TestApp["request"]>[1] = {}) =>
  t.request(path, { token: admin.token, ...init });

async function appStatus(id: string): Promise<string> {
  return ((await (await api(`/api/v1/apps/${id}`)).json()) as { app: { status: string } }).app.status;
}

/** One request through the proxy with curl: status, Location and Set-Cookie. */
async function viaProxy(path: string, cookie?: string) {
  const stdout = await curlName({ name: NAME, ip: proxyIp, ca: join(dir, "ca.pem") }, path, [
    "-D",
    "-",
    "-o",
    "/dev/null",
    ...(cookie ? ["-H", `Cookie: ${cookie}`] : []),
  ]);
  const status = Number(/^HTTP\/\S+ (\d+)/.exec(stdout)?.[1]);
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, "im").exec(stdout)?.[1]?.trim();
  return { status, location: header("location"), setCookie: header("set-cookie") };
}

/** A browser's sign-in on Proximity's own pages: the session cookies to send with the next requests. */
async function webSignIn(username: string): Promise<string> {
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [k, v] = c.split(";")[0]!.split("=") as [string, string];
      jar.set(k, v);
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const page = await fetch(`${url}/login`);
  keep(page);
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(await page.text())?.[1] ?? "";
  const res = await fetch(`${url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: cookie(), origin: url, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username, password: PASSWORD, _csrf: csrf }).toString(),
  });
  keep(res);
  expect(res.status).toBeLessThan(400);
  return cookie();
}

beforeAll(async () => {
  sim = await startSimulator({ nodes: 2, speed: 2000, authFailDelayMs: 0 });
  let app: App | undefined;
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req, srv) => app!.fetch(req, srv) });
  url = `http://127.0.0.1:${server.port}`;
  t = await createTestApp(
    { PUBLIC_URL: url },
    { timing: FAST_TIMING, jobs: { pollMs: 20, retryBaseMs: 20, leaseMs: 2_000, concurrency: 8 } },
  );
  app = t.app;
  admin = await setupAdmin(t);
  bob = await createUser(t, admin, "bob");
  const host = await api("/api/v1/hosts", {
    method: "POST",
    json: simHostBody(sim),
  });
  await t.services.hosts.sync(((await host.json()) as { host: { id: string } }).host.id);
  t.services.jobs.start();
  t.services.access.start(100);
}, 300_000);
afterAll(async () => {
  await t?.services.access.stop();
  await t?.services.jobs.stop(1_000);
  t?.services.hosts.close();
  server?.stop(true);
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the sign-in gate", () => {
  test("an app exposed with the gate sends a visitor without a pass to Proximity's sign-in", async () => {
    expect((await api("/api/v1/access", { method: "PUT", json: { domain: DOMAIN } })).status).toBe(200);
    const access = await waitFor("the proxy ready", async () => {
      const a = (await (await api("/api/v1/access")).json()) as {
        status: string;
        proxy: { address: string };
      };
      return a.status === "ready" ? a : undefined;
    });
    proxyIp = access.proxy.address;
    writeFileSync(join(dir, "ca.pem"), await (await t.request("/api/v1/access/ca.pem")).text());
    const d = await api("/api/v1/apps/deploy", {
      method: "POST",
      json: { catalog_id: "vaultwarden", hostname: "vault" },
    });
    vaultId = ((await d.json()) as { app: { id: string } }).app.id;
    await waitFor("vault running", async () => ((await appStatus(vaultId)) === "running" ? true : undefined));
    const res = await api(`/api/v1/apps/${vaultId}/exposure`, {
      method: "POST",
      json: { enabled: true, gate: "proximity" },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { app: { gate: string } }).app.gate).toBe("proximity");
    await waitFor("vault running again", async () =>
      (await appStatus(vaultId)) === "running" ? true : undefined,
    );

    const first = await waitFor("the gate in front of the app", async () => {
      const r = await viaProxy("/alive?x=1");
      return r.status === 302 ? r : undefined;
    });
    const to = new URL(first.location!);
    expect(to.origin).toBe(url);
    expect(to.pathname).toBe("/access/gate");
    expect(to.searchParams.get("host")).toBe(NAME);
    expect(to.searchParams.get("to")).toBe("/alive?x=1");
  });

  test("the owner signs in, comes back with a one-time code, and passes with the cookie set on the app's name", async () => {
    const session = await webSignIn("admin");
    const gate = await fetch(`${url}/access/gate?host=${NAME}&to=${encodeURIComponent("/alive?x=1")}`, {
      headers: { cookie: session },
      redirect: "manual",
    });
    expect(gate.status).toBe(302);
    const back = new URL(gate.headers.get("location")!);
    expect(back.origin).toBe(`https://${NAME}`);
    expect(back.pathname).toBe("/.proximity/gate");

    const callback = await viaProxy(`${back.pathname}${back.search}`);
    expect(callback.status).toBe(302);
    expect(callback.location).toBe("/alive?x=1");
    expect(callback.setCookie).toMatch(
      /^__Host-proximity-gate=[^;]+; Path=\/; Secure; HttpOnly; SameSite=Lax/,
    );
    const pass = callback.setCookie!.split(";")[0]!;

    // The code works once.
    expect((await viaProxy(`${back.pathname}${back.search}`)).status).toBe(403);
    // With the pass the app answers; without it, or with a forged one, the gate stands.
    expect((await viaProxy("/alive", pass)).status).toBe(200);
    expect((await viaProxy("/alive", `${pass.slice(0, -4)}AAAA`)).status).toBe(302);
    expect((await viaProxy("/alive")).status).toBe(302);
  });

  test("another user is refused on the gate page and a disabled user's pass stops working", async () => {
    expect(bob.username).toBe("bob");
    const bobSession = await webSignIn("bob");
    const refused = await fetch(`${url}/access/gate?host=${NAME}&to=/`, {
      headers: { cookie: bobSession },
      redirect: "manual",
    });
    expect(refused.status).toBe(404);

    // An administrator may see every app: carol passes, until she is disabled.
    const admin2 = await createUser(t, admin, "carol", "admin");
    const session = await webSignIn("carol");
    const gate = await fetch(`${url}/access/gate?host=${NAME}&to=/`, {
      headers: { cookie: session },
      redirect: "manual",
    });
    const back = new URL(gate.headers.get("location")!);
    const pass = (await viaProxy(`${back.pathname}${back.search}`)).setCookie!.split(";")[0]!;
    expect((await viaProxy("/alive", pass)).status).toBe(200);
    const disabled = await api(`/api/v1/users/${admin2.id}`, { method: "PATCH", json: { disabled: true } });
    expect(disabled.status).toBe(200);
    expect((await viaProxy("/alive", pass)).status).toBe(302);
  });
});
