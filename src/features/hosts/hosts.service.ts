/**
 * Proxmox hosts: registration with encrypted secrets, connection tests that explain failures, node sync,
 * and the per-host REST client and SSH executor the rest of Proximity uses. Secrets are decrypted only
 * here, only to build a client, and never returned.
 */

import { and, asc, count, eq, notInArray, sql } from "drizzle-orm";
import { ConflictError, NotFoundError, ValidationError } from "../../core/errors.ts";
import type { Keys } from "../../crypto/keys.ts";
import { decryptSecret, encryptSecret } from "../../crypto/secrets.ts";
import type { Db } from "../../db/connect.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import {
  applications,
  type NodeStorageStats,
  type ProxmoxHost,
  type ProxmoxNode,
  proxmoxHosts,
  proxmoxNodes,
  sshHostKeys,
} from "../../db/schema.ts";
import {
  clusterNodeResolver,
  type HostKeyStore,
  type PctExecInfo,
  PctExecutor,
  type ProxmoxCallInfo,
  ProxmoxClient,
  ProxmoxError,
} from "../../proxmox/index.ts";
import type { AuditService } from "../audit/audit.service.ts";
import type { Actor } from "../users/users.service.ts";
import type {
  CreateHostInput,
  HostTestResult,
  PublicHost,
  PublicNode,
  UpdateHostInput,
} from "./hosts.schemas.ts";

export interface HostsObservers {
  onCall?: (info: ProxmoxCallInfo & { hostId: string }) => void;
  onExec?: (info: PctExecInfo & { hostId: string }) => void;
}

export interface HostsServiceOptions {
  observers?: HostsObservers;
  /** Per REST call (default 30 s). */
  timeoutMs?: number;
}

export interface SyncResult {
  nodes: number;
  online: number;
}

interface Connection {
  updatedAt: number;
  client: ProxmoxClient;
  /** Built on first use: a host without SSH credentials can still be tested and synced. */
  executor: () => Promise<PctExecutor>;
  close(): void;
}

/** SSH host keys pinned per host and node address, in the database (trust on first use). */
class DbHostKeyStore implements HostKeyStore {
  constructor(
    private readonly db: Db,
    private readonly hostId: string,
  ) {}

  async get(address: string): Promise<string | undefined> {
    const [row] = await this.db
      .select()
      .from(sshHostKeys)
      .where(and(eq(sshHostKeys.hostId, this.hostId), eq(sshHostKeys.address, address)));
    return row?.fingerprint;
  }

  async set(address: string, fingerprint: string): Promise<void> {
    await this.db
      .insert(sshHostKeys)
      .values({ hostId: this.hostId, address, fingerprint })
      .onConflictDoNothing();
  }
}

export function toPublicHost(h: ProxmoxHost): PublicHost {
  return {
    id: h.id,
    name: h.name,
    api_url: h.apiUrl,
    auth: h.authKind,
    token_id: h.tokenId,
    username: h.username,
    has_token_secret: h.tokenSecretEnc !== null,
    has_password: h.passwordEnc !== null,
    verify_tls: h.verifyTls,
    fingerprint: h.fingerprint,
    ssh: {
      host: h.sshHost,
      port: h.sshPort,
      username: h.sshUsername,
      has_password: h.sshPasswordEnc !== null,
      has_private_key: h.sshPrivateKeyEnc !== null,
    },
    is_default: h.isDefault,
    is_simulator: h.isSimulator,
    status: h.status,
    last_error: h.lastError,
    pve_version: h.pveVersion,
    last_synced_at: h.lastSyncedAt ? h.lastSyncedAt.toISOString() : null,
    created_at: h.createdAt.toISOString(),
  };
}

export function toPublicNode(n: ProxmoxNode, hostName: string): PublicNode {
  return {
    host_id: n.hostId,
    host_name: hostName,
    name: n.name,
    status: n.status,
    cpu_usage: n.cpu ?? null,
    cores: n.maxCpu,
    memory_total: n.maxMem,
    memory_free: n.maxMem !== null && n.mem !== null ? Math.max(0, n.maxMem - n.mem) : null,
    storage: Object.entries(n.storage).map(([storage, s]) => ({
      storage,
      type: s.type,
      content: s.content,
      total: s.total,
      avail: s.avail,
    })),
    uptime: n.uptime,
    synced_at: n.syncedAt.toISOString(),
  };
}

/** A failure explained in words an admin can act on. */
export function explainFailure(err: unknown, apiUrl: string): { reason: string; kind: string } {
  const target = URL.canParse(apiUrl) ? new URL(apiUrl).host : apiUrl;
  if (!(err instanceof ProxmoxError)) {
    return { reason: err instanceof Error ? err.message : String(err), kind: "unknown" };
  }
  const errno = err.errno ?? "";
  switch (err.kind) {
    case "unreachable":
      if (errno === "ENOTFOUND" || errno === "EAI_AGAIN" || /getaddrinfo|DNS/i.test(err.pveMessage)) {
        return { reason: `DNS lookup failed: ${target} does not resolve`, kind: "dns" };
      }
      if (errno === "ECONNREFUSED" || /refused/i.test(err.pveMessage)) {
        return {
          reason: `Connection refused by ${target}: is pveproxy running on that port?`,
          kind: "refused",
        };
      }
      return { reason: `${target} is unreachable: ${err.pveMessage}`, kind: "unreachable" };
    case "tls":
      return /pin|fingerprint/i.test(err.pveMessage)
        ? {
            reason: `TLS certificate of ${target} does not match the pinned fingerprint`,
            kind: "tls_mismatch",
          }
        : {
            reason: `TLS certificate of ${target} was rejected (${err.pveMessage}); pin its SHA-256 fingerprint for a self-signed certificate`,
            kind: "tls",
          };
    case "auth":
      return {
        reason: `Proxmox refused the credentials (HTTP ${err.pveStatus || 401}): check the token id and secret, or username and password`,
        kind: "auth",
      };
    case "timeout":
      return { reason: `${target} did not answer in time`, kind: "timeout" };
    default:
      return { reason: `Proxmox answered ${err.pveStatus}: ${err.pveMessage}`, kind: err.kind };
  }
}

export class HostsService {
  private readonly connections = new Map<string, Connection>();
  constructor(
    private readonly db: Db,
    private readonly keys: Keys,
    private readonly audit: AuditService,
    private readonly options: HostsServiceOptions = {},
  ) {}

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
    ip: string,
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
      return await this.db.transaction(async (tx) => {
        const db = tx as unknown as Db;
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
            ip,
            details: { name: input.name },
          },
          db,
        );
        return row!;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`A host named "${input.name}" exists already`);
      throw err;
    }
  }

  async update(id: string, patch: UpdateHostInput, actor: Actor, ip: string): Promise<ProxmoxHost> {
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
      return await this.db.transaction(async (tx) => {
        const db = tx as unknown as Db;
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
            ip,
            details: { fields: Object.keys(patch).filter((k) => !/secret|password|key/.test(k)) },
          },
          db,
        );
        this.connections.delete(id);
        return row!;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`A host named "${patch.name}" exists already`);
      throw err;
    }
  }

  async remove(id: string, actor: Actor, ip: string): Promise<void> {
    const host = await this.get(id);
    const apps = await this.countApps(id);
    if (apps > 0) {
      throw new ConflictError(`Host "${host.name}" still has ${apps} app(s); delete or move them first`);
    }
    await this.db.transaction(async (tx) => {
      const db = tx as unknown as Db;
      await db.delete(proxmoxHosts).where(eq(proxmoxHosts.id, id));
      await this.audit.record(
        { actor, action: "host.delete", target: { type: "host", id }, ip, details: { name: host.name } },
        db,
      );
    });
    this.closeConnection(id);
  }

  /** A REST client for the host, built from its decrypted credentials (cached until the row changes). */
  async client(hostOrId: string | ProxmoxHost): Promise<ProxmoxClient> {
    return (await this.connection(hostOrId)).client;
  }

  /** The SSH `pct exec` executor for the host. */
  async executor(hostOrId: string | ProxmoxHost): Promise<PctExecutor> {
    return (await this.connection(hostOrId)).executor();
  }

  private async connection(hostOrId: string | ProxmoxHost): Promise<Connection> {
    const host = typeof hostOrId === "string" ? await this.get(hostOrId) : hostOrId;
    const cached = this.connections.get(host.id);
    if (cached && cached.updatedAt === host.updatedAt.getTime()) return cached;
    if (cached) cached.close();
    const dec = (v: string | null) => (v === null ? undefined : decryptSecret(this.keys, v));
    const { onCall, onExec } = this.options.observers ?? {};
    const client = new ProxmoxClient({
      apiUrl: host.apiUrl,
      auth:
        host.authKind === "token"
          ? {
              kind: "token",
              tokenId: host.tokenId ?? "",
              tokenSecret: (await dec(host.tokenSecretEnc)) ?? "",
            }
          : { kind: "ticket", username: host.username ?? "", password: (await dec(host.passwordEnc)) ?? "" },
      verifyTls: host.verifyTls,
      ...(host.fingerprint ? { fingerprint: host.fingerprint } : {}),
      hostLabel: host.name,
      ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
      ...(onCall ? { onCall: (info: ProxmoxCallInfo) => onCall({ ...info, hostId: host.id }) } : {}),
    });
    let executor: Promise<PctExecutor> | undefined;
    const conn: Connection = {
      updatedAt: host.updatedAt.getTime(),
      client,
      executor: () => {
        executor ??= (async () => {
          const sshPassword = await dec(host.sshPasswordEnc);
          const sshKey = await dec(host.sshPrivateKeyEnc);
          return new PctExecutor({
            host: host.sshHost ?? new URL(host.apiUrl).hostname,
            port: host.sshPort,
            username: host.sshUsername,
            ...(sshPassword !== undefined ? { password: sshPassword } : {}),
            ...(sshKey !== undefined ? { privateKey: sshKey } : {}),
            resolveNode: clusterNodeResolver(client),
            hostKeys: new DbHostKeyStore(this.db, host.id),
            hostLabel: host.name,
            ...(onExec ? { onExec: (info: PctExecInfo) => onExec({ ...info, hostId: host.id }) } : {}),
          });
        })();
        executor.catch(() => {
          executor = undefined;
        });
        return executor;
      },
      close: () => {
        void executor?.then((e) => e.close()).catch(() => {});
      },
    };
    this.connections.set(host.id, conn);
    return conn;
  }

  private closeConnection(id: string): void {
    this.connections.get(id)?.close();
    this.connections.delete(id);
  }

  /** Tries the API: version and node count, or the reason it failed. */
  async test(id: string): Promise<HostTestResult> {
    const host = await this.get(id);
    const started = performance.now();
    try {
      const client = await this.client(host);
      const [version, nodes] = await Promise.all([client.version(), client.listNodes()]);
      return {
        ok: true,
        version: version.version,
        node_count: nodes.length,
        duration_ms: Math.round(performance.now() - started),
      };
    } catch (err) {
      return {
        ok: false,
        ...explainFailure(err, host.apiUrl),
        duration_ms: Math.round(performance.now() - started),
      };
    }
  }

  /** Refreshes the host's nodes with live stats; on failure the host is marked `error` with the reason. */
  async sync(id: string): Promise<SyncResult> {
    const host = await this.get(id);
    try {
      const client = await this.client(host);
      const [version, nodes, cluster] = await Promise.all([
        client.version(),
        client.listNodes(),
        client.clusterStatus().catch(() => []),
      ]);
      const ips = new Map(cluster.filter((e) => e.type === "node").map((e) => [e.name, e.ip ?? null]));
      const rows = await Promise.all(
        nodes.map(async (n) => {
          const storage: Record<string, NodeStorageStats> = {};
          if (n.status === "online") {
            for (const s of await client.listStorage(n.node).catch(() => [])) {
              storage[s.storage] = {
                type: s.type,
                content: s.content,
                total: s.total ?? 0,
                used: s.used ?? 0,
                avail: s.avail ?? 0,
                active: s.active === undefined ? true : Boolean(s.active),
              };
            }
          }
          return {
            hostId: host.id,
            name: n.node,
            status: n.status,
            ip: ips.get(n.node) ?? null,
            cpu: n.cpu ?? null,
            maxCpu: n.maxcpu ?? null,
            mem: n.mem ?? null,
            maxMem: n.maxmem ?? null,
            uptime: n.uptime ?? null,
            storage,
            syncedAt: new Date(),
          };
        }),
      );
      await this.db.transaction(async (tx) => {
        for (const row of rows) {
          await tx
            .insert(proxmoxNodes)
            .values(row)
            .onConflictDoUpdate({ target: [proxmoxNodes.hostId, proxmoxNodes.name], set: row });
        }
        const names = rows.map((r) => r.name);
        await tx
          .delete(proxmoxNodes)
          .where(
            names.length
              ? and(eq(proxmoxNodes.hostId, host.id), notInArray(proxmoxNodes.name, names))
              : eq(proxmoxNodes.hostId, host.id),
          );
        await tx
          .update(proxmoxHosts)
          .set({ status: "online", lastError: null, pveVersion: version.version, lastSyncedAt: new Date() })
          .where(eq(proxmoxHosts.id, host.id));
      });
      return { nodes: rows.length, online: rows.filter((r) => r.status === "online").length };
    } catch (err) {
      const { reason } = explainFailure(err, host.apiUrl);
      await this.db
        .update(proxmoxHosts)
        .set({ status: "error", lastError: reason.slice(0, 500) })
        .where(eq(proxmoxHosts.id, host.id));
      throw err;
    }
  }

  /** Syncs every host; failures are recorded on the host and do not stop the others. */
  async syncAll(): Promise<void> {
    for (const host of await this.list()) await this.sync(host.id).catch(() => {});
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
    for (const id of [...this.connections.keys()]) this.closeConnection(id);
  }
}
