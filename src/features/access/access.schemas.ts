/**
 * HTTPS names for apps (docs/access.md): the access settings an administrator sets, what GET /access
 * reports, and the exposure of one app.
 */
import { z } from "@hono/zod-openapi";
import { APP_GATES } from "../../db/schema.ts";

/** A DNS name of at least two labels (`home.example.org`), each a DNS label, 253 characters at most. */
export const DomainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/,
    "must be a DNS name such as home.example.org (letters, digits and inner hyphens, at least two labels)",
  )
  .openapi({ example: "home.example.org" });

export const CERTIFICATE_MODES = ["internal", "acme"] as const;
export const LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory";
/** http: Caddy answers HTTP-01/TLS-ALPN-01 itself; dns: Proximity answers DNS-01 through the DNS provider. */
export const CHALLENGES = ["http", "dns"] as const;

/** The DNS provider DNS-01 goes through. The token is write-only: stored encrypted, never returned. */
export const DnsProviderInput = z
  .object({
    kind: z.literal("cloudflare"),
    api_token: z.string().trim().min(1).max(500).openapi({
      description: "A Cloudflare API token with Zone → DNS → Edit on the zone; write-only, stored encrypted",
    }),
    zone_id: z
      .string()
      .trim()
      .regex(/^[0-9a-f]{32}$/, "must be a Cloudflare zone ID (32 hexadecimal characters)")
      .optional()
      .openapi({
        description: "Found from the domain when left out (the token then needs Zone → Zone → Read)",
      }),
  })
  .strict()
  .openapi("DnsProviderInput");

export const AccessUpdateBody = z
  .object({
    domain: DomainSchema,
    certificates: z.enum(CERTIFICATE_MODES).default("internal").openapi({
      description:
        "internal: the proxy's own certificate authority (download its root from /access/ca.pem); acme: certificates from an ACME directory",
    }),
    acme_directory: z
      .url({ protocol: /^https$/, message: "must be an https URL" })
      .max(500)
      .optional()
      .openapi({ description: `acme only; default Let's Encrypt (${LETS_ENCRYPT})` }),
    acme_email: z.email().max(254).optional(),
    challenge: z.enum(CHALLENGES).default("http").openapi({
      description:
        "acme only. http: the directory reaches the proxy on ports 80/443 (Caddy obtains a certificate per name); dns: Proximity obtains one wildcard certificate with DNS-01 through dns_provider and renews it",
    }),
    dns_provider: DnsProviderInput.optional().openapi({
      description: "challenge dns only; may be left out to keep the provider already stored",
    }),
  })
  .strict()
  .openapi("AccessUpdate");
export type AccessUpdate = z.infer<typeof AccessUpdateBody>;

/** What is stored (the `access` settings key): the settings plus what the last push to the proxy did. */
export const StoredAccessSchema = z.object({
  domain: z.string(),
  certificates: z.enum(CERTIFICATE_MODES),
  acme_directory: z.string().nullable(),
  acme_email: z.string().nullable(),
  /** When the proxy last took the configuration, and its digest; null before the first push. */
  applied_at: z.string().nullable().default(null),
  applied_digest: z.string().nullable().default(null),
  /** Why the last push failed, in words; null when it worked. */
  last_error: z.string().nullable().default(null),
  /** The proxy's root certificate (internal mode), kept once read so ca.pem works while the proxy is down. */
  root_pem: z.string().nullable().default(null),
  challenge: z.enum(CHALLENGES).default("http"),
  /** Changes with every PUT: a new certificate job per saved settings (the job's dedupe key). */
  revision: z.string().default(""),
  dns_provider: z
    .object({
      kind: z.literal("cloudflare"),
      zone_id: z.string(),
      zone_name: z.string(),
      /** crypto/secrets.ts */
      token_enc: z.string(),
    })
    .nullable()
    .default(null),
  /** The ACME account key (a private JWK, encrypted) and the directory it belongs to. */
  acme_account: z.object({ directory: z.string(), key_enc: z.string() }).nullable().default(null),
  /** The DNS-01 certificate Proximity obtained and loads into the proxy (its key encrypted). */
  dns_certificate: z
    .object({
      names: z.array(z.string()),
      /** The ACME directory that issued it: another directory in the settings means a new certificate. */
      directory: z.string(),
      cert_pem: z.string(),
      key_enc: z.string(),
      issuer: z.string().nullable(),
      not_before: z.string(),
      not_after: z.string(),
      obtained_at: z.string(),
    })
    .nullable()
    .default(null),
  /** Why the last DNS-01 attempt failed, in words; null after a success. */
  dns_error: z.string().nullable().default(null),
});
export type StoredAccess = z.infer<typeof StoredAccessSchema>;

export const ACCESS_STATUSES = ["off", "deploying", "ready", "error"] as const;

export const DnsRecordSchema = z
  .object({
    type: z.literal("A"),
    name: z.string().openapi({ example: "*.home.example.org" }),
    value: z.string().nullable().openapi({ description: "the proxy's address; null until it has one" }),
    resolves: z.boolean().nullable().openapi({
      description: "whether a name under the domain resolves to the proxy now (null: not checked)",
    }),
  })
  .openapi("DnsRecord");

export const AccessView = z
  .object({
    domain: z.string().nullable(),
    certificates: z.enum(CERTIFICATE_MODES),
    acme_directory: z.string().nullable(),
    acme_email: z.string().nullable(),
    status: z.enum(ACCESS_STATUSES),
    reason: z.string().nullable(),
    proxy: z
      .object({
        app_id: z.string().uuid(),
        address: z.string().nullable(),
        node: z.string().nullable(),
        vmid: z.number().int().nullable(),
        status: z.string(),
      })
      .nullable(),
    dns: z.array(DnsRecordSchema),
    certificates_served: z
      .array(
        z.object({
          name: z.string(),
          issuer: z.string().nullable(),
          expires_at: z.string().nullable(),
          problem: z.string().nullable(),
        }),
      )
      .openapi({
        description:
          "The certificate the proxy serves for each exposed name, read by a TLS handshake; Caddy renews them",
      }),
    applied_at: z.string().nullable(),
    challenge: z.enum(CHALLENGES),
    dns_provider: z
      .object({ kind: z.literal("cloudflare"), zone_id: z.string(), zone_name: z.string() })
      .nullable()
      .openapi({ description: "challenge dns: the provider (its token is never returned)" }),
    certificate: z
      .object({
        names: z.array(z.string()),
        issuer: z.string().nullable(),
        expires_at: z.string(),
        renews_at: z.string().openapi({ description: "Proximity renews at two thirds of its lifetime" }),
        obtained_at: z.string(),
      })
      .nullable()
      .openapi({ description: "challenge dns: the wildcard certificate Proximity obtained and renews" }),
  })
  .openapi("Access");
export type AccessViewT = z.infer<typeof AccessView>;

export const ExposureBody = z
  .object({
    enabled: z.boolean(),
    gate: z.enum(APP_GATES).default("none").openapi({
      description: "proximity: only a signed-in Proximity user who may see the app passes (docs/access.md)",
    }),
  })
  .strict()
  .openapi("ExposureRequest");
export type ExposureInput = z.infer<typeof ExposureBody>;
