/** The app's own health check over HTTP: GET http://<ip>:<port><path> until it answers `expect`. */
import { runtime } from "../../core/runtime/index.ts";

export interface HealthCheck {
  path: string;
  port: number;
  expect: number;
}

export async function waitHealthy(
  ip: string,
  check: HealthCheck,
  options: { timeoutMs: number; intervalMs: number; signal?: AbortSignal },
): Promise<{ ok: true } | { ok: false; last: string }> {
  const url = `http://${ip}:${check.port}${check.path.startsWith("/") ? check.path : `/${check.path}`}`;
  const deadline = Date.now() + options.timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    options.signal?.throwIfAborted();
    try {
      const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(5_000) });
      await res.body?.cancel();
      if (res.status === check.expect) return { ok: true };
      last = `HTTP ${res.status} (expected ${check.expect})`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await runtime.sleep(options.intervalMs);
  }
  return { ok: false, last: `${url}: ${last}` };
}
