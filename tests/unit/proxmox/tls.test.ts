/**
 * TLS verification and fingerprint pinning over real TLS sockets: a self-signed certificate, and a leaf
 * signed by a CA the client never sees (PVE's default pve-ssl.pem / pve-root-ca layout).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { ProxmoxClient } from "../../../src/proxmox/client.ts";
import type { ProxmoxClientOptions } from "../../../src/proxmox/types.ts";
import { CERTS, fingerprint, servePveVersion } from "../../helpers/tls-certs.ts";
import { caught } from "./helpers/caught.ts";

const servers: { stop: (force?: boolean) => unknown }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.stop(true);
});

function serve(which: keyof typeof CERTS, port = 0) {
  const served = servePveVersion(which, port);
  servers.push(served.server);
  return served;
}

function client(apiUrl: string, options: Partial<ProxmoxClientOptions> = {}) {
  return new ProxmoxClient({
    apiUrl,
    auth: { kind: "token", tokenId: "root@pam!proximity", tokenSecret: "secret" },
    maxAttempts: 1,
    timeoutMs: 3_000,
    ...options,
  });
}

describe("TLS", () => {
  test("verification is on by default: a self-signed certificate is refused as kind tls (503)", async () => {
    const s = serve("selfSigned");
    const err = await caught(client(s.url).version());
    expect(err.kind).toBe("tls");
    expect(err.code).toBe("PROXMOX_UNAVAILABLE");
    expect(err.retryable).toBe(false);
    expect(s.hits()).toBe(0);
  });

  test("verifyTls=false accepts it", async () => {
    const s = serve("selfSigned");
    expect((await client(s.url, { verifyTls: false }).version()).version).toBe("8.4.1");
  });

  for (const which of ["selfSigned", "caSigned"] as const) {
    test(`pinned fingerprint of a ${which} certificate: accepted, and reused across calls`, async () => {
      const s = serve(which);
      const c = client(s.url, { fingerprint: fingerprint(CERTS[which].cert).toLowerCase() });
      expect((await c.version()).version).toBe("8.4.1");
      await c.version();
      expect(s.hits()).toBe(2);
    });

    test(`wrong pin for a ${which} certificate: refused before any request is sent`, async () => {
      const s = serve(which);
      const other = which === "selfSigned" ? "caSigned" : "selfSigned";
      const err = await caught(client(s.url, { fingerprint: fingerprint(CERTS[other].cert) }).version());
      expect(err.kind).toBe("tls");
      expect(err.pveMessage).toContain("does not match the pinned");
      expect(s.hits()).toBe(0);
    });
  }

  test("a certificate swapped after the pin was verified is refused on the next connection", async () => {
    const first = serve("selfSigned");
    const c = client(first.url, { fingerprint: fingerprint(CERTS.selfSigned.cert) });
    await c.version();
    first.server.stop(true);
    const second = serve("caSigned", first.port);
    const err = await caught(c.version());
    expect(err.kind).toBe("tls");
    expect(second.hits()).toBe(0);
  });
});
