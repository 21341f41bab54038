/**
 * The connection pool: one REST client and one (lazily built) SSH `pct exec` executor per host, built
 * from the host's decrypted credentials. Secrets are decrypted only here, only to build a client, and never
 * returned. A pooled connection is rebuilt when the host row changes (its `updatedAt`).
 */
import { log } from "../../core/log.ts";
import type { Keys } from "../../crypto/keys.ts";
import { decryptSecret } from "../../crypto/secrets.ts";
import type { Db } from "../../db/connect.ts";
import type { ProxmoxHost } from "../../db/schema.ts";
import {
  clusterNodeResolver,
  type PctExecInfo,
  PctExecutor,
  type ProxmoxCallInfo,
  ProxmoxClient,
} from "../../proxmox/index.ts";
import { DbHostKeyStore } from "./host-keys.ts";

export interface HostsObservers {
  onCall?: (info: ProxmoxCallInfo & { hostId: string }) => void;
  onExec?: (info: PctExecInfo & { hostId: string }) => void;
}

export interface ConnectionOptions {
  observers?: HostsObservers | undefined;
  /** Per REST call (default 30 s). */
  timeoutMs?: number | undefined;
}

export interface Connection {
  updatedAt: number;
  client: ProxmoxClient;
  /** Built on first use: a host without SSH credentials can still be tested and synced. */
  executor: () => Promise<PctExecutor>;
  close(): void;
}

export class HostConnections {
  private readonly pool = new Map<string, Connection>();

  constructor(
    private readonly db: Db,
    private readonly keys: Keys,
    private readonly options: ConnectionOptions = {},
  ) {}

  /** The host's connection, reused while the row is unchanged (new credentials close the old one). */
  async of(host: ProxmoxHost): Promise<Connection> {
    const cached = this.pool.get(host.id);
    if (cached && cached.updatedAt === host.updatedAt.getTime()) return cached;
    if (cached) cached.close();
    const conn = await this.open(host);
    this.pool.set(host.id, conn);
    return conn;
  }

  /** Closes, not just forgets: pooled SSH connections of old credentials would stay open. */
  close(hostId: string): void {
    this.pool.get(hostId)?.close();
    this.pool.delete(hostId);
  }

  /** Closes every SSH connection (shutdown). */
  closeAll(): void {
    for (const id of [...this.pool.keys()]) this.close(id);
  }

  private async open(host: ProxmoxHost): Promise<Connection> {
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
    return {
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
            resolveNode: clusterNodeResolver(client, host.sshHost ? { configuredAddress: host.sshHost } : {}),
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
        // A connection that never opened has nothing to close (its failure was its caller's); one that
        // fails to close is gone either way.
        void executor
          ?.then((e) => e.close())
          .catch((err: unknown) => log.debug("SSH executor close failed", { err }));
      },
    };
  }
}
