/**
 * Waiting for PVE tasks. Every UPID is asynchronous: the HTTP call returns as soon as the worker forks,
 * and success is only known once `status` is "stopped" with exitstatus "OK" or "WARNINGS: n".
 */
import { runtime } from "../core/runtime/index.ts";
import type { ProxmoxClient } from "./client.ts";
import { ProxmoxError } from "./errors.ts";
import type { TaskStatus, Upid } from "./types.ts";
import { parseUpid } from "./upid.ts";

export { isUpid, type ParsedUpid, parseUpid } from "./upid.ts";

export interface WaitForTaskOptions {
  /** Overall deadline (default 10 min). */
  timeoutMs?: number;
  /** First poll interval; grows ×1.5 up to maxPollMs (default 500 ms). */
  pollMs?: number;
  maxPollMs?: number;
  /** Lines of the task log attached to a task_failed error (default 20). */
  logLines?: number;
  signal?: AbortSignal;
  /** Called after every poll (progress UIs, heartbeats). */
  onPoll?: (status: TaskStatus) => void;
}

/** "OK" and "WARNINGS: n" are success (pve-manager Tasks.pm); anything else is the error text. */
export function isTaskSuccess(exitstatus: string | undefined): boolean {
  return exitstatus === "OK" || (exitstatus?.startsWith("WARNINGS") ?? false);
}

export async function waitForTask(
  client: ProxmoxClient,
  node: string,
  upid: Upid,
  options: WaitForTaskOptions = {},
): Promise<TaskStatus> {
  parseUpid(upid);
  const timeoutMs = options.timeoutMs ?? 600_000;
  const maxPollMs = options.maxPollMs ?? 5_000;
  let pollMs = options.pollMs ?? 500;
  const deadline = performance.now() + timeoutMs;

  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason;
    const remaining = deadline - performance.now();
    const status = await client.taskStatus(node, upid, {
      timeoutMs: Math.max(1_000, Math.min(30_000, remaining)),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    options.onPoll?.(status);
    if (status.status === "stopped") {
      if (isTaskSuccess(status.exitstatus)) return status;
      const log = await tailLog(client, node, upid, options.logLines ?? 20);
      throw new ProxmoxError(status.exitstatus || "task ended without exit status", {
        kind: "task_failed",
        host: client.host,
        node,
        method: "GET",
        path: "/nodes/{node}/tasks/{upid}/status",
        status: 200,
        upid,
        taskLog: log,
      });
    }
    const left = deadline - performance.now();
    if (left <= 0) {
      throw new ProxmoxError(`task still running after ${timeoutMs} ms`, {
        kind: "timeout",
        host: client.host,
        node,
        method: "GET",
        path: "/nodes/{node}/tasks/{upid}/status",
        upid,
      });
    }
    await runtime.sleep(Math.min(pollMs, left));
    pollMs = Math.min(maxPollMs, pollMs * 1.5);
  }
}

/** The last `n` log lines. A failure to read the log must not hide the task's own error. */
async function tailLog(client: ProxmoxClient, node: string, upid: Upid, n: number): Promise<string[]> {
  try {
    const head = await client.taskLog(node, upid, { start: 0, limit: n });
    if (head.total <= head.lines.length) return head.lines.map((l) => l.t);
    const tail = await client.taskLog(node, upid, { start: Math.max(0, head.total - n), limit: n });
    return tail.lines.map((l) => l.t);
  } catch {
    return [];
  }
}
