/**
 * HTTPS names for apps (docs/access.md). The administrator sets a domain; Proximity deploys its proxy as a
 * system app (the `proximity-proxy` entry, through the ordinary deploy saga: placement, compensation,
 * backups) and keeps its Caddy configured from the database: every change (settings, an exposure, an app's
 * address, the proxy itself coming up) leads to `converge()`, which builds the whole configuration and
 * loads it. Loading is idempotent, so a restarted or re-created proxy converges, and a proxy failure never
 * touches an app: it only shows as the access status.
 */
import { createHash, randomUUID } from "node:crypto";
import { resolve4 } from "node:dns/promises";
import { readFileSync } from "node:fs";
import { and, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { Chore } from "../../core/chore.ts";
import { ConflictError, NotFoundError, ValidationError } from "../../core/errors.ts";
import type { UserActor } from "../../core/identity.ts";
import { log } from "../../core/log.ts";
import type { Keys } from "../../crypto/keys.ts";
import { decryptSecret, encryptSecret } from "../../crypto/secrets.ts";
import type { Db } from "../../db/connect.ts";
import { type Application, applications, jobs, settings, users } from "../../db/schema.ts";
import type { EventBus } from "../../queue/events.ts";
import type { JobQueue } from "../../queue/queue.ts";
import type { AppsService } from "../apps/apps.service.ts";
import type { AuditService } from "../audit/audit.service.ts";
import type { CatalogService } from "../catalog/catalog.service.ts";
import { portScheme, webPort } from "../catalog/index.ts";
import {
  type AccessUpdate,
  type AccessViewT,
  type ExposureInput,
  LETS_ENCRYPT,
  type StoredAccess,
  StoredAccessSchema,
} from "./access.schemas.ts";
import { newAccountKey } from "./acme-client.ts";
import { buildProxyConfig, type ProximityUpstream } from "./caddy-config.ts";
import { Cloudflare, DnsProviderError, TOKEN_FIX } from "./cloudflare.ts";
import { type DnsChallengeOptions, obtainWildcard, renewsAt, wildcardOf } from "./dns-certificate.ts";
import { cookieValue, GATE_COOKIE, GATE_PATH, type GateTokens, safePath } from "./gate.ts";
import { ObtainCertificateJob } from "./job-types.ts";
import { acmeDirectoryProblem, type ServedCertificate, servedCertificate } from "./probes.ts";
import { type ProxyDriver, ProxyError } from "./proxy.ts";

const KEY = "access";
/** One settings change at a time, across instances (pg_advisory_xact_lock). */
const LOCK = sql`select pg_advisory_xact_lock(hashtext('proximity.access'))`;
export const PROXY_ENTRY = "proximity-proxy";
export const PROXY_HOSTNAME = "proximity-proxy";

/** The re-check's pause while HTTPS names are not configured (another instance configuring them is seen by then). */
export const IDLE_ACCESS_RECHECK_MS = 5 * 60_000;

export interface AccessDeps {
  db: Db;
  apps: AppsService;
  catalog: CatalogService;
  audit: AuditService;
  events: EventBus;
  driver: ProxyDriver;
  /** PEM files the proxy's ACME client trusts for the directory's TLS (tests: Pebble's certificate). */
  acmeTrustedRoots?: string[];
  /** Proximity's PUBLIC_URL: where the gate sends visitors to sign in, and where the proxy asks. */
  publicUrl?: string | undefined;
  /** Signs the gate's codes and passes (gate.ts). */
  gate: GateTokens;
  /** Encrypts the DNS provider's token, the ACME account key and the certificate's key. */
  keys: Keys;
  /** Runs the DNS-01 certificate job. */
  jobs: JobQueue;
  /** Where DNS-01 talks and looks (tests: a fake Cloudflare API, pebble-challtestsrv as the DNS). */
  dnsChallenge?: DnsChallengeOptions;
  /** "Now" for renewals (tests move it). */
  clock?: () => Date;
}

export class AccessService {
  private chain: Promise<void> = Promise.resolve();
  private pending = false;
  private unsubscribe: (() => void) | undefined;
  private recheck: Chore | undefined;
  /** The last convergence found HTTPS names configured (the periodic re-check runs at its interval). */
  private configured: boolean | undefined;

  constructor(private readonly deps: AccessDeps) {}

  private get db(): Db {
    return this.deps.db;
  }

  async stored(db: Db = this.db): Promise<StoredAccess | null> {
    const [row] = await db.select().from(settings).where(eq(settings.key, KEY));
    if (!row) return null;
    const parsed = StoredAccessSchema.safeParse(row.value);
    return parsed.success ? parsed.data : null;
  }

  private async save(value: StoredAccess, db: Db = this.db, by: string | null = null): Promise<void> {
    await db
      .insert(settings)
      .values({ key: KEY, value, updatedBy: by })
      .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: new Date(), updatedBy: by } });
  }

  async proxyApp(db: Db = this.db): Promise<Application | undefined> {
    const [row] = await db.select().from(applications).where(eq(applications.systemRole, "proxy"));
    return row;
  }

  /** GET /access: the settings, the proxy, where it stands, and the DNS record to create. */
  async view(checkDns = true): Promise<AccessViewT> {
    const s = await this.stored();
    const proxy = await this.proxyApp();
    const base = {
      domain: s?.domain ?? null,
      certificates: s?.certificates ?? ("internal" as const),
      acme_directory: s?.acme_directory ?? null,
      acme_email: s?.acme_email ?? null,
      applied_at: s?.applied_at ?? null,
      challenge: s?.challenge ?? ("http" as const),
      dns_provider: s?.dns_provider
        ? { kind: s.dns_provider.kind, zone_id: s.dns_provider.zone_id, zone_name: s.dns_provider.zone_name }
        : null,
      certificate: s && currentCertificate(s) ? certificateView(currentCertificate(s)!) : null,
      proxy: proxy
        ? { app_id: proxy.id, address: proxy.ip, node: proxy.node, vmid: proxy.vmid, status: proxy.status }
        : null,
    };
    if (!s) return { ...base, status: "off", reason: null, dns: [], certificates_served: [] };
    const dns = [
      {
        type: "A" as const,
        name: `*.${s.domain}`,
        value: proxy?.ip ?? null,
        resolves: checkDns && proxy?.ip ? await resolvesTo(`${PROXY_HOSTNAME}.${s.domain}`, proxy.ip) : null,
      },
    ];
    const { status, reason } = accessStatus(s, proxy, this.now());
    const certificates_served = checkDns ? await this.certificates() : [];
    return { ...base, status, reason, dns, certificates_served };
  }

  /** The certificate the proxy serves for each exposed name (issuer, expiry): Caddy renews them itself. */
  async certificates(): Promise<ServedCertificate[]> {
    const s = await this.stored();
    const proxy = await this.proxyApp();
    if (!s || !proxy?.ip || proxy.status !== "running") return [];
    const exposed = await this.db.select().from(applications).where(isNotNull(applications.httpsUrl));
    return Promise.all(exposed.map((a) => servedCertificate(proxy.ip!, new URL(a.httpsUrl!).hostname)));
  }

  /** The app page's view: the domain (null when off) and whether the app's HTTPS name resolves to the proxy. */
  async forApp(app: Application): Promise<{ domain: string | null; resolves: boolean | null }> {
    const s = await this.stored();
    if (!s) return { domain: null, resolves: null };
    if (!app.httpsUrl) return { domain: s.domain, resolves: null };
    const proxy = await this.proxyApp();
    return {
      domain: s.domain,
      resolves: proxy?.ip ? await resolvesTo(new URL(app.httpsUrl).hostname, proxy.ip) : null,
    };
  }

  /** PUT /access: stores the settings, deploys the proxy if there is none, and reconfigures it. */
  async update(actor: UserActor, body: AccessUpdate): Promise<AccessViewT> {
    if (body.certificates === "internal" && (body.acme_directory || body.acme_email)) {
      throw new ValidationError("ACME settings need certificates: acme", [
        { field: "certificates", message: "set acme to use acme_directory and acme_email" },
      ]);
    }
    if (body.challenge === "dns" && body.certificates !== "acme") {
      throw new ValidationError("DNS-01 is an ACME challenge", [
        { field: "challenge", message: "set certificates: acme to use the dns challenge" },
      ]);
    }
    if (body.dns_provider && body.challenge !== "dns") {
      throw new ValidationError("A DNS provider is used by the dns challenge only", [
        { field: "dns_provider", message: "set challenge: dns to use a DNS provider" },
      ]);
    }
    if (body.certificates === "acme") {
      const directory = body.acme_directory ?? LETS_ENCRYPT;
      const problem = await acmeDirectoryProblem(directory, this.deps.acmeTrustedRoots?.map(readPem));
      if (problem) {
        throw new ValidationError("The ACME directory does not answer", [
          {
            field: "acme_directory",
            message: `${directory} does not answer as an ACME directory from here (${problem}); check the URL, or use internal certificates`,
          },
        ]);
      }
    }
    const provider = body.challenge === "dns" ? await this.dnsProvider(body, await this.stored()) : null;
    const { previous } = await this.db.transaction(async (db) => {
      await db.execute(LOCK);
      const previous = await this.stored(db);
      const dns = body.challenge === "dns";
      const next: StoredAccess = {
        domain: body.domain,
        certificates: body.certificates,
        acme_directory: body.certificates === "acme" ? (body.acme_directory ?? LETS_ENCRYPT) : null,
        acme_email: body.certificates === "acme" ? (body.acme_email ?? null) : null,
        applied_at: null,
        applied_digest: null,
        last_error: null,
        // A new domain does not change the CA; another proxy (re-created) would: read it again then.
        root_pem: previous?.root_pem ?? null,
        challenge: dns ? "dns" : "http",
        revision: randomUUID(),
        // Turning DNS-01 off forgets the token and the certificate.
        dns_provider: provider,
        acme_account: previous?.acme_account ?? null,
        dns_certificate: dns ? (previous?.dns_certificate ?? null) : null,
        dns_error: null,
      };
      await this.save(next, db, actor.user.id);
      await this.deps.audit.record(
        {
          actor,
          action: "access.update",
          target: { type: "settings", id: KEY },
          details: {
            domain: next.domain,
            certificates: next.certificates,
            challenge: next.challenge,
            dns_provider: next.dns_provider?.kind ?? null,
          },
        },
        db,
      );
      return { previous };
    });
    if (!(await this.proxyApp())) {
      await this.deps.apps.deploy(
        actor,
        { catalog_id: PROXY_ENTRY, hostname: PROXY_HOSTNAME },
        { systemRole: "proxy" },
      );
    }
    if (previous && previous.domain !== body.domain) await this.renameExposed(actor, body.domain);
    await this.scheduleCertificate();
    this.kick();
    return this.view(false);
  }

  /**
   * The DNS provider to store for challenge dns: a new token is checked with Cloudflare first (valid and
   * active, and its zone holds the domain), so a refused token is a 422 with the fix and nothing is saved;
   * without one, the stored provider is kept when its zone holds the domain.
   */
  private async dnsProvider(
    body: AccessUpdate,
    previous: StoredAccess | null,
  ): Promise<StoredAccess["dns_provider"]> {
    const input = body.dns_provider;
    if (!input) {
      const kept = previous?.dns_provider;
      if (kept && inZone(body.domain, kept.zone_name)) return kept;
      throw new ValidationError("DNS-01 needs a DNS provider", [
        {
          field: "dns_provider",
          message: kept
            ? `the stored Cloudflare zone ${kept.zone_name} does not hold ${body.domain}: give a token (and zone) for it`
            : "give a Cloudflare API token (kind cloudflare, api_token) for the zone of the domain",
        },
      ]);
    }
    const cloudflare = new Cloudflare(input.api_token, this.deps.dnsChallenge?.cloudflareApiUrl);
    let zone: { id: string; name: string };
    try {
      await cloudflare.verifyToken();
      zone = input.zone_id ? await cloudflare.zone(input.zone_id) : await cloudflare.findZone(body.domain);
    } catch (err) {
      if (!(err instanceof DnsProviderError)) throw err;
      throw new ValidationError("Cloudflare refused the DNS provider settings", [
        err.refused
          ? { field: "dns_provider.api_token", message: `${err.message}: ${TOKEN_FIX}` }
          : { field: "dns_provider", message: `${err.message}; try again, or check Cloudflare's status` },
      ]);
    }
    if (!inZone(body.domain, zone.name)) {
      throw new ValidationError("The Cloudflare zone does not hold the domain", [
        { field: "dns_provider.zone_id", message: `the zone ${zone.name} does not hold ${body.domain}` },
      ]);
    }
    return {
      kind: "cloudflare",
      zone_id: zone.id,
      zone_name: zone.name,
      token_enc: await encryptSecret(this.deps.keys, input.api_token),
    };
  }

  private now(): number {
    return (this.deps.clock?.() ?? new Date()).getTime();
  }

  /** Whether challenge dns needs a (new) certificate now: none for this domain and directory, or due for renewal. */
  private certificateDue(s: StoredAccess): boolean {
    if (s.certificates !== "acme" || s.challenge !== "dns" || !s.dns_provider) return false;
    const c = currentCertificate(s);
    return !c || this.now() >= renewsAt(c.not_before, c.not_after).getTime();
  }

  /**
   * Enqueues the DNS-01 certificate job when one is due and none is queued or running. The dedupe key names
   * the settings revision, the certificate it replaces and the hour, so instances ticking together enqueue
   * one job, and a failed attempt is tried again the next hour (or at once when the settings are saved).
   */
  async scheduleCertificate(): Promise<void> {
    const s = await this.stored();
    if (!s || !this.certificateDue(s)) return;
    const [busy] = await this.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.kind, ObtainCertificateJob.kind), inArray(jobs.status, ["queued", "running"])))
      .limit(1);
    if (busy) return;
    const hour = new Date(this.now());
    hour.setUTCMinutes(0, 0, 0);
    await this.deps.jobs.enqueue(ObtainCertificateJob, {
      payload: { domain: s.domain, revision: s.revision, replaces: currentCertificate(s)?.not_after ?? null },
      // The certificate is named by when it was obtained, not by its expiry: two certificates issued within
      // the same second carry the same not_after, and the second one's renewal would find its key taken.
      dedupeKey: `access-certificate:${s.revision}:${currentCertificate(s)?.obtained_at ?? "none"}:${hour.toISOString()}`,
    });
  }

  /**
   * The job's work: obtain `*.<domain>` with DNS-01 through Cloudflare, store it (its key encrypted) and
   * load it into the proxy. A failure is kept as the access status' reason, with the fix when Cloudflare
   * refused the token; the proxy keeps serving the previous certificate, and no app is touched.
   */
  async obtainCertificate(
    job: { revision: string; replaces: string | null },
    note: (message: string) => Promise<void>,
  ): Promise<void> {
    const s = await this.stored();
    const replaces = s ? (currentCertificate(s)?.not_after ?? null) : null;
    if (
      !s ||
      s.revision !== job.revision ||
      replaces !== job.replaces ||
      !s.dns_provider ||
      !s.acme_directory
    ) {
      await note("The access settings or the certificate changed since this job was queued: nothing to do");
      return;
    }
    try {
      const token = await decryptSecret(this.deps.keys, s.dns_provider.token_enc);
      const cert = await obtainWildcard({
        domain: s.domain,
        directory: s.acme_directory,
        email: s.acme_email,
        accountJwk: await this.acmeAccount(s),
        dns: new Cloudflare(token, this.deps.dnsChallenge?.cloudflareApiUrl),
        zone: { id: s.dns_provider.zone_id, name: s.dns_provider.zone_name },
        options: {
          ...this.deps.dnsChallenge,
          acme: {
            ...this.deps.dnsChallenge?.acme,
            ...(this.deps.acmeTrustedRoots ? { ca: this.deps.acmeTrustedRoots.map(readPem) } : {}),
          },
        },
        log: note,
      });
      await this.patchStored({
        dns_certificate: {
          names: cert.names,
          directory: s.acme_directory,
          cert_pem: cert.certPem,
          key_enc: await encryptSecret(this.deps.keys, cert.keyPem),
          issuer: cert.issuer,
          not_before: cert.notBefore,
          not_after: cert.notAfter,
          obtained_at: new Date(this.now()).toISOString(),
        },
        dns_error: null,
      });
      void this.kick();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const reason =
        err instanceof DnsProviderError && err.refused
          ? `${message}: ${TOKEN_FIX}, then save the access settings with it`
          : `Could not obtain the certificate for ${wildcardOf(s.domain)}: ${message}`;
      await this.patchStored({ dns_error: reason.slice(0, 1000) });
      throw new Error(reason);
    }
  }

  /** The ACME account key for the directory (made once and kept encrypted; a new directory gets a new one). */
  private async acmeAccount(s: StoredAccess) {
    if (s.acme_account && s.acme_account.directory === s.acme_directory) {
      return JSON.parse(await decryptSecret(this.deps.keys, s.acme_account.key_enc)) as Awaited<
        ReturnType<typeof newAccountKey>
      >;
    }
    const jwk = await newAccountKey();
    const key_enc = await encryptSecret(this.deps.keys, JSON.stringify(jwk));
    await this.patchStored({ acme_account: { directory: s.acme_directory!, key_enc } });
    return jwk;
  }

  /** The domain changed: every exposed app gets its new name (and apps that carry their URL are rewired). */
  private async renameExposed(actor: UserActor, domain: string): Promise<void> {
    const exposed = await this.db.select().from(applications).where(isNotNull(applications.httpsUrl));
    for (const app of exposed) {
      await this.db
        .update(applications)
        .set({ httpsUrl: httpsUrlOf(app.hostname, domain), updatedAt: new Date() })
        .where(eq(applications.id, app.id));
      await this.rewire(actor, app).catch((err: unknown) =>
        log.warn("access: could not rewire an app for its new name", { app_id: app.id, error: String(err) }),
      );
    }
  }

  /**
   * POST /apps/{id}/exposure: the app gets (or loses) its HTTPS name. Its catalog entry's `exposure.env`
   * variables are rewritten and the app restarted once (the reconfigure job); the proxy is reconfigured.
   */
  async expose(actor: UserActor, appId: string, input: ExposureInput): Promise<Application> {
    const app = await this.deps.apps.get(actor.user, appId);
    if (app.systemRole) throw new ConflictError("The proxy itself is not exposed through the proxy");
    if (input.enabled && input.gate === "proximity" && !this.deps.publicUrl) {
      throw new ConflictError(
        "The sign-in gate needs PUBLIC_URL: the proxy sends visitors to Proximity's sign-in page at that address and asks it there",
      );
    }
    const entry = app.catalogId ? this.deps.catalog.get(app.catalogId) : undefined;
    if (input.enabled && entry && !entry.web) {
      throw new ConflictError(
        `${app.hostname} has no web interface: there is nothing to reach at an HTTPS name`,
      );
    }
    const s = await this.stored();
    if (input.enabled && !s) {
      throw new ConflictError(
        "HTTPS names are not set up: an administrator sets a domain under Settings → Access first",
      );
    }
    // An adopted (lxc) app is forwarded to on its own port; the proxy speaks plain http to it.
    if ((!entry && app.port === null) || app.ip === null) {
      if (input.enabled)
        throw new ConflictError(`${app.hostname} has no address and primary port the proxy could forward to`);
    }
    if (input.enabled && !entry && app.portScheme === "https") {
      throw new ConflictError(
        `${app.hostname} serves https itself on port ${app.port}; the proxy forwards plain http, so it cannot be given an HTTPS name`,
      );
    }
    if (input.enabled && s && `${app.hostname}.${s.domain}`.length > 253) {
      throw new ValidationError("The app's HTTPS name would be too long", [
        {
          field: "enabled",
          message: `${app.hostname}.${s.domain} is longer than a DNS name may be (253 characters)`,
        },
      ]);
    }
    const httpsUrl = input.enabled && s ? httpsUrlOf(app.hostname, s.domain) : null;
    const rewires = Boolean(entry?.exposure) && httpsUrl !== app.httpsUrl;
    if (rewires && app.status !== "running") {
      throw new ConflictError(
        `${app.hostname} is ${app.status}: start it first, its settings carry its own URL and are rewritten with the exposure`,
      );
    }
    const [updated] = await this.db.transaction(async (db) => {
      const rows = await db
        .update(applications)
        .set({ httpsUrl, gate: input.enabled ? input.gate : "none", updatedAt: new Date() })
        .where(eq(applications.id, app.id))
        .returning();
      await this.deps.audit.record(
        {
          actor,
          action: input.enabled ? "app.expose" : "app.unexpose",
          target: { type: "app", id: app.id },
          details: { https_url: httpsUrl, gate: input.enabled ? input.gate : "none" },
        },
        db,
      );
      return rows;
    });
    if (rewires) await this.rewire(actor, updated!);
    this.kick();
    return updated!;
  }

  /** An app whose entry carries its own URL: the reconfigure job writes the new values and restarts it. */
  private async rewire(actor: UserActor, app: Application): Promise<void> {
    const entry = app.catalogId ? this.deps.catalog.get(app.catalogId) : undefined;
    if (!entry?.exposure || app.status !== "running") return;
    await this.deps.apps.reconfigure(actor, app.id, { environment: {} });
  }

  /** The internal CA's root (PEM): from the proxy, kept once read. Null when there is none (yet). */
  async rootCertificate(): Promise<string | null> {
    const s = await this.stored();
    if (!s) return null;
    if (s.root_pem) return s.root_pem;
    const proxy = await this.proxyApp();
    if (proxy?.status !== "running") return null;
    const pem = await this.deps.driver.rootCertificate(proxy).catch(() => null);
    if (pem) await this.patchStored({ root_pem: pem });
    return pem;
  }

  private async patchStored(patch: Partial<StoredAccess>): Promise<void> {
    await this.db.transaction(async (db) => {
      await db.execute(LOCK);
      const current = await this.stored(db);
      if (current) await this.save({ ...current, ...patch }, db);
    });
  }

  /** Schedules a convergence; calls while one runs fold into one more run after it. */
  kick(): Promise<void> {
    if (this.pending) return this.chain;
    this.pending = true;
    this.chain = this.chain.then(async () => {
      this.pending = false;
      await this.converge().catch((err: unknown) =>
        log.warn("access: converge failed", { error: String(err) }),
      );
      await this.scheduleCertificate().catch((err: unknown) =>
        log.warn("access: could not schedule the certificate", { error: String(err) }),
      );
    });
    return this.chain;
  }

  /** Builds the configuration from the database and loads it into the proxy when it differs from the last. */
  async converge(force = false): Promise<void> {
    const s = await this.stored();
    // From idle to configured: the re-check leaves its long sleep for its interval.
    if (s && this.configured === false) this.recheck?.wake();
    this.configured = Boolean(s);
    if (!s) return;
    const proxy = await this.proxyApp();
    if (!proxy || proxy.status !== "running" || !proxy.ip) return;
    const exposed = await this.db
      .select()
      .from(applications)
      .where(and(isNotNull(applications.httpsUrl), isNotNull(applications.ip)));
    const routes = exposed.flatMap((app) => {
      const entry = app.catalogId ? this.deps.catalog.get(app.catalogId) : undefined;
      const port = entry ? webPort(entry) : (app.port ?? undefined);
      if (!port || !app.ip) return [];
      const tls = entry ? portScheme(entry, port) === "https" : app.portScheme === "https";
      return [
        {
          host: `${app.hostname}.${s.domain}`,
          upstream: `${app.ip}:${port}`,
          ...(tls ? { upstreamTls: true } : {}),
          gated: app.gate === "proximity",
        },
      ];
    });
    const cert = s.challenge === "dns" ? currentCertificate(s) : null;
    const config = buildProxyConfig({
      domain: s.domain,
      certificates: s.certificates,
      challenge: s.challenge,
      loaded: cert
        ? { certPem: cert.cert_pem, keyPem: await decryptSecret(this.deps.keys, cert.key_enc) }
        : null,
      acmeDirectory: s.acme_directory,
      acmeEmail: s.acme_email,
      routes,
      proximity: proximityUpstream(this.deps.publicUrl),
      ...(this.deps.acmeTrustedRoots ? { acmeTrustedRoots: this.deps.acmeTrustedRoots } : {}),
    });
    // The proxy's container is part of the digest: a re-created proxy starts empty and must be loaded.
    const digest = createHash("sha256")
      .update(JSON.stringify([proxy.vmid, proxy.ip, config]))
      .digest("hex");
    if (!force && s.applied_digest === digest && !s.last_error) return;
    try {
      await this.deps.driver.load(proxy, config);
      const root =
        s.certificates === "internal" && !s.root_pem
          ? await this.deps.driver.rootCertificate(proxy).catch(() => null)
          : s.root_pem;
      await this.patchStored({
        applied_at: new Date().toISOString(),
        applied_digest: digest,
        last_error: null,
        root_pem: root,
      });
    } catch (err) {
      const reason = err instanceof ProxyError ? err.message : `Could not reach the proxy: ${String(err)}`;
      await this.patchStored({ last_error: reason.slice(0, 1000), applied_digest: null });
    }
  }

  /** The gated app behind an HTTPS name (null when the name is not exposed with the gate). */
  private async gatedApp(host: string): Promise<Application | undefined> {
    const [app] = await this.db
      .select()
      .from(applications)
      .where(
        and(eq(applications.httpsUrl, `https://${host.toLowerCase()}`), eq(applications.gate, "proximity")),
      );
    return app;
  }

  /**
   * The gate's sign-in page (signed in): a user who may see the app behind `host` is sent back to it with a
   * one-time code; anyone else gets a 404 as for any app they may not see.
   */
  async gateStart(actor: UserActor, host: string, to: string): Promise<string> {
    const app = await this.gatedApp(host);
    if (!app) throw new NotFoundError("App");
    await this.deps.apps.get(actor.user, app.id);
    const code = this.deps.gate.issue("code", app.id, actor.user.id);
    return `${app.httpsUrl}${GATE_PATH}?code=${encodeURIComponent(code)}&to=${encodeURIComponent(safePath(to))}`;
  }

  /** The proxy hands `/.proximity/gate` here: a valid code becomes the pass cookie on the app's name. */
  async gateCallback(host: string, code: string | undefined): Promise<{ pass: string } | null> {
    const app = await this.gatedApp(host);
    const claims = this.deps.gate.read(code, "code");
    if (!app || !claims || claims.app !== app.id || !(await this.mayPass(claims.user, app))) return null;
    return { pass: this.deps.gate.issue("pass", app.id, claims.user) };
  }

  /** The proxy's question before every request to a gated app: does this visitor's pass still hold? */
  async gateVerify(host: string, cookieHeader: string | undefined): Promise<boolean> {
    const app = await this.gatedApp(host);
    const claims = this.deps.gate.read(cookieValue(cookieHeader, GATE_COOKIE), "pass");
    return Boolean(app && claims && claims.app === app.id && (await this.mayPass(claims.user, app)));
  }

  /** Where the gate sends a visitor without a pass: Proximity's gate page, which signs in first. */
  gateSignIn(host: string, to: string): string | null {
    if (!this.deps.publicUrl) return null;
    const url = new URL("/access/gate", this.deps.publicUrl);
    url.searchParams.set("host", host);
    url.searchParams.set("to", safePath(to));
    return url.toString();
  }

  /** The user exists, is enabled, and owns the app or is an administrator (read now, not when signed). */
  private async mayPass(userId: string, app: Application): Promise<boolean> {
    const [user] = await this.db.select().from(users).where(eq(users.id, userId));
    return Boolean(user && !user.disabled && (user.role === "admin" || app.ownerId === user.id));
  }

  /**
   * Follows app changes (an address, the proxy coming up) and re-checks on an interval — every
   * IDLE_ACCESS_RECHECK_MS while HTTPS names are not configured (configuring them here kicks a convergence).
   */
  start(intervalMs = 30_000): void {
    this.unsubscribe = this.deps.events.subscribe((event) => {
      if (event.type === "app.status") void this.kick();
    });
    this.recheck ??= new Chore("access: re-check", intervalMs, async () => {
      await this.kick();
      return this.configured ? intervalMs : Math.max(intervalMs, IDLE_ACCESS_RECHECK_MS);
    });
    this.recheck.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.recheck?.stop();
    await this.chain;
  }
}

function readPem(path: string): string {
  return readFileSync(path, "utf8");
}

/** PUBLIC_URL → what the proxy dials to reach Proximity (host:port, TLS when https). */
function proximityUpstream(publicUrl: string | undefined): ProximityUpstream | null {
  if (!publicUrl) return null;
  const u = new URL(publicUrl);
  const https = u.protocol === "https:";
  return {
    dial: `${u.hostname}:${u.port || (https ? "443" : "80")}`,
    tlsServerName: https ? u.hostname : null,
  };
}

export function httpsUrlOf(hostname: string, domain: string): string {
  return `https://${hostname}.${domain}`;
}

/** The DNS-01 certificate when it is for the domain and directory in force (null otherwise). */
function currentCertificate(s: StoredAccess): NonNullable<StoredAccess["dns_certificate"]> | null {
  const c = s.dns_certificate;
  if (!c || s.challenge !== "dns") return null;
  return c.names[0] === wildcardOf(s.domain) && c.directory === s.acme_directory ? c : null;
}

function certificateView(
  c: NonNullable<StoredAccess["dns_certificate"]>,
): NonNullable<AccessViewT["certificate"]> {
  return {
    names: c.names,
    issuer: c.issuer,
    expires_at: c.not_after,
    renews_at: renewsAt(c.not_before, c.not_after).toISOString(),
    obtained_at: c.obtained_at,
  };
}

function inZone(domain: string, zone: string): boolean {
  return domain === zone || domain.endsWith(`.${zone}`);
}

function accessStatus(
  s: StoredAccess,
  proxy: Application | undefined,
  now: number,
): { status: AccessViewT["status"]; reason: string | null } {
  if (!proxy) {
    return {
      status: "error",
      reason: "The proxy app was deleted: save the access settings again to deploy a new one",
    };
  }
  if (proxy.status === "error")
    return { status: "error", reason: `The proxy app failed: ${proxy.statusReason ?? "see its log"}` };
  if (proxy.status !== "running") {
    return {
      status: proxy.status === "deploying" ? "deploying" : "error",
      reason: proxy.status === "deploying" ? null : `The proxy app is ${proxy.status}: start it`,
    };
  }
  if (s.last_error) return { status: "error", reason: s.last_error };
  if (s.challenge === "dns") {
    const cert = currentCertificate(s);
    if (!cert) {
      return s.dns_error
        ? { status: "error", reason: s.dns_error }
        : {
            status: "deploying",
            reason: `Obtaining the certificate for ${wildcardOf(s.domain)} with DNS-01 through Cloudflare…`,
          };
    }
    if (s.dns_error && s.applied_at) {
      const expires = Date.parse(cert.not_after) > now ? `it expires ${cert.not_after}` : "it has expired";
      return { status: "ready", reason: `Renewing the certificate failed (${expires}): ${s.dns_error}` };
    }
  }
  return s.applied_at ? { status: "ready", reason: null } : { status: "deploying", reason: null };
}

/** Whether `name` resolves to `ip` in this machine's DNS (a wildcard record covers every app's name). */
async function resolvesTo(name: string, ip: string): Promise<boolean> {
  try {
    const addresses = await Promise.race([
      resolve4(name),
      new Promise<string[]>((_, reject) => setTimeout(() => reject(new Error("timeout")), 1500)),
    ]);
    return addresses.includes(ip);
  } catch {
    return false;
  }
}
