/**
 * Proxmox hosts: registration with encrypted secrets (create, update, delete, reads of hosts and their
 * nodes). The service is also the one door other features use to reach a host: `client`/`executor` come
 * from the connection pool (connections.ts, with the SSH host-key store in host-keys.ts), `test`/`sync`
 * from sync.ts, whose failures diagnosis.ts explains.
 */

import { asc, count, eq, sql } from "drizzle-orm";
import { ConflictError, NotFoundError, ValidationError } from "../../core/errors.ts";
import type { Actor } from "../../core/identity.ts";
import { log } from "../../core/log.ts";
import type { Keys } from "../../crypto/keys.ts";
import { encryptSecret } from "../../crypto/secrets.ts";
import type { Db } from "../../db/connect.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import {
  applications,
  type ProxmoxHost,
  type ProxmoxNode,
  proxmoxHosts,
  proxmoxNodes,
} from "../../db/schema.ts";
import type { PctExecutor, ProxmoxClient } from "../../proxmox/index.ts";
import type { AuditService } from "../audit/audit.service.ts";
import { HostConnections, type HostsObservers } from "./connections.ts";
import {
  type CreateHostInput,
  type HostTestResult,
  type PublicNode,
  toPublicNode,
  type UpdateHostInput,
} from "./hosts.schemas.ts";
import type { PreflightCheck, PreflightSettings } from "./preflight.ts";
import { HostSync, type SyncResult } from "./sync.ts";

export type { HostsObservers } from "./connections.ts";
export type { SyncResult } from "./sync.ts";

export interface HostsServiceOptions {
  observers?: HostsObservers;
  /** Per REST call (default 30 s). */
  timeoutMs?: number;
  /** The deployment settings the preflight checks against (bridge, storages). */
  preflightSettings?: () => Promise<PreflightSettings>;
}

export class HostsService {
  private readonly connections: HostConnections;
  private readonly probe: HostSync;
  private readonly addedListeners = new Set<() => void>();

  constructor(
    private readonly db: Db,
    private readonly keys: Keys,
    private readonly audit: AuditService,
    options: HostsServiceOptions = {},
  ) {
    this.connections = new HostConnections(db, keys, {
      observers: options.observers,
      timeoutMs: options.timeoutMs,
    });
    this.probe = new HostSync(db, this.connections, options.preflightSettings);
  }

  /** How many apps still live on a host (deleting a host with apps is refused with that number). */
  private async countApps(hostId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(applications)
      .where(eq(applications.hostId, hostId));
    return row?.n ?? 0;
  }

  async list(): Promise<ProxmoxHost[]> {
    return this.db.select().from(proxmoxHosts).orderBy(asc(proxmoxHosts.createdAt));
  }

  async get(id: string): Promise<ProxmoxHost> {
    const [row] = await this.db.select().from(proxmoxHosts).where(eq(proxmoxHosts.id, id));
    if (!row) throw new NotFoundError("Host");
    return row;
  }

  async defaultHost(): Promise<ProxmoxHost | undefined> {
    const rows = await this.db
      .select()
      .from(proxmoxHosts)
      .orderBy(sql`${proxmoxHosts.isDefault} desc`, asc(proxmoxHosts.createdAt))
      .limit(1);
    return rows[0];
  }

  async create(
    input: CreateHostInput,
    actor: Actor,
    extra: { isSimulator?: boolean } = {},
  ): Promise<ProxmoxHost> {
    const enc = (v: string | undefined) => (v === undefined ? null : encryptSecret(this.keys, v));
    const values = {
      name: input.name,
      apiUrl: input.api_url,
      authKind: input.token_id ? ("token" as const) : ("ticket" as const),
      tokenId: input.token_id ?? null,
      tokenSecretEnc: await enc(input.token_secret),
      username: input.username ?? null,
      passwordEnc: await enc(input.password),
      verifyTls: input.verify_tls,
      fingerprint: input.fingerprint?.toUpperCase() ?? null,
      sshHost: input.ssh.host ?? null,
      sshPort: input.ssh.port,
      sshUsername: input.ssh.username,
      sshPasswordEnc: await enc(input.ssh.password),
      sshPrivateKeyEnc: await enc(input.ssh.private_key),
      isSimulator: extra.isSimulator ?? false,
    };
    try {
      const created = await this.db.transaction(async (db) => {
        const [{ n } = { n: 0 }] = await db.select({ n: sql<number>`count(*)::int` }).from(proxmoxHosts);
        const isDefault = input.is_default || n === 0;
        if (isDefault) await db.update(proxmoxHosts).set({ isDefault: false });
        const [row] = await db
          .insert(proxmoxHosts)
          .values({ ...values, isDefault })
          .returning();
        await this.audit.record(
          {
            actor,
            action: "host.create",
            target: { type: "host", id: row!.id },
            details: { name: input.name },
          },
          db,
        );
        return row!;
      });
      for (const listener of this.addedListeners) listener();
      return created;
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`A host named "${input.name}" exists already`);
      throw err;
    }
  }

  async update(id: string, patch: UpdateHostInput, actor: Actor): Promise<ProxmoxHost> {
    const current = await this.get(id);
    const enc = async (v: string | null | undefined, keep: string | null) =>
      v === undefined ? keep : v === null ? null : encryptSecret(this.keys, v);
    const switchesToToken = patch.token_id !== undefined || patch.token_secret !== undefined;
    const switchesToTicket = patch.username !== undefined || patch.password !== undefined;
    if (switchesToToken && switchesToTicket) {
      throw new ValidationError("The request is invalid", [
        { field: "token_id", message: "give either an API token or username+password" },
      ]);
    }
    const authKind = switchesToToken ? "token" : switchesToTicket ? "ticket" : current.authKind;
    const next = {
      name: patch.name ?? current.name,
      apiUrl: patch.api_url ?? current.apiUrl,
      authKind,
      tokenId: authKind === "token" ? (patch.token_id ?? current.tokenId) : null,
      tokenSecretEnc: authKind === "token" ? await enc(patch.token_secret, current.tokenSecretEnc) : null,
      username: authKind === "ticket" ? (patch.username ?? current.username) : null,
      passwordEnc: authKind === "ticket" ? await enc(patch.password, current.passwordEnc) : null,
      verifyTls: patch.verify_tls ?? current.verifyTls,
      fingerprint:
        patch.fingerprint === undefined ? current.fingerprint : (patch.fingerprint?.toUpperCase() ?? null),
      sshHost: patch.ssh?.host === undefined ? current.sshHost : patch.ssh.host,
      sshPort: patch.ssh?.port ?? current.sshPort,
      sshUsername: patch.ssh?.username ?? current.sshUsername,
      sshPasswordEnc: await enc(patch.ssh?.password, current.sshPasswordEnc),
      sshPrivateKeyEnc: await enc(patch.ssh?.private_key, current.sshPrivateKeyEnc),
    };
    const missing =
      authKind === "token"
        ? [!next.tokenId && "token_id", !next.tokenSecretEnc && "token_secret"]
        : [!next.username && "username", !next.passwordEnc && "password"];
    const details = missing
      .filter((f): f is string => Boolean(f))
      .map((field) => ({ field, message: "is required" }));
    if (details.length) throw new ValidationError("The host would have incomplete credentials", details);
    try {
      return await this.db.transaction(async (db) => {
        if (patch.is_default === true) await db.update(proxmoxHosts).set({ isDefault: false });
        const [row] = await db
          .update(proxmoxHosts)
          .set({
            ...next,
            ...(patch.is_default !== undefined ? { isDefault: patch.is_default } : {}),
            updatedAt: new Date(),
          })
          .where(eq(proxmoxHosts.id, id))
          .returning();
        await this.audit.record(
          {
            actor,
            action: "host.update",
            target: { type: "host", id },
            details: { fields: Object.keys(patch).filter((k) => !/secret|password|key/.test(k)) },
          },
          db,
        );
        this.connections.close(id);
        return row!;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`A host named "${patch.name}" exists already`);
      throw err;
    }
  }

  async remove(id: string, actor: Actor): Promise<void> {
    const host = await this.get(id);
    const apps = await this.countApps(id);
    if (apps > 0) {
      throw new ConflictError(`Host "${host.name}" still has ${apps} app(s); delete or move them first`);
    }
    await this.db.transaction(async (db) => {
      await db.delete(proxmoxHosts).where(eq(proxmoxHosts.id, id));
      await this.audit.record(
        { actor, action: "host.delete", target: { type: "host", id }, details: { name: host.name } },
        db,
      );
    });
    this.connections.close(id);
  }

  /** A REST client for the host, built from its decrypted credentials (cached until the row changes). */
  async client(hostOrId: string | ProxmoxHost): Promise<ProxmoxClient> {
    return (await this.connections.of(await this.resolve(hostOrId))).client;
  }

  /** The SSH `pct exec` executor for the host. */
  async executor(hostOrId: string | ProxmoxHost): Promise<PctExecutor> {
    return (await this.connections.of(await this.resolve(hostOrId))).executor();
  }

  private async resolve(hostOrId: string | ProxmoxHost): Promise<ProxmoxHost> {
    return typeof hostOrId === "string" ? this.get(hostOrId) : hostOrId;
  }

  /**
   * Tries the API and runs the preflight checks: version and node count, or the reason it failed. Audited
   * (`host.test`): the test records the host's status like the other host changes.
   */
  async test(id: string, actor: Actor): Promise<HostTestResult> {
    const result = await this.probe.test(await this.get(id));
    await this.audit.record({
      actor,
      action: "host.test",
      target: { type: "host", id },
      details: { ok: result.ok },
    });
    return result;
  }

  /** One check of the host's last preflight (e.g. `oci_containers`), or undefined when none ran. */
  preflightCheck(hostId: string, name: string): PreflightCheck | undefined {
    return this.probe.preflightCheck(hostId, name);
  }

  /** Why deploys to this host are refused (its last preflight's first failed check), or null. */
  preflightBlocker(hostId: string): string | null {
    return this.probe.preflightBlocker(hostId);
  }

  /**
   * Refreshes the host's nodes with live stats; on failure the host is marked `error` with the reason (and the
   * error thrown). A sync someone asked for is audited (`host.sync`, its outcome); the periodic one is not.
   */
  async sync(id: string, actor?: Actor): Promise<SyncResult> {
    const host = await this.get(id);
    if (!actor) return this.probe.sync(host);
    const target = { type: "host", id };
    try {
      const result = await this.probe.sync(host);
      await this.audit.record({
        actor,
        action: "host.sync",
        target,
        details: { nodes: result.nodes, online: result.online },
      });
      return result;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      await this.audit.record({
        actor,
        action: "host.sync",
        target,
        outcome: "failure",
        details: { reason },
      });
      throw err;
    }
  }

  /** Syncs every host; failures are recorded on the host and do not stop the others. */
  /** Calls `listener` after each host is added; returns the function that stops it. */
  onAdded(listener: () => void): () => void {
    this.addedListeners.add(listener);
    return () => this.addedListeners.delete(listener);
  }

  /** Syncs every host; returns how many there are. */
  async syncAll(): Promise<number> {
    const hosts = await this.list();
    for (const host of hosts) {
      await this.sync(host.id).catch((err: unknown) => {
        // The reason is on the host (status error, last_error) for the interface; the log says it once when
        // the host goes into error, not every minute while it stays there.
        const fields = { host_id: host.id, host: host.name, err };
        if (host.status === "error") log.debug("Host sync failed again", fields);
        else log.warn("Host sync failed: the host is marked in error", fields);
      });
    }
    return hosts.length;
  }

  async listNodes(): Promise<PublicNode[]> {
    const rows = await this.db
      .select({ node: proxmoxNodes, hostName: proxmoxHosts.name })
      .from(proxmoxNodes)
      .innerJoin(proxmoxHosts, eq(proxmoxNodes.hostId, proxmoxHosts.id))
      .orderBy(asc(proxmoxHosts.name), asc(proxmoxNodes.name));
    return rows.map((r) => toPublicNode(r.node, r.hostName));
  }

  async nodesOf(hostId: string): Promise<ProxmoxNode[]> {
    return this.db
      .select()
      .from(proxmoxNodes)
      .where(eq(proxmoxNodes.hostId, hostId))
      .orderBy(asc(proxmoxNodes.name));
  }

  /** Closes every SSH connection (shutdown). */
  close(): void {
    this.connections.closeAll();
  }
}
