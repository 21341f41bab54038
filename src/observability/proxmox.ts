/**
 * Observers for the Proxmox client: pass them as `onCall` (REST) and `onExec` (pct exec over SSH). Each call
 * becomes a breadcrumb in the request's (or job's) own scope and counts towards its performance context.
 * The client hands them templates, status, timing and UPIDs only: never parameters, tokens or stdin.
 */

import type { PctExecInfo } from "../proxmox/ssh.ts";
import type { ProxmoxCallInfo } from "../proxmox/types.ts";
import { unitBreadcrumb } from "./breadcrumbs.ts";
import { hostInfoFromUrl, type ProxmoxHostInfo, registerProxmoxHost } from "./classify.ts";
import { countProxmox, countSsh } from "./perf.ts";
import { Sentry } from "./sdk.ts";
import { state } from "./state.ts";
import { outsideUnit } from "./unit.ts";

export interface ProxmoxObservers {
  onCall(info: ProxmoxCallInfo): void;
  onExec(info: PctExecInfo): void;
}

export function onProxmoxCall(info: ProxmoxCallInfo): void {
  if (!state.enabled) return;
  countProxmox(info.durationMs);
  const failed = info.status === 0 || info.status >= 500 || info.error !== undefined;
  unitBreadcrumb(
    info.upid ? "proxmox.task" : "proxmox.api",
    `${info.method} ${info.path} → ${info.status || info.errorKind || "no response"}`,
    {
      method: info.method,
      path: info.path,
      node: info.node,
      status: info.status,
      duration_ms: info.durationMs,
      attempt: info.attempt,
      upid: info.upid,
      error_kind: info.errorKind,
      error: info.error?.slice(0, 200),
    },
    failed ? "error" : info.status >= 400 ? "warning" : "info",
    "http",
  );
}

export function onPctExec(info: PctExecInfo): void {
  if (!state.enabled) return;
  countSsh(info.durationMs);
  unitBreadcrumb(
    "proxmox.ssh",
    `pct exec ${info.vmid} ${info.command} → ${info.exitCode ?? info.errorKind ?? "failed"}`,
    {
      node: info.node,
      vmid: info.vmid,
      command: info.command,
      exit_code: info.exitCode,
      duration_ms: info.durationMs,
      error_kind: info.errorKind,
    },
    info.exitCode === 0 ? "info" : "error",
  );
}

/**
 * The observers for one Proxmox host; registering the host lets errors from it report port and TLS
 * verification in the proxmox context. For the hosts service: `new ProxmoxClient({ …, ...proxmoxObservers(h) })`.
 */
export function proxmoxObservers(host?: ProxmoxHostInfo): ProxmoxObservers {
  if (host) registerProxmoxHost(host);
  return { onCall: onProxmoxCall, onExec: onPctExec };
}

/** What the layer needs to know about a stored host (a subset of the hosts table row). */
export interface StoredHostFacts {
  name: string;
  apiUrl: string;
  verifyTls: boolean;
}

export interface HostScopedObservers {
  onCall(info: ProxmoxCallInfo & { hostId: string }): void;
  onExec(info: PctExecInfo & { hostId: string }): void;
  /** Registers hosts known up front (start-up), so even their first error has port and verify_ssl. */
  register(hosts: StoredHostFacts[]): void;
}

const HOST_REFRESH_MS = 5 * 60_000;

/**
 * Observers for the hosts service (`buildServices(…, { hosts: { observers } })`). The first call from a host
 * id looks the host up once, outside the request (no breadcrumbs, no spans), so its errors carry port and
 * TLS verification.
 */
export function hostsObservers(lookup: (hostId: string) => Promise<StoredHostFacts>): HostScopedObservers {
  const seen = new Map<string, number>();
  const note = (hostId: string) => {
    if (!state.enabled) return;
    const last = seen.get(hostId);
    if (last !== undefined && Date.now() - last < HOST_REFRESH_MS) return;
    seen.set(hostId, Date.now());
    const detached = state.defaultIsolationScope?.clone();
    outsideUnit(() =>
      Sentry.withIsolationScope(detached, () =>
        Sentry.suppressTracing(() =>
          lookup(hostId).then(
            (h) => registerProxmoxHost(hostInfoFromUrl(h.name, h.apiUrl, h.verifyTls)),
            () => seen.delete(hostId),
          ),
        ),
      ),
    );
  };
  return {
    onCall(info) {
      note(info.hostId);
      onProxmoxCall(info);
    },
    onExec(info) {
      note(info.hostId);
      onPctExec(info);
    },
    register(list) {
      for (const h of list) registerProxmoxHost(hostInfoFromUrl(h.name, h.apiUrl, h.verifyTls));
    },
  };
}
