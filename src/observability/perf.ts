/**
 * Per-request (and per-job) performance counters, kept on the unit of work (unit.ts) so concurrent requests
 * never share them. Every error captured in that unit gets them as the `performance` context, whether or
 * not its trace was sampled.
 */
import { currentUnit, type PerfStats } from "./unit.ts";

export type { PerfStats } from "./unit.ts";

export function currentStats(): PerfStats | undefined {
  return currentUnit()?.stats;
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
