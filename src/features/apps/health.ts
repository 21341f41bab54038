/**
 * The app's own health check over HTTP: GET http://<ip>:<port><path> until one of the accepted requests
 * answers its expected status. Addressed by IP; `host` replaces the Host header for apps that only answer
 * names they trust.
 */
import { runtime } from "../../core/runtime/index.ts";

export interface HealthRequest {
  path: string;
  expect: number;
}

export interface HealthCheck {
  port: number;
  host?: string | undefined;
  /** Any of these answering as expected is healthy (e.g. the app's "set up" page or its "not yet" page). */
  requests: HealthRequest[];
}

export async function waitHealthy(
  ip: string,
  check: HealthCheck,
  options: { timeoutMs: number; intervalMs: number; signal?: AbortSignal },
): Promise<{ ok: true } | { ok: false; last: string }> {
  const urlOf = (r: HealthRequest) =>
    `http://${ip}:${check.port}${r.path.startsWith("/") ? r.path : `/${r.path}`}`;
  const headers: Record<string, string> = check.host ? { host: check.host } : {};
  const deadline = Date.now() + options.timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    options.signal?.throwIfAborted();
    const answers: string[] = [];
    for (const request of check.requests) {
      const url = urlOf(request);
      try {
        const res = await fetch(url, { redirect: "manual", headers, signal: AbortSignal.timeout(5_000) });
        await res.body?.cancel();
        if (res.status === request.expect) return { ok: true };
        answers.push(`${url}: HTTP ${res.status} (expected ${request.expect})`);
      } catch (err) {
        answers.push(`${url}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    last = answers.join("; ");
    await runtime.sleep(options.intervalMs);
  }
  return { ok: false, last };
}
