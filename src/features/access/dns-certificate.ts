/**
 * DNS-01 (docs/access.md): Proximity obtains one wildcard certificate `*.<domain>` itself, because the
 * proxy's Caddy has no DNS-provider module. For each authorization it creates the `_acme-challenge` TXT
 * record through Cloudflare's API, waits until the zone's name servers answer it, lets the directory check
 * it, and always deletes the records again. The certificate is then loaded into Caddy (caddy-config.ts).
 */
import { X509Certificate } from "node:crypto";
import { Resolver, resolve4, resolveNs } from "node:dns/promises";
import type { JWK } from "jose";
import {
  AcmeClient,
  type AcmeClientOptions,
  AcmeError,
  type AcmeOrder,
  type Authorization,
} from "./acme-client.ts";
import type { Cloudflare } from "./cloudflare.ts";
import { keyAndCsr } from "./csr.ts";

export interface DnsChallengeOptions {
  /** Cloudflare's API (tests: a fake one); default https://api.cloudflare.com. */
  cloudflareApiUrl?: string;
  /** DNS servers asked whether a TXT record is visible (tests: pebble-challtestsrv); default: the zone's own. */
  resolvers?: string[];
  /** How long to wait for a record to be visible before letting the directory check anyway (default 120 s). */
  propagationTimeoutMs?: number;
  acme?: AcmeClientOptions;
}

export interface ObtainInput {
  domain: string;
  directory: string;
  email: string | null;
  accountJwk: JWK;
  dns: Cloudflare;
  zone: { id: string; name: string };
  options: DnsChallengeOptions;
  log: (message: string) => Promise<void>;
}

export interface ObtainedCertificate {
  names: string[];
  certPem: string;
  keyPem: string;
  issuer: string | null;
  notBefore: string;
  notAfter: string;
}

export const wildcardOf = (domain: string) => `*.${domain}`;

/** When a certificate is renewed: at two thirds of its lifetime (what Caddy and certbot do, about). */
export function renewsAt(notBefore: string, notAfter: string): Date {
  const from = Date.parse(notBefore);
  return new Date(from + ((Date.parse(notAfter) - from) * 2) / 3);
}

export async function obtainWildcard(input: ObtainInput): Promise<ObtainedCertificate> {
  const { dns, zone, log, options } = input;
  const names = [wildcardOf(input.domain)];
  // First, even when the directory reuses a valid authorization and no record is needed: a token revoked
  // since shows at this renewal, months before one is needed.
  await dns.verifyToken();
  const acme = await AcmeClient.open(input.directory, input.accountJwk, options.acme);
  await acme.account(input.email);
  const { url: orderUrl, order } = await acme.newOrder(names);
  await log(`Order for ${names.join(", ")} opened at ${input.directory}`);
  const created: string[] = [];
  try {
    const pending: { authzUrl: string; challengeUrl: string; record: string; value: string }[] = [];
    for (const authzUrl of order.authorizations) {
      const authz = await acme.read<Authorization>(authzUrl);
      if (authz.status === "valid") continue;
      const challenge = authz.challenges.find((c) => c.type === "dns-01");
      if (!challenge)
        throw new AcmeError(`The directory offers no dns-01 challenge for ${authz.identifier.value}`);
      const record = `_acme-challenge.${authz.identifier.value}`;
      const value = await acme.dnsValue(challenge.token);
      created.push(await dns.createTxt(zone.id, record, value));
      await log(`TXT record ${record} created in the Cloudflare zone ${zone.name}`);
      pending.push({ authzUrl, challengeUrl: challenge.url, record, value });
    }
    for (const p of pending) {
      const seen = await txtVisible(p.record, p.value, zone.name, options);
      await log(
        seen
          ? `${p.record} answers from the zone's name servers`
          : `${p.record} is not visible yet; letting the directory check anyway`,
      );
    }
    for (const p of pending) await acme.respond(p.challengeUrl);
    for (const p of pending) {
      const done = await acme.waitWhile<Authorization>(p.authzUrl, ["pending"]);
      if (done.status !== "valid") {
        const why = done.challenges.find((c) => c.type === "dns-01")?.error?.detail ?? done.status;
        throw new AcmeError(`The directory did not accept the TXT record ${p.record}: ${why}`);
      }
    }
  } finally {
    for (const id of created) {
      await dns
        .deleteRecord(zone.id, id)
        .catch((err: unknown) =>
          log(
            `Could not delete a TXT record (${(err as Error).message}); delete _acme-challenge records by hand`,
          ),
        );
    }
  }
  const ready = await acme.waitWhile<AcmeOrder>(orderUrl, ["pending"]);
  if (ready.status !== "ready")
    throw new AcmeError(`The order is ${ready.status}: ${ready.error?.detail ?? ""}`);
  const { keyPem, csr } = keyAndCsr(names);
  await acme.finalize(ready, csr);
  const valid = await acme.waitWhile<AcmeOrder>(orderUrl, ["ready", "processing"]);
  if (valid.status !== "valid" || !valid.certificate) {
    throw new AcmeError(`The order is ${valid.status}: ${valid.error?.detail ?? "no certificate"}`);
  }
  const certPem = await acme.certificate(valid.certificate);
  const leaf = new X509Certificate(certPem);
  await log(
    `Certificate for ${names.join(", ")} issued, valid until ${new Date(leaf.validTo).toISOString()}`,
  );
  return {
    names,
    certPem,
    keyPem,
    issuer: /CN=([^\n]+)/.exec(leaf.issuer)?.[1] ?? null,
    notBefore: new Date(leaf.validFrom).toISOString(),
    notAfter: new Date(leaf.validTo).toISOString(),
  };
}

/** Whether `name` has the TXT `value` at the zone's name servers (or the configured resolvers), waiting a while. */
async function txtVisible(
  name: string,
  value: string,
  zone: string,
  options: DnsChallengeOptions,
): Promise<boolean> {
  const resolver = new Resolver({ timeout: 2_000, tries: 1 });
  const servers = options.resolvers ?? (await zoneNameServers(zone));
  if (servers.length) resolver.setServers(servers);
  const end = Date.now() + (options.propagationTimeoutMs ?? 120_000);
  for (;;) {
    const records = await resolver.resolveTxt(name).catch(() => [] as string[][]);
    if (records.some((chunks) => chunks.join("") === value)) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, options.acme?.pollMs ?? 2_000));
  }
}

/** The addresses of the zone's authoritative name servers (empty: ask the system's resolver instead). */
async function zoneNameServers(zone: string): Promise<string[]> {
  try {
    const hosts = await resolveNs(zone);
    const addresses = await Promise.all(hosts.map((h) => resolve4(h).catch(() => [] as string[])));
    return addresses.flat();
  } catch {
    return [];
  }
}
