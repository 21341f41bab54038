import { AppError } from "../core/errors.ts";

/**
 * What went wrong, in words a user and a Sentry filter can act on:
 * - unreachable: DNS, connection refused/reset, host down (the request may not have been sent)
 * - tls: certificate rejected or fingerprint pin mismatch (never retried: it will not fix itself)
 * - auth: 401/403 from PVE (bad token, expired ticket, missing privilege)
 * - http: any other non-2xx answer from PVE (400 parameter errors, 500 domain errors, 501 …)
 * - task_failed: a UPID task ended with an error exit status
 * - timeout: a call, a task wait or an SSH command ran out of time
 * - ssh_drop: the SSH connection to the node went away mid-command (retryable)
 * - host_key: the node's SSH host key differs from the pinned one (never retried)
 */
export type ProxmoxErrorKind =
  | "unreachable"
  | "tls"
  | "auth"
  | "http"
  | "task_failed"
  | "timeout"
  | "ssh_drop"
  | "host_key";

export interface ProxmoxErrorInit {
  kind: ProxmoxErrorKind;
  /** hostLabel or the URL host; never credentials. */
  host: string;
  node?: string | undefined;
  /** HTTP method of the failed call, or "SSH" for pct exec. */
  method?: string | undefined;
  /** Path template, e.g. /nodes/{node}/lxc/{vmid}/status/start. */
  path?: string | undefined;
  /** HTTP status; 0 when no response arrived. */
  status?: number | undefined;
  /** Per-parameter errors from a 400 "Parameter verification failed.". */
  errors?: Record<string, string> | undefined;
  upid?: string | undefined;
  /** Last task log lines for task_failed. */
  taskLog?: string[] | undefined;
  /** Low-level error code (ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT, …). */
  errno?: string | undefined;
  /** True when the request is known not to have reached PVE (safe to retry any method). */
  notSent?: boolean | undefined;
  cause?: unknown;
}

const UNAVAILABLE_KINDS: ReadonlySet<ProxmoxErrorKind> = new Set([
  "unreachable",
  "tls",
  "timeout",
  "ssh_drop",
]);

export class ProxmoxError extends AppError {
  readonly kind: ProxmoxErrorKind;
  readonly host: string;
  readonly node: string | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly pveStatus: number;
  /** The PVE message (body `message` or reason phrase), trailing newline removed. */
  readonly pveMessage: string;
  readonly errors: Record<string, string> | undefined;
  readonly upid: string | undefined;
  readonly taskLog: string[] | undefined;
  readonly errno: string | undefined;
  readonly notSent: boolean;

  constructor(message: string, init: ProxmoxErrorInit) {
    const details = init.errors
      ? Object.entries(init.errors).map(([field, msg]) => ({ field, message: msg.trim() }))
      : undefined;
    super(
      UNAVAILABLE_KINDS.has(init.kind) ? "PROXMOX_UNAVAILABLE" : "PROXMOX_ERROR",
      describe(message, init),
      {
        ...(details ? { details } : {}),
        ...(init.cause === undefined ? {} : { cause: init.cause }),
      },
    );
    this.kind = init.kind;
    this.host = init.host;
    this.node = init.node;
    this.method = init.method;
    this.path = init.path;
    this.pveStatus = init.status ?? 0;
    this.pveMessage = message.trim();
    this.errors = init.errors;
    this.upid = init.upid;
    this.taskLog = init.taskLog;
    this.errno = init.errno;
    this.notSent = init.notSent ?? false;
  }

  /** Transient failures a saga step may retry (network, SSH drop, PVE lock contention). */
  get retryable(): boolean {
    if (this.kind === "unreachable" || this.kind === "ssh_drop" || this.kind === "timeout") return true;
    return this.kind === "http" && this.pveStatus >= 500 && isTransientPveMessage(this.pveMessage);
  }

  /** Context for Sentry and logs: no secrets are ever stored on this error. */
  toContext(): Record<string, unknown> {
    return {
      kind: this.kind,
      host: this.host,
      node: this.node,
      method: this.method,
      path: this.path,
      pve_status: this.pveStatus,
      pve_message: this.pveMessage,
      errors: this.errors,
      upid: this.upid,
      errno: this.errno,
    };
  }
}

/** Lock contention and flock timeouts: the operation did not happen and may succeed a moment later. */
export function isTransientPveMessage(message: string): boolean {
  return /\blocked\b|got timeout/i.test(message);
}

/**
 * PVE's answer about a guest, snapshot or config that is not there ("CT 105 does not exist", "no such
 * snapshot"). Sagas treat it as "already gone" where absence is the goal.
 */
export function isMissing(err: unknown): boolean {
  return err instanceof ProxmoxError && /does not exist|no such/i.test(err.pveMessage);
}

export function isProxmoxError(err: unknown): err is ProxmoxError {
  return err instanceof ProxmoxError;
}

function describe(message: string, init: ProxmoxErrorInit): string {
  const where = [init.method, init.path].filter(Boolean).join(" ");
  const fields = init.errors
    ? ` (${Object.entries(init.errors)
        .map(([k, v]) => `${k}: ${v.trim()}`)
        .join("; ")})`
    : "";
  const text = (message.trim() || "no message") + fields;
  const prefix = `Proxmox ${init.host}${init.node ? ` (node ${init.node})` : ""}`;
  switch (init.kind) {
    case "unreachable":
      return `${prefix} is unreachable: ${text}`;
    case "tls":
      return `${prefix}: TLS verification failed: ${text}`;
    case "timeout":
      return `${prefix}: timed out${where ? ` on ${where}` : ""}: ${text}`;
    case "task_failed":
      return `${prefix}: task failed: ${text}`;
    case "ssh_drop":
      return `${prefix}: SSH connection dropped: ${text}`;
    case "host_key":
      return `${prefix}: SSH host key rejected: ${text}`;
    default:
      return `${prefix}: ${where ? `${where} → ` : ""}${init.status ? `${init.status} ` : ""}${text}`;
  }
}
