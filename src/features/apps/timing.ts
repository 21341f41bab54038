/**
 * How long sagas wait, in one place: the job timing (overridable per container, fast in tests) and the one
 * task-wait policy every saga uses for PVE tasks (apps' deploy/lifecycle/clone, backups' backup and
 * restore, backup volume deletion). A task kind only chooses how far polling backs off.
 */
import type { WaitForTaskOptions } from "../../proxmox/index.ts";

export interface AppTiming {
  /** Overall limit for one PVE task (create, start, clone …). */
  taskTimeoutMs: number;
  /** How long a started container may take to get an IPv4 address. */
  ipTimeoutMs: number;
  /** How long the app may take to answer its health check. */
  healthTimeoutMs: number;
  /** Poll interval for addresses and health checks. */
  pollMs: number;
  /** Per SSH command (package installs and image pulls are slow). */
  commandTimeoutMs: number;
}

export const DEFAULT_TIMING: AppTiming = {
  taskTimeoutMs: 10 * 60_000,
  ipTimeoutMs: 2 * 60_000,
  healthTimeoutMs: 5 * 60_000,
  pollMs: 1_000,
  commandTimeoutMs: 15 * 60_000,
};

/**
 * - `container`: create, start, stop, clone, resize, restore, template download (seconds to minutes).
 * - `backup`: vzdump; its end decides when the archive is recorded, so it is polled more closely.
 * - `volume`: deleting a volume: quick, and a request (DELETE …/backups/{id}) may be waiting on it.
 */
export type TaskKind = "container" | "backup" | "volume";

/** The longest pause between two polls of a task of each kind (with the default 1 s `pollMs`). */
const MAX_POLL_MS: Record<TaskKind, number> = { container: 5_000, backup: 2_000, volume: 1_000 };

/**
 * The wait for one PVE task: the task timeout, a first poll after at most 500 ms (sooner when the timing's
 * poll interval is shorter: a simulator finishes tasks in milliseconds), backing off to the kind's limit.
 */
export function taskWait(timing: AppTiming, kind: TaskKind, signal?: AbortSignal): WaitForTaskOptions {
  const pollMs = Math.min(500, timing.pollMs);
  return {
    timeoutMs: timing.taskTimeoutMs,
    pollMs,
    maxPollMs: Math.max(pollMs, Math.min(MAX_POLL_MS[kind], timing.pollMs * 5)),
    ...(signal ? { signal } : {}),
  };
}
