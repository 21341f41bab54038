/**
 * The proxy's whole configuration, built from the database every time (docs/access.md): Caddy's native JSON,
 * loaded with one POST /load, so loading it again changes nothing and a re-created proxy converges.
 *
 * - `:443`: one route per exposed app, matched by its HTTPS name, to the app's address and primary port
 *   (`reverse_proxy` passes websockets, streams request bodies and sets no timeout of its own);
 * - `:80`: the exposed names redirect to https (308, method and body kept); anything else (the health check
 *   by address) answers 200, so the proxy's own health check needs no name;
 * - certificates: Caddy's internal CA (`install_trust: false`: it never touches the container's trust store),
 *   an ACME issuer for the names (HTTP-01/TLS-ALPN-01, Caddy's own), or, with DNS-01, the wildcard
 *   certificate Proximity obtained, loaded as PEM (`tls.certificates.load_pem`) with Caddy's automation
 *   told to leave the names alone;
 * - the admin API stays on the container's unix socket (`CADDY_ADMIN` in the entry): never on the network.
 */
import { GATE_PATH } from "./gate.ts";

export const ADMIN_LISTEN = "unix//run/caddy/admin.sock";

export interface ProxyRoute {
  /** The HTTPS name, e.g. vault.home.example.org. */
  host: string;
  /** address:port of the app's primary port. */
  upstream: string;
  /** The app serves TLS itself there (its own, usually self-signed, certificate: not verified). */
  upstreamTls?: boolean;
  /** Only visitors Proximity lets through (gate.ts): forward-auth to Proximity before the app. */
  gated?: boolean;
}

/** Where the proxy reaches Proximity (its PUBLIC_URL), for the sign-in gate. */
export interface ProximityUpstream {
  dial: string;
  /** PUBLIC_URL is https: the proxy speaks TLS to it, with this server name. */
  tlsServerName: string | null;
}

export interface ProxyConfigInput {
  domain: string;
  certificates: "internal" | "acme";
  challenge?: "http" | "dns";
  /** challenge dns: the certificate Proximity obtained (null while there is none yet). */
  loaded?: { certPem: string; keyPem: string } | null;
  acmeDirectory: string | null;
  acmeEmail: string | null;
  routes: ProxyRoute[];
  /** PEM files the ACME client trusts for the directory's own TLS (a private ACME server such as Pebble). */
  acmeTrustedRoots?: string[];
  /** Needed when a route is gated. */
  proximity?: ProximityUpstream | null;
}

/** A reverse_proxy to Proximity, optionally as a side request (forward-auth: `rewrite`). */
function toProximity(p: ProximityUpstream, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    handler: "reverse_proxy",
    upstreams: [{ dial: p.dial }],
    ...(p.tlsServerName ? { transport: { protocol: "http", tls: { server_name: p.tlsServerName } } } : {}),
    ...extra,
  };
}

/** One exposed app's routes on :443: the gate's callback path and forward-auth first when it is gated. */
function appRoutes(r: ProxyRoute, proximity: ProximityUpstream | null | undefined): unknown[] {
  const app = {
    handler: "reverse_proxy",
    upstreams: [{ dial: r.upstream }],
    ...(r.upstreamTls ? { transport: { protocol: "http", tls: { insecure_skip_verify: true } } } : {}),
    // The app sees the name the visitor used, and where the visitor came from.
    headers: { request: { set: { "X-Forwarded-Host": ["{http.request.host}"] } } },
  };
  if (!r.gated || !proximity) return [{ match: [{ host: [r.host] }], handle: [app], terminal: true }];
  const forwarded = {
    "X-Forwarded-Host": ["{http.request.host}"],
    "X-Forwarded-Uri": ["{http.request.uri}"],
  };
  return [
    {
      match: [{ host: [r.host], path: [GATE_PATH] }],
      handle: [
        toProximity(proximity, {
          rewrite: { uri: "/api/v1/access/gate/callback?{http.request.uri.query}" },
          headers: { request: { set: forwarded } },
        }),
      ],
      terminal: true,
    },
    {
      match: [{ host: [r.host] }],
      handle: [
        // Caddy's forward_auth, spelled out: a 2xx from Proximity lets the request go on to the app; any
        // other answer (a redirect to sign in) is the visitor's answer.
        toProximity(proximity, {
          rewrite: { method: "GET", uri: "/api/v1/access/gate/verify" },
          headers: { request: { set: forwarded } },
          handle_response: [{ match: { status_code: [2] }, routes: [{ handle: [{ handler: "vars" }] }] }],
        }),
        app,
      ],
      terminal: true,
    },
  ];
}

export function buildProxyConfig(input: ProxyConfigInput): Record<string, unknown> {
  const routes = [...input.routes].sort((a, b) => a.host.localeCompare(b.host));
  const hosts = routes.map((r) => r.host);
  const servers: Record<string, unknown> = {
    http: {
      listen: [":80"],
      routes: [
        ...(hosts.length
          ? [
              {
                match: [{ host: hosts }],
                handle: [
                  {
                    handler: "static_response",
                    status_code: 308,
                    headers: { Location: ["https://{http.request.host}{http.request.uri}"] },
                  },
                ],
                terminal: true,
              },
            ]
          : []),
        { handle: [{ handler: "static_response", status_code: 200, body: "Proximity proxy\n" }] },
      ],
    },
  };
  if (routes.length > 0) {
    servers.https = {
      listen: [":443"],
      // HTTP/3 left out: it needs UDP 443 published, which the entry does not do.
      protocols: ["h1", "h2"],
      automatic_https: {
        disable_redirects: true,
        // DNS-01: Proximity manages the certificate; Caddy must not try HTTP-01 for the names.
        ...(input.challenge === "dns" ? { skip_certificates: hosts } : {}),
      },
      routes: routes.flatMap((r) => appRoutes(r, input.proximity)),
    };
  }
  const issuer =
    input.certificates === "internal"
      ? { module: "internal" }
      : {
          module: "acme",
          ...(input.acmeDirectory ? { ca: input.acmeDirectory } : {}),
          ...(input.acmeEmail ? { email: input.acmeEmail } : {}),
          ...(input.acmeTrustedRoots?.length ? { trusted_roots_pem_files: input.acmeTrustedRoots } : {}),
        };
  return {
    admin: { listen: ADMIN_LISTEN },
    apps: {
      http: { servers },
      tls:
        input.challenge === "dns"
          ? {
              ...(input.loaded
                ? {
                    certificates: {
                      load_pem: [
                        {
                          certificate: input.loaded.certPem,
                          key: input.loaded.keyPem,
                          tags: ["proximity-dns01"],
                        },
                      ],
                    },
                  }
                : {}),
              automation: { policies: [] },
            }
          : { automation: { policies: hosts.length ? [{ subjects: hosts, issuers: [issuer] }] : [] } },
      pki: {
        certificate_authorities: {
          local: { name: `Proximity CA (${input.domain})`, install_trust: false },
        },
      },
    },
  };
}
