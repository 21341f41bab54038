/** The proxy's Caddy configuration is a function of the database's facts: what it routes, redirects, gates. */
import { describe, expect, test } from "bun:test";
import { buildProxyConfig } from "../../../src/features/access/caddy-config.ts";

// biome-ignore lint/suspicious/noExplicitAny: walking a JSON document whose shape the assertions check.
type Json = Record<string, any>;
const base = {
  domain: "home.example.org",
  certificates: "internal" as const,
  acmeDirectory: null,
  acmeEmail: null,
};

describe("buildProxyConfig", () => {
  test("no exposed app: only :80 (the health answer), no :443 server, no certificate policy", () => {
    const c = buildProxyConfig({ ...base, routes: [] }) as Json;
    expect(Object.keys(c.apps.http.servers)).toEqual(["http"]);
    expect(c.apps.http.servers.http.routes).toHaveLength(1);
    expect(c.apps.tls.automation.policies).toEqual([]);
    expect(c.admin.listen).toBe("unix//run/caddy/admin.sock");
    expect(c.apps.pki.certificate_authorities.local.install_trust).toBe(false);
  });

  test("each exposed name routes to its app; :80 redirects those names to https; order does not matter", () => {
    const routes = [
      { host: "vault.home.example.org", upstream: "10.0.0.5:80" },
      { host: "git.home.example.org", upstream: "10.0.0.6:3000" },
    ];
    const a = buildProxyConfig({ ...base, routes }) as Json;
    const b = buildProxyConfig({ ...base, routes: [...routes].reverse() }) as Json;
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const https = a.apps.http.servers.https;
    expect(https.listen).toEqual([":443"]);
    expect(https.routes.map((r: Json) => [r.match[0].host[0], r.handle[0].upstreams[0].dial])).toEqual([
      ["git.home.example.org", "10.0.0.6:3000"],
      ["vault.home.example.org", "10.0.0.5:80"],
    ]);
    const redirect = a.apps.http.servers.http.routes[0];
    expect(redirect.match[0].host).toEqual(["git.home.example.org", "vault.home.example.org"]);
    expect(redirect.handle[0].status_code).toBe(308);
    expect(a.apps.tls.automation.policies[0]).toEqual({
      subjects: ["git.home.example.org", "vault.home.example.org"],
      issuers: [{ module: "internal" }],
    });
  });

  test("an app that serves TLS itself is reached over https, its own certificate not verified", () => {
    const c = buildProxyConfig({
      ...base,
      routes: [
        { host: "notes.home.example.org", upstream: "10.0.0.7:8443", upstreamTls: true },
        { host: "vault.home.example.org", upstream: "10.0.0.5:80" },
      ],
    }) as Json;
    const [notes, vault] = c.apps.http.servers.https.routes.map((r: Json) => r.handle[0]);
    expect(notes.transport).toEqual({ protocol: "http", tls: { insecure_skip_verify: true } });
    expect(vault.transport).toBeUndefined();
  });

  test("acme: the directory, the e-mail and trusted roots go to the ACME issuer", () => {
    const c = buildProxyConfig({
      ...base,
      certificates: "acme",
      acmeDirectory: "https://acme.example/dir",
      acmeEmail: "me@example.org",
      acmeTrustedRoots: ["/x/root.pem"],
      routes: [{ host: "a.home.example.org", upstream: "10.0.0.5:80" }],
    }) as Json;
    expect(c.apps.tls.automation.policies[0].issuers).toEqual([
      {
        module: "acme",
        ca: "https://acme.example/dir",
        email: "me@example.org",
        trusted_roots_pem_files: ["/x/root.pem"],
      },
    ]);
  });

  test("a gated name asks Proximity first and hands /.proximity/gate to it; an ungated one does not", () => {
    const c = buildProxyConfig({
      ...base,
      proximity: { dial: "192.168.1.5:3000", tlsServerName: null },
      routes: [
        { host: "a.home.example.org", upstream: "10.0.0.5:80", gated: true },
        { host: "b.home.example.org", upstream: "10.0.0.6:80" },
      ],
    }) as Json;
    const [callback, gated, open] = c.apps.http.servers.https.routes;
    expect(callback.match[0]).toEqual({ host: ["a.home.example.org"], path: ["/.proximity/gate"] });
    expect(callback.handle[0].upstreams[0].dial).toBe("192.168.1.5:3000");
    expect(gated.handle).toHaveLength(2);
    expect(gated.handle[0].rewrite).toEqual({ method: "GET", uri: "/api/v1/access/gate/verify" });
    expect(gated.handle[0].handle_response[0].match).toEqual({ status_code: [2] });
    expect(gated.handle[1].upstreams[0].dial).toBe("10.0.0.5:80");
    expect(open.handle).toHaveLength(1);
    expect(open.handle[0].upstreams[0].dial).toBe("10.0.0.6:80");
  });

  test("DNS-01: the certificate Proximity obtained is loaded as PEM and Caddy's automation leaves the names alone", () => {
    const routes = [{ host: "vault.home.example.org", upstream: "10.0.0.5:80" }];
    const dns = {
      ...base,
      certificates: "acme" as const,
      acmeDirectory: "https://acme.example/dir",
      challenge: "dns" as const,
    };
    const waiting = buildProxyConfig({ ...dns, routes, loaded: null }) as Json;
    expect(waiting.apps.tls.certificates).toBeUndefined();
    expect(waiting.apps.tls.automation.policies).toEqual([]);
    expect(waiting.apps.http.servers.https.automatic_https.skip_certificates).toEqual([
      "vault.home.example.org",
    ]);
    const loaded = buildProxyConfig({ ...dns, routes, loaded: { certPem: "CERT", keyPem: "KEY" } }) as Json;
    expect(loaded.apps.tls.certificates.load_pem).toEqual([
      { certificate: "CERT", key: "KEY", tags: ["proximity-dns01"] },
    ]);
    // HTTP-01 keeps Caddy's own issuance: a policy for the names, nothing loaded or skipped.
    const http = buildProxyConfig({ ...dns, challenge: "http", routes }) as Json;
    expect(http.apps.tls.automation.policies[0].subjects).toEqual(["vault.home.example.org"]);
    expect(http.apps.tls.certificates).toBeUndefined();
    expect(http.apps.http.servers.https.automatic_https.skip_certificates).toBeUndefined();
  });
});
