/**
 * Talking to a registered host: the connection test with its preflight checks (and the last result per
 * host, which gates deploys), and the node sync that refreshes nodes with live stats. Failures are
 * explained by diagnosis.ts; a failed sync marks the host `error` with that reason.
 */
import { and, eq, notInArray } from "drizzle-orm";
import type { Db } from "../../db/connect.ts";
import { type NodeStorageStats, type ProxmoxHost, proxmoxHosts, proxmoxNodes } from "../../db/schema.ts";
import type { HostConnections } from "./connections.ts";
import { explainFailure } from "./diagnosis.ts";
import type { HostTestResult } from "./hosts.schemas.ts";
import { type PreflightCheck, type PreflightSettings, runPreflight } from "./preflight.ts";

export interface SyncResult {
  nodes: number;
  online: number;
}

export class HostSync {
  /** The last preflight per host (in memory): a failed check stops deploys until the next test. */
  private readonly preflights = new Map<string, PreflightCheck[]>();

  constructor(
    private readonly db: Db,
    private readonly connections: HostConnections,
    /** The deployment settings the preflight checks against (bridge, storages); no preflight without. */
    private readonly preflightSettings?: () => Promise<PreflightSettings>,
  ) {}

  /** Tries the API: version and node count, or the reason it failed. */
  async test(host: ProxmoxHost): Promise<HostTestResult> {
    const started = performance.now();
    try {
      const conn = await this.connections.of(host);
      const client = conn.client;
      const [version, nodes] = await Promise.all([client.version(), client.listNodes()]);
      const checks = this.preflightSettings
        ? await runPreflight({
            client,
            executor: conn.executor,
            authKind: host.authKind,
            tokenId: host.tokenId,
            sshUsername: host.sshUsername,
            settings: await this.preflightSettings(),
          })
        : [];
      this.preflights.set(host.id, checks);
      const failed = checks.find((c) => !c.ok);
      return {
        ok: !failed,
        version: version.version,
        node_count: nodes.length,
        ...(failed ? { reason: `${failed.name}: ${failed.detail}`, kind: "preflight" } : {}),
        checks,
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

  /**
   * Why deploys to this host are refused: the first failed check of its last preflight (POST …/test),
   * with its fix. Null when it passed or never ran.
   */
  /** One check of the host's last preflight, or undefined when the preflight never ran (since start). */
  preflightCheck(hostId: string, name: string): PreflightCheck | undefined {
    return this.preflights.get(hostId)?.find((c) => c.name === name);
  }

  preflightBlocker(hostId: string): string | null {
    const failed = this.preflights.get(hostId)?.find((c) => !c.ok);
    if (!failed) return null;
    return `The host's preflight check "${failed.name}" failed: ${failed.detail}${failed.fix ? `. Fix: ${failed.fix}` : ""}. Run the host test again once fixed.`;
  }

  /** Refreshes the host's nodes with live stats; on failure the host is marked `error` with the reason. */
  async sync(host: ProxmoxHost): Promise<SyncResult> {
    try {
      const { client } = await this.connections.of(host);
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
}
