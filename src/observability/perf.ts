/**
 * Per-request (and per-job) performance counters, kept on the Sentry isolation scope of the unit of work so
 * concurrent requests never share them. Every error captured in that unit gets them as the `performance`
 * context, whether or not its trace was sampled.
 */
import { Sentry } from "./sdk.ts";
import { state } from "./state.ts";

export interface PerfStats {
  startedAt: number;
  db_calls: number;
  db_ms: number;
  proxmox_calls: number;
  proxmox_ms: number;
  ssh_calls: number;
  ssh_ms: number;
}

type Scope = ReturnType<typeof Sentry.getIsolationScope>;
const statsByScope = new WeakMap<Scope, PerfStats>();

const round = (ms: number) => Math.round(ms * 10) / 10;

function performanceContext(stats: PerfStats): Record<string, number> {
  return {
    elapsed_ms: round(performance.now() - stats.startedAt),
    db_calls: stats.db_calls,
    db_ms: round(stats.db_ms),
    proxmox_calls: stats.proxmox_calls,
    proxmox_ms: round(stats.proxmox_ms),
    ssh_calls: stats.ssh_calls,
    ssh_ms: round(stats.ssh_ms),
  };
}

/**
 * Starts counting for the current isolation scope (a request or a job) and makes every error event captured
 * in it carry the counters.
 */
export function beginUnitOfWork(scope: Scope = Sentry.getIsolationScope()): PerfStats {
  const stats: PerfStats = {
    startedAt: performance.now(),
    db_calls: 0,
    db_ms: 0,
    proxmox_calls: 0,
    proxmox_ms: 0,
    ssh_calls: 0,
    ssh_ms: 0,
  };
  statsByScope.set(scope, stats);
  scope.addEventProcessor((event) => {
    if (event.type === undefined) {
      event.contexts = { ...event.contexts, performance: performanceContext(stats) };
    }
    return event;
  });
  return stats;
}

export function currentStats(): PerfStats | undefined {
  if (!state.enabled) return undefined;
  return statsByScope.get(Sentry.getIsolationScope());
}

export function countProxmox(ms: number): void {
  const s = currentStats();
  if (s) {
    s.proxmox_calls++;
    s.proxmox_ms += ms;
  }
}

export function countSsh(ms: number): void {
  const s = currentStats();
  if (s) {
    s.ssh_calls++;
    s.ssh_ms += ms;
  }
}
