/**
 * The HTTP core of the Proxmox client: authentication (token or ticket + CSRF with renewal), the
 * `/api2/json` envelope, PVE's error shapes, timeouts and the retry policy. Typed endpoint methods live
 * in client.ts; nothing here knows about containers.
 */

import { runtime } from "../core/runtime/index.ts";
import { encodeParams, type Params } from "./encoding.ts";
import { isTransientPveMessage, ProxmoxError, type ProxmoxErrorKind } from "./errors.ts";
import { type Fetcher, FingerprintPinner, insecureFetcher, PinMismatchError } from "./tls.ts";
import type {
  CallOptions,
  HttpMethod,
  ProxmoxCallInfo,
  ProxmoxClientOptions,
  TicketResult,
} from "./types.ts";

/** PVE tickets live 2 h; renew well before, as proxmoxer and the GUI do. */
export const TICKET_RENEW_AFTER_MS = 105 * 60_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_BACKOFF_MS = 5_000;

export interface CallSpec {
  method: HttpMethod;
  /** Path template, e.g. /nodes/{node}/lxc/{vmid}; reported to onCall and in errors. */
  template: string;
  /** The concrete, encoded path. */
  path: string;
  node?: string | undefined;
  params?: Params;
  /** No authentication (only POST /access/ticket). */
  anonymous?: boolean;
}

export interface Envelope<T> {
  data: T;
  total?: number;
}

interface Session {
  ticket: string;
  csrf: string;
  obtainedAt: number;
}

export class PveHttp {
  readonly host: string;
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly now: () => number;
  private readonly pinner: FingerprintPinner | undefined;
  private readonly fixedFetch: Fetcher;
  private session: Session | undefined;
  private login: Promise<Session> | undefined;

  constructor(private readonly options: ProxmoxClientOptions) {
    const url = new URL(options.apiUrl);
    if (url.protocol !== "https:" && url.protocol !== "http:") throw new TypeError("apiUrl must be http(s)");
    if (url.username || url.password) throw new TypeError("apiUrl must not contain credentials");
    this.base = `${url.origin}${url.pathname.replace(/\/+$/, "").replace(/\/api2\/json$/, "")}/api2/json`;
    this.host = options.hostLabel ?? url.host;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.retryBaseMs = options.retryBaseMs ?? 250;
    this.now = options.now ?? Date.now;
    const https = url.protocol === "https:";
    this.pinner =
      https && options.fingerprint
        ? new FingerprintPinner(
            options.fingerprint,
            url.hostname.replace(/^\[|\]$/g, ""),
            Number(url.port || 443),
            this.now,
          )
        : undefined;
    this.fixedFetch = https && options.verifyTls === false && !this.pinner ? insecureFetcher() : fetch;
  }

  /** Performs a call with the retry policy; returns the unwrapped envelope. */
  async call<T>(spec: CallSpec, opts: CallOptions = {}): Promise<Envelope<T>> {
    let reauthenticated = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(spec, opts, attempt);
      } catch (err) {
        if (!(err instanceof ProxmoxError)) throw err;
        // A 401 on a ticket session means the ticket expired or was revoked: log in again, once.
        // (Not when the login itself was refused: PVE delays every 401 by 3 s, and it would fail again.)
        if (
          err.kind === "auth" &&
          err.pveStatus === 401 &&
          err.path !== "/access/ticket" &&
          !reauthenticated &&
          !spec.anonymous &&
          this.options.auth.kind === "ticket"
        ) {
          reauthenticated = true;
          this.session = undefined;
          attempt--;
          continue;
        }
        if (attempt >= this.maxAttempts || !shouldRetry(err, spec.method, opts.idempotent === true))
          throw err;
        await runtime.sleep(this.backoff(attempt));
      }
    }
  }

  /** Full-jitter exponential backoff: spreads retries of many jobs hitting one busy node. */
  private backoff(attempt: number): number {
    const ceiling = Math.min(MAX_BACKOFF_MS, this.retryBaseMs * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  private async once<T>(spec: CallSpec, opts: CallOptions, attempt: number): Promise<Envelope<T>> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const headers: Record<string, string> = { accept: "application/json" };
    // A failed login is reported (and thrown) by the login call itself; this request was never sent.
    if (!spec.anonymous) await this.authenticate(headers, spec.method, opts);
    const started = performance.now();
    const report = (status: number, extra: Partial<ProxmoxCallInfo>) =>
      this.report({
        method: spec.method,
        path: spec.template,
        node: spec.node,
        status,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        attempt,
        ...extra,
      });

    let response: Response;
    try {
      const query = spec.method === "GET" || spec.method === "DELETE";
      const encoded = encodeParams(spec.params ?? {}).toString();
      let url = `${this.base}${spec.path}`;
      const init: RequestInit = { method: spec.method, headers, redirect: "manual" };
      if (query) {
        // PVE answers 501 to any body on GET/DELETE, so their parameters always go in the query.
        if (encoded) url += `?${encoded}`;
      } else {
        headers["content-type"] = "application/x-www-form-urlencoded";
        init.body = encoded;
      }
      const signals = [AbortSignal.timeout(timeoutMs)];
      if (opts.signal) signals.push(opts.signal);
      init.signal = AbortSignal.any(signals);
      const doFetch = this.pinner ? await this.pinner.fetcher(timeoutMs) : this.fixedFetch;
      response = await doFetch(url, init);
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const mapped = err instanceof ProxmoxError ? err : this.networkError(err, spec, timeoutMs);
      if (mapped.kind === "unreachable" || mapped.kind === "timeout") this.pinner?.invalidate();
      report(mapped.pveStatus, { error: mapped.pveMessage, errorKind: mapped.kind });
      throw mapped;
    }

    const text = await response.text().catch(() => "");
    if (response.ok) {
      const body = parseJson(text);
      if (!body || typeof body !== "object" || !("data" in body)) {
        const err = this.fail("http", spec, response.status, "unexpected response: not a PVE JSON envelope");
        report(response.status, { error: err.pveMessage, errorKind: err.kind });
        throw err;
      }
      const envelope = body as Envelope<T>;
      const upid =
        typeof envelope.data === "string" && envelope.data.startsWith("UPID:") ? envelope.data : undefined;
      report(response.status, { upid });
      return envelope;
    }

    const body = parseJson(text) as { message?: unknown; errors?: unknown } | undefined;
    // PVE ≥ 8.3 puts the full message in the body; older servers only in the reason phrase.
    const message =
      (typeof body?.message === "string" && body.message.trim()) ||
      response.statusText ||
      `HTTP ${response.status}`;
    const errors = isStringRecord(body?.errors) ? body.errors : undefined;
    const kind: ProxmoxErrorKind = response.status === 401 || response.status === 403 ? "auth" : "http";
    const err = this.fail(kind, spec, response.status, message, { errors });
    report(response.status, { error: err.pveMessage, errorKind: kind });
    throw err;
  }

  private async authenticate(headers: Record<string, string>, method: HttpMethod, opts: CallOptions) {
    const auth = this.options.auth;
    if (auth.kind === "token") {
      headers.authorization = `PVEAPIToken=${auth.tokenId}=${auth.tokenSecret}`;
      return;
    }
    const session = await this.ticket(opts);
    headers.cookie = `PVEAuthCookie=${session.ticket}`;
    // Ticket sessions must prove they are not a cross-site request on every write.
    if (method !== "GET") headers.csrfpreventiontoken = session.csrf;
  }

  /** A valid ticket: cached, renewed after 1 h 45 (posting the old ticket as the password), or a new login. */
  private async ticket(opts: CallOptions): Promise<Session> {
    const current = this.session;
    if (current && this.now() - current.obtainedAt < TICKET_RENEW_AFTER_MS) return current;
    this.login ??= this.obtainTicket(current, opts).finally(() => {
      this.login = undefined;
    });
    return this.login;
  }

  private async obtainTicket(previous: Session | undefined, opts: CallOptions): Promise<Session> {
    const auth = this.options.auth;
    if (auth.kind !== "ticket") throw new Error("unreachable: ticket login with token auth");
    const attempt = async (password: string) => {
      const { data } = await this.call<TicketResult>(
        {
          method: "POST",
          template: "/access/ticket",
          path: "/access/ticket",
          params: { username: auth.username, password },
          anonymous: true,
        },
        // Logging in changes nothing on the server, so it may be retried like a GET.
        { ...opts, idempotent: true },
      );
      if (!data?.ticket || !data.CSRFPreventionToken) {
        throw this.fail(
          "auth",
          { method: "POST", template: "/access/ticket" },
          200,
          "ticket response without ticket",
        );
      }
      if (data.NeedTFA) {
        throw this.fail(
          "auth",
          { method: "POST", template: "/access/ticket" },
          200,
          "the account requires 2FA",
        );
      }
      const session = { ticket: data.ticket, csrf: data.CSRFPreventionToken, obtainedAt: this.now() };
      this.session = session;
      return session;
    };
    if (previous && this.now() - previous.obtainedAt < 2 * 3_600_000) {
      try {
        return await attempt(previous.ticket);
      } catch (err) {
        if (!(err instanceof ProxmoxError) || err.kind !== "auth") throw err;
        // The old ticket was refused (key rotation, revoked): fall back to the password.
      }
    }
    return attempt(auth.password);
  }

  private networkError(
    err: unknown,
    spec: Pick<CallSpec, "method" | "template" | "node">,
    timeoutMs: number,
  ) {
    const e = err as { name?: string; code?: string; message?: string };
    const code = e?.code;
    if (e?.name === "TimeoutError") {
      return this.fail("timeout", spec, 0, `no answer within ${timeoutMs} ms`, {
        errno: "ETIMEDOUT",
        cause: err,
      });
    }
    const certificateProblem = certificateMessage(err);
    if (err instanceof PinMismatchError || isTlsCode(code) || certificateProblem) {
      return this.fail("tls", spec, 0, certificateProblem ?? e.message ?? String(code), {
        errno: code,
        cause: err,
        notSent: true,
      });
    }
    return this.fail("unreachable", spec, 0, e?.message ?? String(err), {
      errno: code,
      cause: err,
      notSent: code !== undefined && NOT_SENT_CODES.has(code),
    });
  }

  private fail(
    kind: ProxmoxErrorKind,
    spec: Pick<CallSpec, "method" | "template" | "node">,
    status: number,
    message: string,
    extra: {
      errors?: Record<string, string> | undefined;
      errno?: string | undefined;
      cause?: unknown;
      notSent?: boolean;
    } = {},
  ): ProxmoxError {
    return new ProxmoxError(message, {
      kind,
      host: this.host,
      node: spec.node,
      method: spec.method,
      path: spec.template,
      status,
      ...extra,
    });
  }

  private report(info: ProxmoxCallInfo): void {
    try {
      this.options.onCall?.(info);
    } catch {
      // An observer (metrics, breadcrumbs) must never break a Proxmox call.
    }
  }
}

/** Connection never established: nothing reached PVE, so even a non-idempotent write may be repeated. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ConnectionRefused",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_NONAME",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "FailedToOpenSocket",
  "DNSLookupFailed",
]);

function isTlsCode(code: string | undefined): boolean {
  return (
    code !== undefined &&
    /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME|ALTNAME|PIN_MISMATCH|HANDSHAKE/i.test(code)
  );
}

/**
 * Deno's fetch reports a refused certificate without an error code: "fetch failed", caused by "… invalid
 * peer certificate: …". The first message in the cause chain that names a certificate, if any.
 */
function certificateMessage(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (/certificate/i.test(e.message)) return e.message;
  }
  return undefined;
}

/** PVE 500s that are certain to repeat: retrying them only delays the answer. */
function isPermanentPveMessage(message: string): boolean {
  return /does not exist|no such|not found|not implemented/i.test(message);
}

export function shouldRetry(err: ProxmoxError, method: HttpMethod, idempotent: boolean): boolean {
  switch (err.kind) {
    case "tls":
    case "auth":
    case "task_failed":
    case "host_key":
      return false;
    case "unreachable":
    case "timeout":
      // A timeout or reset may hide a write that did happen: only requests never sent, reads and
      // writes the caller declared idempotent are repeated.
      return err.notSent || method === "GET" || idempotent;
    case "http": {
      const s = err.pveStatus;
      if (s < 500 || s === 501) return false;
      if (method === "GET") return !isPermanentPveMessage(err.pveMessage);
      return idempotent && isTransientPveMessage(err.pveMessage);
    }
    default:
      return false;
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return typeof v === "object" && v !== null && Object.values(v).every((x) => typeof x === "string");
}
