/**
 * Maps a thrown value to what operators filter on: `error_type` (proxmox | app_service | http_exception |
 * unhandled), a `proxmox` or `app_service` context, and an `exception` context with the error's own
 * attributes (credential-looking keys left out).
 */
import { HTTPException } from "hono/http-exception";
import { AppServiceError } from "../core/errors.ts";
import { isSensitiveKey } from "../core/scrub.ts";
import { ProxmoxError } from "../proxmox/errors.ts";
import { parseUpid } from "../proxmox/upid.ts";

export type ErrorType = "proxmox" | "app_service" | "http_exception" | "unhandled";

export interface ProxmoxHostInfo {
  /** The label errors carry (the host's name, or the URL host such as "pve1.lan:8006"). */
  label: string;
  /** The API host name (no credentials, no port). */
  host?: string | undefined;
  port?: number | undefined;
  verifySsl?: boolean | undefined;
}

const hosts = new Map<string, ProxmoxHostInfo>();

/** The hosts service (or start-up) tells the layer how each Proxmox host is reached: port and TLS check. */
export function registerProxmoxHost(info: ProxmoxHostInfo): void {
  hosts.set(info.label, info);
}

/** From a configured API URL: host, port (PVE default 8006) and verify flag. */
export function hostInfoFromUrl(label: string, apiUrl: string, verifySsl: boolean): ProxmoxHostInfo {
  if (!URL.canParse(apiUrl)) return { label, verifySsl };
  const u = new URL(apiUrl);
  return { label, host: u.hostname, port: u.port ? Number(u.port) : 8006, verifySsl };
}

export interface Classified {
  errorType: ErrorType;
  tags: Record<string, string>;
  contexts: Record<string, Record<string, unknown>>;
}

function splitHostPort(host: string): { host: string; port: number | undefined } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(host);
  return m ? { host: m[1]!, port: Number(m[2]) } : { host, port: undefined };
}

function vmidFromUpid(upid: string | undefined): number | undefined {
  if (!upid) return undefined;
  try {
    const id = Number(parseUpid(upid).id);
    return Number.isInteger(id) && id > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

const SKIPPED_ATTRS = new Set(["stack", "message", "cause", "headers", "taskLog"]);

/** The error's own attributes (code, status, kind, pve_status …) for the `exception` context. */
function exceptionAttributes(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err, value: String(err).slice(0, 200) };
  const out: Record<string, unknown> = { type: err.name };
  for (const key of Object.keys(err)) {
    if (SKIPPED_ATTRS.has(key) || isSensitiveKey(key)) continue;
    const value = (err as unknown as Record<string, unknown>)[key];
    if (typeof value === "function" || value === undefined) continue;
    out[key] = value;
  }
  return out;
}

export interface OperationHints {
  vmid?: number | undefined;
  node?: string | undefined;
}

export function classifyError(err: unknown, status: number, hints: OperationHints = {}): Classified {
  const tags: Record<string, string> = { status_code: String(status) };
  const contexts: Record<string, Record<string, unknown>> = { exception: exceptionAttributes(err) };
  if (err instanceof ProxmoxError) {
    const { host, port } = splitHostPort(err.host);
    const known = hosts.get(err.host) ?? hosts.get(host);
    contexts.proxmox = {
      host: known?.host ?? host,
      ...(known && known.label !== (known.host ?? host) ? { host_label: known.label } : {}),
      port: port ?? known?.port,
      verify_ssl: known?.verifySsl,
      node: err.node ?? hints.node,
      vmid: vmidFromUpid(err.upid) ?? hints.vmid,
      method: err.method,
      path: err.path,
      pve_status: err.pveStatus,
      upid: err.upid,
      kind: err.kind,
    };
    tags.proxmox_kind = err.kind;
    if (err.node ?? hints.node) tags.proxmox_node = (err.node ?? hints.node)!;
    return { errorType: "proxmox", tags: { ...tags, error_type: "proxmox" }, contexts };
  }
  if (err instanceof AppServiceError) {
    const c = err.context;
    contexts.app_service = {
      app_id: c.app_id,
      catalog_id: c.catalog_id,
      step: c.step,
      operation: c.operation,
      vmid: c.vmid,
      node: c.node,
    };
    for (const key of ["app_id", "catalog_id", "operation", "step"] as const) {
      const v = c[key];
      if (v !== undefined) tags[key] = String(v);
    }
    return { errorType: "app_service", tags: { ...tags, error_type: "app_service" }, contexts };
  }
  if (err instanceof HTTPException) {
    return { errorType: "http_exception", tags: { ...tags, error_type: "http_exception" }, contexts };
  }
  return { errorType: "unhandled", tags: { ...tags, error_type: "unhandled" }, contexts };
}
