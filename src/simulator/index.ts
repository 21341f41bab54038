/**
 * A faithful Proxmox VE 9.2 (or, with `pve: "8.4"`, 8.4) stand-in: REST at /api2/json with PVE's auth, parameter
 * checks, errors and tasks, plus one SSH server per node for `pct exec`. Used by tests and by
 * `bun run dev` in demo mode; the real client is never told it talks to a simulator.
 */

import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Server as SshServer } from "ssh2";
import { parseAcl } from "./acl.ts";
import { AppListeners } from "./app-http.ts";
import { Authenticator } from "./auth.ts";
import { CaddyProcesses } from "./caddy.ts";
import { Rng, SimClock } from "./clock.ts";
import { Cluster, type StorageLayout } from "./cluster.ts";
import type { Sim } from "./context.ts";
import { FaultRegistry } from "./faults.ts";
import { generateHostKey } from "./host-keys.ts";
import { createRequestHandler } from "./http.ts";
import { startNodeSsh } from "./ssh/server.ts";
import { type SimState, snapshotState } from "./state.ts";
import { TaskManager } from "./tasks.ts";
import { generateSelfSigned } from "./tls.ts";
import { type PveRelease, pveProfile } from "./version.ts";

export { DEMO_UNMANAGED, seedUnmanagedContainers } from "./demo-seed.ts";
export type { SimState } from "./state.ts";

export interface SimulatorOptions {
  /** Number of nodes (pve1…pveN); default 3. */
  nodes?: number;
  /**
   * How often the simulated apps' listeners and Caddy processes follow the containers (ms; default 25 and
   * 50): a listener answers this long after its container runs. Demo mode, idle most of the time, polls
   * more slowly.
   */
  listenerSyncMs?: number;
  /** Divides every simulated duration (tests use e.g. 100 or 1000); default 1. */
  speed?: number;
  /** HTTPS with a self-signed certificate generated at start (openssl CLI). */
  tls?: boolean;
  /** API port; 0 = ephemeral (default). */
  port?: number;
  /** SSH port shared by every node's address; 0 = ephemeral (default). */
  sshPort?: number;
  /** Real PVE waits ~3 s before answering 401; default 0. */
  authFailDelayMs?: number;
  /** Deterministic ids, MACs, IPs and credentials when given. */
  seed?: number;
  /** OpenSSH public keys allowed to log in as root on every node (more via POST /_sim/ssh-keys). */
  authorizedKeys?: string[];
  /** The PVE release played: "9.2" (default, Debian 13) or "8.4" (Debian 12, past end of life). */
  pve?: PveRelease;
  /** lxc-pve on every node (default: the release's; below 6.0.5-2 Docker's runc ≥ 1.2.8 fails in CTs). */
  lxcPveVersion?: string;
  /**
   * Privilege separation for the API token: path → privileges (e.g. `{ "/": ["Sys.Audit"] }`).
   * Omitted: the token may do everything root@pam may. Also settable at run time via POST /_sim/acl.
   */
  tokenAcl?: Record<string, string[]>;
  /** Installer storage layout per node (pve1 first; the last repeats): lvm (default), zfs, btrfs, dir. */
  storageLayouts?: StorageLayout[];
  /**
   * The cluster behind NAT: /cluster/status reports cluster-network addresses (127.0.1.x) on which
   * nothing listens; only the node addresses (127.0.0.1x) are reachable.
   */
  natted?: boolean;
  /** SSH logins beside root; `sudo` lets them run `sudo -n pct …` (a NOPASSWD sudoers rule). */
  sshUsers?: { username: string; password: string; sudo?: boolean }[];
}

export interface RunningSimulator {
  apiUrl: string;
  username: string;
  password: string;
  tokenId: string;
  tokenSecret: string;
  sshHost: string;
  sshPort: number;
  sshUsername: string;
  sshPassword: string;
  fingerprint?: string;
  nodeAddress(node: string): string;
  state(): SimState;
  stop(): Promise<void>;
}

/** pve1 → 127.0.0.11, pve2 → 127.0.0.12, ... */
export function nodeAddressFor(index: number): string {
  return `127.0.0.${10 + index}`;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const nodeCount = opts.nodes ?? 3;
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > 200)
    throw new Error("nodes must be 1..200");
  const clock = new SimClock(opts.speed ?? 1);
  const rng = new Rng(opts.seed);
  const username = "root@pam";
  const password = `sim-${rng.hex(12)}`;
  const tokenId = "root@pam!proximity";
  const tokenSecret = rng.uuid();
  const sshPassword = password;

  const pve = pveProfile(opts.pve ?? "9.2", opts.lxcPveVersion ? { lxcPve: opts.lxcPveVersion } : {});
  const cluster = new Cluster({
    nodes: nodeCount,
    clock,
    rng,
    ...(opts.storageLayouts ? { storageLayouts: opts.storageLayouts } : {}),
    natted: opts.natted ?? false,
    packages: {
      "proxmox-ve": pve.version,
      "pve-manager": pve.version,
      "pve-container": pve.pveContainer,
      "lxc-pve": pve.lxcPve,
    },
  });
  const sim: Sim = {
    pve,
    ...(opts.tokenAcl ? { tokenAcl: parseAcl(opts.tokenAcl, pve.major) } : {}),
    sshUsers: new Map(
      (opts.sshUsers ?? []).map((u) => [u.username, { password: u.password, sudo: u.sudo ?? false }]),
    ),
    cluster,
    clock,
    rng,
    tasks: new TaskManager(clock, rng, (n) => cluster.nodes.get(n)?.bootedAt ?? clock.now() - 3600),
    faults: new FaultRegistry(),
    auth: new Authenticator(
      { username, password, tokenId, tokenSecret },
      clock,
      `${tokenSecret}:${password}`,
    ),
    authorizedKeys: new Set((opts.authorizedKeys ?? []).map((k) => k.trim())),
    rrdCache: new Map(),
  };

  // pvestatd refreshes the guest status cache every 10 s; /cluster/resources lags accordingly.
  const refreshRrd = () => {
    sim.rrdCache.clear();
    for (const ct of cluster.containers.values()) {
      sim.rrdCache.set(ct.vmid, {
        status: ct.status,
        name: String(ct.config.hostname ?? `CT${ct.vmid}`),
        uptime: ct.startedAt ? clock.now() - ct.startedAt : 0,
      });
    }
  };
  const rrdTimer = setInterval(refreshRrd, Math.max(5, 10_000 / clock.speed));

  const tls = opts.tls ? await generateSelfSigned("pve1", ["127.0.0.1", nodeAddressFor(1)]) : undefined;
  const handler = createRequestHandler(sim, {
    authFailDelayMs: opts.authFailDelayMs ?? 0,
    fingerprint: () => tls?.fingerprint,
  });
  const http: HttpServer = tls
    ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler)
    : createHttpServer(handler);
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const apiPort = (http.address() as AddressInfo).port;

  const hostKey = generateHostKey().private;
  const sshServers: SshServer[] = [];
  let sshPort = opts.sshPort ?? 0;
  try {
    for (const node of cluster.nodes.values()) {
      const server = await startNodeSsh(sim, node.name, node.ip, {
        port: sshPort,
        username: "root",
        password: sshPassword,
        hostKey,
      });
      sshServers.push(server);
      // The first node picks the (possibly ephemeral) port; the others share it.
      if (sshPort === 0) sshPort = (server.address() as AddressInfo).port;
    }
  } catch (e) {
    for (const s of sshServers) s.close();
    http.close();
    clearInterval(rrdTimer);
    throw e;
  }

  const apps = new AppListeners(cluster, sim.faults);
  apps.start(opts.listenerSyncMs);
  const caddy = new CaddyProcesses(cluster);
  sim.caddy = caddy;
  caddy.start(opts.listenerSyncMs);

  let stopped = false;
  return {
    apiUrl: `${tls ? "https" : "http"}://127.0.0.1:${apiPort}`,
    username,
    password,
    tokenId,
    tokenSecret,
    sshHost: nodeAddressFor(1),
    sshPort,
    sshUsername: "root",
    sshPassword,
    ...(tls ? { fingerprint: tls.fingerprint } : {}),
    nodeAddress(node: string): string {
      const n = cluster.nodes.get(node);
      if (!n) throw new Error(`no such node '${node}'`);
      return n.ip;
    },
    state: () => snapshotState(sim),
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      clearInterval(rrdTimer);
      apps.stop();
      caddy.stop();
      await Promise.all([
        new Promise<void>((r) => {
          http.close(() => r());
          http.closeAllConnections?.();
        }),
        ...sshServers.map((s) => new Promise<void>((r) => s.close(() => r()))),
      ]);
    },
  };
}
