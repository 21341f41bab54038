/**
 * The proxy's whole configuration, built from the database every time (docs/access.md): Caddy's native JSON,
 * loaded with one POST /load, so loading it again changes nothing and a re-created proxy converges.
 *
 * - `:443`: one route per exposed app, matched by its HTTPS name, to the app's address and primary port
 *   (`reverse_proxy` passes websockets, streams request bodies and sets no timeout of its own);
 * - `:80`: the exposed names redirect to https (308, method and body kept); anything else (the health check
 *   by address) answers 200, so the proxy's own health check needs no name;
 * - certificates: Caddy's internal CA (`install_trust: false`: it never touches the container's trust store)
 *   or an ACME issuer for the names;
 * - the admin API stays on the container's unix socket (`CADDY_ADMIN` in the entry): never on the network.
 */
export const ADMIN_LISTEN = "unix//run/caddy/admin.sock";

export interface ProxyRoute {
  /** The HTTPS name, e.g. vault.home.example.org. */
  host: string;
  /** address:port of the app's primary port. */
  upstream: string;
}

export interface ProxyConfigInput {
  domain: string;
  certificates: "internal" | "acme";
  acmeDirectory: string | null;
  acmeEmail: string | null;
  routes: ProxyRoute[];
  /** PEM files the ACME client trusts for the directory's own TLS (a private ACME server such as Pebble). */
  acmeTrustedRoots?: string[];
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
      automatic_https: { disable_redirects: true },
      routes: routes.map((r) => ({
        match: [{ host: [r.host] }],
        handle: [
          {
            handler: "reverse_proxy",
            upstreams: [{ dial: r.upstream }],
            // The app sees the name the visitor used, and where the visitor came from.
            headers: { request: { set: { "X-Forwarded-Host": ["{http.request.host}"] } } },
          },
        ],
        terminal: true,
      })),
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
      tls: { automation: { policies: hosts.length ? [{ subjects: hosts, issuers: [issuer] }] : [] } },
      pki: {
        certificate_authorities: {
          local: { name: `Proximity CA (${input.domain})`, install_trust: false },
        },
      },
    },
  };
}
