/**
 * DNS-01 through Cloudflare, end to end with real parts: Pebble (Debian's ACME test server) asks
 * pebble-challtestsrv (a real DNS server) for the `_acme-challenge` TXT records; a small fake of Cloudflare's
 * v4 API in this file checks the bearer token and puts the records into challtestsrv; Proximity obtains the
 * wildcard certificate, loads it into the simulator's real Caddy, and `curl --resolve --cacert <Pebble's
 * root>` reaches the exposed app through it. A refused token is a 422 with the fix, and nothing is touched;
 * renewal happens at two thirds of the lifetime; a token revoked before a renewal shows with the fix while
 * the app keeps answering.
 */

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";
import { eq } from "drizzle-orm";
import { applications, auditLog, jobs, settings } from "../../../src/db/schema.ts";
import { errorOf } from "../../helpers/harness.ts";
import { curlName } from "../../helpers/https-name.ts";
import { type Pebble, startPebble, waitFor } from "../../helpers/pebble.ts";
import { deploy, type SimWorld, settled, startWorld } from "../../helpers/sim.ts";
import { ORIGIN, Tab } from "../../helpers/web-tab.ts";

setDefaultTimeout(180_000);
const ZONE = "example.test";
const ZONE_ID = "0123456789abcdef0123456789abcdef";
const DOMAIN = `dns.${ZONE}`;
const NAME = `vault.${DOMAIN}`;
const TOKEN = "cf-test-token-7f3a9c1e5b2d4a6f8e0c";
/**
 * Cloudflare's v4 API as far as DNS-01 uses it: tokens/verify, zones by name or ID, and TXT records, which
 * go to pebble-challtestsrv (the DNS Pebble asks). Every call needs `Authorization: Bearer <token>`.
 */
function fakeCloudflare(challtestsrv: string) {
  const state = {
    token: TOKEN,
    records: new Map<string, { name: string; content: string }>(),
    calls: [] as string[],
    authorizations: [] as string[],
  };
  const fail = (status: number, message: string) =>
    Response.json({ success: false, errors: [{ code: 10000, message }], result: null }, { status });
  const ok = (result: unknown) => Response.json({ success: true, errors: [], result });
  const syncTxt = async (name: string) => {
    await fetch(`${challtestsrv}/clear-txt`, { method: "POST", body: JSON.stringify({ host: `${name}.` }) });
    for (const r of state.records.values()) {
      if (r.name !== name) continue;
      await fetch(`${challtestsrv}/set-txt`, {
        method: "POST",
        body: JSON.stringify({ host: `${name}.`, value: r.content }),
      });
    }
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      state.calls.push(`${req.method} ${url.pathname}`);
      const auth = req.headers.get("authorization") ?? "";
      state.authorizations.push(auth);
      if (auth !== `Bearer ${state.token}`) return fail(401, "Invalid API Token");
      const path = url.pathname.replace(/^\/client\/v4/, "");
      if (req.method === "GET" && path === "/user/tokens/verify") {
        return ok({ id: "token-id", status: "active" });
      }
      if (req.method === "GET" && path === "/zones") {
        return ok(url.searchParams.get("name") === ZONE ? [{ id: ZONE_ID, name: ZONE }] : []);
      }
      if (req.method === "GET" && path === `/zones/${ZONE_ID}`) return ok({ id: ZONE_ID, name: ZONE });
      if (req.method === "POST" && path === `/zones/${ZONE_ID}/dns_records`) {
        const body = (await req.json()) as { type: string; name: string; content: string };
        if (body.type !== "TXT" || !body.name.endsWith(ZONE)) return fail(400, "bad record");
        const id = crypto.randomUUID().replaceAll("-", "");
        state.records.set(id, { name: body.name, content: body.content });
        await syncTxt(body.name);
        return ok({ id, ...body });
      }
      const del = path.match(new RegExp(`^/zones/${ZONE_ID}/dns_records/([0-9a-f]+)$`));
      if (req.method === "DELETE" && del) {
        const record = state.records.get(del[1]!);
        if (!record) return fail(404, "Record not found");
        state.records.delete(del[1]!);
        await syncTxt(record.name);
        return ok({ id: del[1] });
      }
      return fail(404, "No route");
    },
  });
  return { state, url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}

let w: SimWorld;
let pebble: Pebble;
let cloudflare: ReturnType<typeof fakeCloudflare>;
/** Added to "now" for renewals. */
let clockOffset = 0;
beforeAll(async () => {
  // Pebble rejects 5 % of nonces by default: the client's badNonce retry is exercised too.
  pebble = await startPebble();
  cloudflare = fakeCloudflare(await pebble.challtestsrv());
  w = await startWorld(
    { nodes: 2, speed: 2000 },
    // The web form's requests come from this origin (tests/helpers/web-tab.ts).
    { PUBLIC_URL: ORIGIN },
    {
      acmeTrustedRoots: [pebble.certFile],
      dnsChallenge: {
        cloudflareApiUrl: cloudflare.url,
        resolvers: [`127.0.0.1:${pebble.dnsPort}`],
        propagationTimeoutMs: 10_000,
        acme: { pollMs: 100 },
      },
      clock: () => new Date(Date.now() + clockOffset),
    },
  );
  w.t.services.access.start(100);
}, 300_000);
afterAll(async () => {
  await w?.t.services.access.stop();
  await w?.stop();
  cloudflare?.stop();
  pebble?.stop();
});

const api = (path: string, init: Parameters<SimWorld["t"]["request"]>[1] = {}) =>
  w.t.request(path, { token: w.admin.token, ...init });

interface Access {
  status: string;
  reason: string | null;
  challenge: string;
  proxy: { app_id: string; address: string | null } | null;
  dns_provider: { kind: string; zone_id: string; zone_name: string } | null;
  certificate: {
    names: string[];
    issuer: string;
    expires_at: string;
    renews_at: string;
    obtained_at: string;
  } | null;
  certificates_served: { name: string; issuer: string | null; expires_at: string | null }[];
}

const access = async () => (await (await api("/api/v1/access")).json()) as Access;

const dnsSettings = (api_token: string) => ({
  domain: DOMAIN,
  certificates: "acme",
  acme_directory: pebble.directory,
  acme_email: "admin@example.org",
  challenge: "dns",
  dns_provider: { kind: "cloudflare", api_token },
});

/** GET https://NAME/alive through the proxy, trusting only Pebble's root. */
function viaProxy(proxyIp: string): Promise<string> {
  return curlName({ name: NAME, ip: proxyIp, ca: join(pebble.dir, "pebble-root.pem") }, "/alive", [], 5);
}

/** The serial number of the certificate the proxy presents for NAME, verified against `ca`. */
function servedSerial(ip: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: ip, port: 443, servername: NAME, ca }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.on("error", reject);
  });
}

describe("DNS-01 certificates through Cloudflare (Pebble, challtestsrv, a fake Cloudflare API)", () => {
  let proxyIp = "";
  let pebbleRoot = "";

  test("a refused token is a 422 on the token with the fix; nothing is saved or deployed", async () => {
    const res = await api("/api/v1/access", { method: "PUT", json: dnsSettings("not-the-token") });
    expect(res.status).toBe(422);
    const error = await errorOf(res);
    expect(error.details?.[0]?.field).toBe("dns_provider.api_token");
    expect(error.details?.[0]?.message).toContain(
      "Cloudflare refused the API token (HTTP 401: Invalid API Token)",
    );
    expect(error.details?.[0]?.message).toContain("Zone → DNS → Edit");
    expect(JSON.stringify(error)).not.toContain("not-the-token");
    const a = await access();
    expect(a.status).toBe("off");
    expect(a.proxy).toBeNull();
    expect(await w.t.services.database.db.select().from(applications)).toEqual([]);
    expect(cloudflare.state.calls).toEqual(["GET /client/v4/user/tokens/verify"]);
  });

  test("DNS-01 without a token, or with an http challenge, is refused by field", async () => {
    const { dns_provider: _, ...noProvider } = dnsSettings(TOKEN);
    const missing = await api("/api/v1/access", { method: "PUT", json: noProvider });
    expect(missing.status).toBe(422);
    expect((await errorOf(missing)).details?.[0]?.field).toBe("dns_provider");
    const internal = await api("/api/v1/access", {
      method: "PUT",
      json: { domain: DOMAIN, challenge: "dns" },
    });
    expect(internal.status).toBe(422);
    expect((await errorOf(internal)).details?.[0]?.field).toBe("challenge");
    expect((await access()).status).toBe("off");
  });

  test("a valid token: the zone is found, the token is stored encrypted and never returned", async () => {
    const res = await api("/api/v1/access", { method: "PUT", json: dnsSettings(TOKEN) });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(TOKEN);
    const a = JSON.parse(text) as Access;
    expect(a.challenge).toBe("dns");
    expect(a.dns_provider).toEqual({ kind: "cloudflare", zone_id: ZONE_ID, zone_name: ZONE });
    const [row] = await w.t.services.database.db.select().from(settings).where(eq(settings.key, "access"));
    expect(JSON.stringify(row?.value)).not.toContain(TOKEN);
    const entries = await w.t.services.database.db.select().from(auditLog);
    expect(JSON.stringify(entries)).not.toContain(TOKEN);
    expect(cloudflare.state.authorizations.at(-1)).toBe(`Bearer ${TOKEN}`);
    const proxy = await settled(w, a.proxy!.app_id, 90_000);
    expect(proxy?.status).toBe("running");
    proxyIp = proxy!.ip!;
  });

  test("the wildcard certificate is obtained, loaded into Caddy, and an exposed app answers over https", async () => {
    const d = await deploy(w, { catalog_id: "vaultwarden", hostname: "vault" });
    const app = await settled(w, d.app.id, 60_000);
    expect(app?.status).toBe("running");
    expect(
      (await api(`/api/v1/apps/${app!.id}/exposure`, { method: "POST", json: { enabled: true } })).status,
    ).toBe(200);
    const a = await waitFor("the certificate and ready", async () => {
      const x = await access();
      if (x.status === "error") throw new Error(x.reason ?? "error");
      return x.status === "ready" && x.certificate ? x : undefined;
    });
    expect(a.certificate!.names).toEqual([`*.${DOMAIN}`]);
    expect(a.certificate!.issuer).toContain("Pebble");
    const lifetime = Date.parse(a.certificate!.expires_at) - Date.parse(a.certificate!.obtained_at);
    const renewIn = Date.parse(a.certificate!.renews_at) - Date.parse(a.certificate!.obtained_at);
    expect(Math.abs(renewIn / lifetime - 2 / 3)).toBeLessThan(0.01);
    // The challenge records were created through the API and deleted again.
    expect(cloudflare.state.calls.filter((c) => c.startsWith("POST")).length).toBe(1);
    expect(cloudflare.state.calls.filter((c) => c.startsWith("DELETE")).length).toBe(1);
    expect(cloudflare.state.records.size).toBe(0);

    pebbleRoot = await pebble.root();
    writeFileSync(join(pebble.dir, "pebble-root.pem"), pebbleRoot);
    const body = await waitFor("https through the proxy with the DNS-01 certificate", async () => {
      const out = await viaProxy(proxyIp);
      return out.includes("ok from") ? out : undefined;
    });
    expect(body).toBe("ok from vaultwarden\n");
    const served = (await access()).certificates_served.find((c) => c.name === NAME);
    expect(served?.expires_at).toBe(a.certificate!.expires_at);
  });

  test("at two thirds of its lifetime Proximity renews it and the proxy serves the new one", async () => {
    const before = (await access()).certificate!;
    const oldSerial = await servedSerial(proxyIp, pebbleRoot);
    clockOffset = Date.parse(before.renews_at) - Date.now() + 60_000;
    const jobsOf = async () =>
      w.t.services.database.db.select().from(jobs).where(eq(jobs.kind, "access_certificate"));
    // The renewal is noticed by the access re-check; it is asked for here (as the next tick would) so that
    // the test does not depend on when the chore's timer fires on a loaded machine.
    await waitFor("the renewal job", async () => {
      await w.t.services.access.kick();
      return (await jobsOf()).length === 2 ? true : undefined;
    });
    clockOffset = 0;
    const renewed = await waitFor("the renewed certificate", async () => {
      const c = (await access()).certificate;
      return c && c.obtained_at !== before.obtained_at ? c : undefined;
    });
    expect(Date.parse(renewed.expires_at)).toBeGreaterThanOrEqual(Date.parse(before.expires_at));
    const newSerial = await waitFor("the proxy serving the new certificate", async () => {
      const s = await servedSerial(proxyIp, pebbleRoot);
      return s !== oldSerial ? s : undefined;
    });
    expect(newSerial).not.toBe(oldSerial);
    expect((await jobsOf()).map((j) => j.status).sort()).toEqual(["succeeded", "succeeded"]);
  });

  test("a token revoked before the next renewal: the reason names the fix, the app keeps answering", async () => {
    cloudflare.state.token = "rotated-elsewhere";
    const before = (await access()).certificate!;
    clockOffset = Date.parse(before.renews_at) - Date.now() + 60_000;
    const a = await waitFor("the renewal's failure", async () => {
      await w.t.services.access.kick();
      const x = await access();
      return x.reason?.includes("Renewing the certificate failed") ? x : undefined;
    });
    clockOffset = 0;
    expect(a.status).toBe("ready");
    expect(a.reason).toContain("Cloudflare refused the API token");
    expect(a.reason).toContain("Zone → DNS → Edit");
    expect(a.certificate?.obtained_at).toBe(before.obtained_at);
    expect(await viaProxy(proxyIp)).toBe("ok from vaultwarden\n");
  });

  test("Settings → Access: a refused token beside its field, never echoed; left empty, the stored one is kept", async () => {
    cloudflare.state.token = TOKEN;
    const stored = async () => {
      const [row] = await w.t.services.database.db.select().from(settings).where(eq(settings.key, "access"));
      return row?.value as { revision: string; dns_provider: { token_enc: string } };
    };
    const before = await stored();
    const tab = new Tab(w.t);
    await tab.signIn("admin");
    const page = await (await tab.request("/settings/access")).text();
    expect(page).toContain("stored; leave empty to keep it");
    expect(page).not.toContain(TOKEN);
    expect(page).toContain("Wildcard certificate (DNS-01)");
    const form = (token: string) => ({
      domain: DOMAIN,
      certificates: "acme",
      acme_directory: pebble.directory,
      challenge: "dns",
      "dns_provider.api_token": token,
    });
    const refused = await tab.request("/settings/access", {
      method: "PUT",
      form: form("typed-a-wrong-token-123"),
      headers: { "hx-request": "true" },
    });
    expect(refused.status).toBe(422);
    const html = await refused.text();
    expect(html).toContain('id="dns_provider-api_token-error"');
    expect(html).toContain("Cloudflare refused the API token");
    expect(html).not.toContain("typed-a-wrong-token-123");
    expect((await stored()).revision).toBe(before.revision);

    const kept = await tab.request("/settings/access", {
      method: "PUT",
      form: form(""),
      headers: { "hx-request": "true" },
    });
    expect(kept.status).toBe(200);
    expect(await kept.text()).toContain("Access settings saved.");
    const after = await stored();
    expect(after.revision).not.toBe(before.revision);
    expect(after.dns_provider.token_enc).toBe(before.dns_provider.token_enc);
  });
});
