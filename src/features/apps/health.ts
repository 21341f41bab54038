/**
 * The app's own health check over HTTP: GET http://<ip>:<port><path> (https for an app that serves TLS
 * itself, certificate not verified) until one of the accepted requests answers its expected status. Addressed by IP; `host` replaces the Host header for apps that only answer
 * names they trust.
 */
import { connect } from "node:net";
import { runtime } from "../../core/runtime/index.ts";
import type { Fetcher } from "../../core/runtime/types.ts";

export interface HealthRequest {
  path: string;
  expect: number;
}

export interface HealthCheck {
  port: number;
  /** https for an app that serves TLS itself: its certificate (usually self-signed) is not verified. */
  scheme?: "http" | "https" | undefined;
  host?: string | undefined;
  /** Any of these answering as expected is healthy (e.g. the app's "set up" page or its "not yet" page). */
  requests: HealthRequest[];
}

let anyCertificate: Fetcher | undefined;

/**
 * The fetch for a health request in this scheme. An app's own certificate is not Proximity's to verify
 * (self-signed, for an address): over https any chain is accepted.
 */
export function fetcherFor(scheme: "http" | "https" | undefined): Fetcher {
  if (scheme !== "https") return (url, init) => fetch(url, init);
  anyCertificate ??= runtime.tlsFetcher({});
  return anyCertificate;
}

/** Whether a status is the expected answer (`expect` 0: any answer below 500, catalog.schemas.ts). */
export function answered(status: number, expect: number): boolean {
  return expect === 0 ? status < 500 : status === expect;
}

export async function waitHealthy(
  ip: string,
  check: HealthCheck,
  options: { timeoutMs: number; intervalMs: number; signal?: AbortSignal },
): Promise<{ ok: true } | { ok: false; last: string }> {
  const urlOf = (r: HealthRequest) =>
    `${check.scheme ?? "http"}://${ip}:${check.port}${r.path.startsWith("/") ? r.path : `/${r.path}`}`;
  const headers: Record<string, string> = check.host ? { host: check.host } : {};
  const get = fetcherFor(check.scheme);
  const deadline = Date.now() + options.timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    options.signal?.throwIfAborted();
    const answers: string[] = [];
    for (const request of check.requests) {
      const url = urlOf(request);
      try {
        const res = await get(url, { redirect: "manual", headers, signal: AbortSignal.timeout(5_000) });
        await res.body?.cancel();
        if (answered(res.status, request.expect)) return { ok: true };
        answers.push(`${url}: HTTP ${res.status} (expected ${request.expect || "below 500"})`);
      } catch (err) {
        answers.push(`${url}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    last = answers.join("; ");
    await runtime.sleep(options.intervalMs);
  }
  return { ok: false, last };
}

/** One TCP connection to ip:port, closed at once: whether something listens. */
function tcpOpen(ip: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: ip, port });
    const done = (problem: string | null) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done("timed out"));
    socket.once("connect", () => done(null));
    socket.once("error", (err) => done(err.message));
  });
}

/**
 * One look at an adopted container's app on its port: null when it answers, else what went wrong. Over http
 * any answer below 500 counts (a login page, a redirect, 401 all mean the app is up); over https a TCP
 * connection (the app's certificate is its own business).
 */
export async function probePort(
  ip: string,
  port: number,
  scheme: "http" | "https",
  timeoutMs: number,
): Promise<string | null> {
  if (scheme === "https") {
    const problem = await tcpOpen(ip, port, timeoutMs);
    return problem === null ? null : `${ip}:${port}: ${problem}`;
  }
  const url = `http://${ip}:${port}/`;
  try {
    const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status < 500 ? null : `${url}: HTTP ${res.status}`;
  } catch (err) {
    return `${url}: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** One TCP connection to an app without a web interface: null when something accepts it, else what went wrong. */
export async function probeTcp(ip: string, port: number, timeoutMs: number): Promise<string | null> {
  const problem = await tcpOpen(ip, port, timeoutMs);
  return problem === null ? null : `${ip}:${port}: ${problem}`;
}

/** Asks `probe` (null: fine, else the problem) until it is fine or the time is up. */
export async function waitUntil(
  probe: () => Promise<string | null>,
  options: { timeoutMs: number; intervalMs: number; signal?: AbortSignal },
): Promise<{ ok: true } | { ok: false; last: string }> {
  const deadline = Date.now() + options.timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    options.signal?.throwIfAborted();
    const problem = await probe();
    if (problem === null) return { ok: true };
    last = problem;
    await runtime.sleep(options.intervalMs);
  }
  return { ok: false, last };
}

/** probePort until the app answers or the time is up. */
export function waitAnswering(
  ip: string,
  port: number,
  scheme: "http" | "https",
  options: { timeoutMs: number; intervalMs: number; signal?: AbortSignal },
): Promise<{ ok: true } | { ok: false; last: string }> {
  return waitUntil(() => probePort(ip, port, scheme, 5_000), options);
}
