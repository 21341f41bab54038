/**
 * Proximity for benches with LOG_LEVEL=warn: the "listening on" line that tests/helpers/process.ts waits for
 * is an info line, so here a free port is chosen up front and readiness is the first 200 from /health.
 * (An access-log line per request at info level would be measured along with the request.)
 */
import {
  launchProximity,
  type ProximityProcess,
  spawnProximity,
  startCommand,
  whenReady,
} from "../../tests/helpers/process.ts";

export function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port as number;
  probe.stop(true);
  return port;
}

export async function spawnQuiet(
  env: Record<string, string>,
  command: string[] = startCommand(),
  timeoutMs = 180_000,
): Promise<ProximityProcess> {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const launched = launchProximity({ LOG_LEVEL: "warn", ...env, PORT: String(port) }, command);
  const healthy = () =>
    fetch(`${url}/health`).then(
      (r) => (r.ok ? url : undefined),
      () => undefined,
    );
  return whenReady(launched, healthy, timeoutMs, "answer /health");
}

export { spawnProximity, startCommand };
