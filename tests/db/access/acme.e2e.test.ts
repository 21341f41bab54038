/**
 * ACME certificates against Pebble (Debian's `pebble`, Let's Encrypt's ACME test server) on loopback:
 * Pebble resolves names through pebble-challtestsrv's DNS, which answers the proxy's address, and validates
 * the challenges against the simulator's real Caddy on that address. A directory that does not answer is
 * refused before anything is saved.
 */

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { errorOf } from "../../helpers/harness.ts";
import { curlName } from "../../helpers/https-name.ts";
import { freePort, type Pebble, startPebble, waitFor } from "../../helpers/pebble.ts";
import { deploy, type SimWorld, settled, startWorld } from "../../helpers/sim.ts";

setDefaultTimeout(180_000);
const DOMAIN = "acme.example.test";

let w: SimWorld;
let pebble: Pebble;
let directory = "";
beforeAll(async () => {
  pebble = await startPebble({ PEBBLE_WFE_NONCEREJECT: "0" });
  directory = pebble.directory;
  w = await startWorld({ nodes: 2, speed: 2000 }, {}, { acmeTrustedRoots: [pebble.certFile] });
  w.t.services.access.start(100);
}, 300_000);
afterAll(async () => {
  await w?.t.services.access.stop();
  await w?.stop();
  pebble?.stop();
});

const api = (path: string, init: Parameters<SimWorld["t"]["request"]>[1] = {}) =>
  w.t.request(path, { token: w.admin.token, ...init });
/** PUT /access: HTTPS names under DOMAIN with certificates from the ACME directory at `directory`. */
const putAcme = (directory: string, extra: Record<string, string> = {}) =>
  api("/api/v1/access", {
    method: "PUT",
    json: { domain: DOMAIN, certificates: "acme", acme_directory: directory, ...extra },
  });

describe("ACME certificates (Pebble)", () => {
  test("a directory that does not answer is refused with the fix; nothing is saved", async () => {
    const res = await putAcme(`https://127.0.0.1:${await freePort()}/dir`);
    expect(res.status).toBe(422);
    const error = await errorOf(res);
    expect(error.details?.[0]?.field).toBe("acme_directory");
    expect(error.details?.[0]?.message).toContain("does not answer as an ACME directory");
    expect(((await (await api("/api/v1/access")).json()) as { status: string }).status).toBe("off");
  });

  test("an exposed app gets a certificate from the directory and answers over https", async () => {
    const res = await putAcme(directory, { acme_email: "admin@example.org" });
    expect(res.status).toBe(200);
    const proxyId = ((await res.json()) as { proxy: { app_id: string } }).proxy.app_id;
    const proxy = await settled(w, proxyId, 90_000);
    expect(proxy?.status).toBe("running");
    const proxyIp = proxy!.ip!;
    // Pebble's DNS: every name answers the proxy's address (what the wildcard record does).
    await pebble.challtestsrv(proxyIp);

    const d = await deploy(w, { catalog_id: "vaultwarden", hostname: "vault" });
    const app = await settled(w, d.app.id, 60_000);
    expect(app?.status).toBe("running");
    const exposed = await api(`/api/v1/apps/${app!.id}/exposure`, {
      method: "POST",
      json: { enabled: true },
    });
    expect(exposed.status).toBe(200);

    // Pebble issues from a root it makes at start: the client trusts that root, as it would Let's Encrypt's.
    writeFileSync(join(pebble.dir, "pebble-root.pem"), await pebble.root());
    const name = `vault.${DOMAIN}`;
    const body = await waitFor("https through the proxy with Pebble's certificate", async () => {
      const stdout = await curlName(
        { name, ip: proxyIp, ca: join(pebble.dir, "pebble-root.pem") },
        "/alive",
        [],
        5,
      );
      return stdout.includes("ok from") ? stdout : undefined;
    });
    expect(body).toBe("ok from vaultwarden\n");

    // GET /access shows the certificate served for the name, issued by Pebble, with its expiry.
    const access = (await (await api("/api/v1/access")).json()) as {
      status: string;
      certificates_served: { name: string; issuer: string | null; expires_at: string | null }[];
    };
    expect(access.status).toBe("ready");
    const served = access.certificates_served.find((c) => c.name === name);
    expect(served?.issuer ?? "").toContain("Pebble");
    expect(Date.parse(served!.expires_at!)).toBeGreaterThan(Date.now());
  });
});
