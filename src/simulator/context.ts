/**
 * The shared state every handler works on, and the per-call context (typed params, caller, node,
 * and any fault that should make this call's task fail).
 */

import type { Authenticator } from "./auth.ts";
import type { CaddyProcesses } from "./caddy.ts";
import type { Rng, SimClock } from "./clock.ts";
import type { Cluster, Container } from "./cluster.ts";
import { fail } from "./errors.ts";
import type { FaultRegistry } from "./faults.ts";
import type { Params } from "./params.ts";
import type { TaskContext, TaskManager, TaskRecord } from "./tasks.ts";
import type { PveProfile } from "./version.ts";

export interface Sim {
  cluster: Cluster;
  tasks: TaskManager;
  faults: FaultRegistry;
  clock: SimClock;
  rng: Rng;
  auth: Authenticator;
  /** OpenSSH public keys ("ssh-ed25519 AAAA... comment") allowed to log in as root on the nodes. */
  authorizedKeys: Set<string>;
  /** The last RRD snapshot of guests (pvestatd refreshes it every 10 s): /cluster/resources reads it. */
  rrdCache: Map<number, { status: string; name: string; uptime: number }>;
  /** The PVE release being played (9.2 unless `--pve 8.4`). */
  pve: PveProfile;
  /**
   * The API token's ACL (path → privileges, propagated down the tree; the most specific path wins).
   * Undefined: the token is not privilege-separated and may do everything its user (root@pam) may.
   */
  tokenAcl?: Map<string, Set<string>>;
  /** Extra SSH logins beside root: non-root users may only run `sudo -n pct …`, if allowed to. */
  sshUsers: Map<string, { password: string; sudo: boolean }>;
  /** The real Caddy processes of `caddy:*` services (caddy.ts), once the simulator has started them. */
  caddy?: CaddyProcesses;
}

export interface Call {
  sim: Sim;
  p: Params;
  /** The caller: "root@pam" (ticket) or "root@pam!proximity" (token). */
  authid: string;
  /** Set by a `task_fail` fault for this call. */
  taskFailure?: string;
}

export const str = (p: Params, k: string): string | undefined =>
  p[k] === undefined ? undefined : String(p[k]);
export const num = (p: Params, k: string): number | undefined =>
  p[k] === undefined ? undefined : Number(p[k]);
export const bool = (p: Params, k: string): boolean => p[k] === true;

export function startTask(
  call: Call,
  node: string,
  type: string,
  id: string,
  worker: (ctx: TaskContext) => Promise<void>,
  onError?: (message: string) => void | Promise<void>,
): TaskRecord {
  return call.sim.tasks.start({
    node,
    type,
    id,
    user: call.authid,
    injectedFailure: call.taskFailure,
    worker,
    onError,
  });
}

/** AbstractConfig check_lock: note the text has no vmid. */
export function checkLock(ct: Container): void {
  if (ct.config.lock) fail(`CT is locked (${ct.config.lock})`);
}

/**
 * The config flock (/run/lock/lxc/pve-config-<vmid>.lock). Workers hold it for their whole run;
 * others wait up to `timeoutMs` (simulated) and then fail like PVE's lock_file.
 */
export async function acquireFlock(sim: Sim, ct: Container, timeoutMs = 10_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs / sim.clock.speed;
  while (ct.flock) {
    const left = deadline - Date.now();
    if (left <= 0) fail(`can't lock file '/run/lock/lxc/pve-config-${ct.vmid}.lock' - got timeout`);
    await Promise.race([ct.flock, new Promise((r) => setTimeout(r, left))]);
  }
  let release!: () => void;
  ct.flock = new Promise<void>((r) => {
    release = r;
  });
  return () => {
    ct.flock = undefined;
    release();
  };
}
