/**
 * Proximity for benches with LOG_LEVEL=warn: the "listening on" line that tests/helpers/process.ts waits for
 * is an info line, so here a free port is chosen up front and readiness is the first 200 from /health.
 * (An access-log line per request at info level would be measured along with the request.)
 */
import { type ProximityProcess, spawnProximity } from "../../tests/helpers/process.ts";

export function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port as number;
  probe.stop(true);
  return port;
}

export async function spawnQuiet(
  env: Record<string, string>,
  command: string[] = ["bun", "src/index.ts"],
  timeoutMs = 180_000,
): Promise<ProximityProcess> {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const base = { ...process.env };
  delete base.DATABASE_URL;
  const proc = Bun.spawn(command, {
    env: {
      ...base,
      HOST: "127.0.0.1",
      PASSWORD_HASH_MEMORY_KIB: "4096",
      PROXIMITY_SIMULATOR: "off",
      LOG_LEVEL: "warn",
      ...env,
      PORT: String(port),
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) out += new TextDecoder().decode(chunk);
  };
  void collect(proc.stdout);
  void collect(proc.stderr);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`Proximity exited with ${proc.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`Proximity did not answer /health within ${timeoutMs} ms:\n${out}`);
    }
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await Bun.sleep(25);
  }
  return {
    proc: proc as ProximityProcess["proc"],
    url,
    output: () => out,
    stop: async (signal = "SIGTERM") => {
      proc.kill(signal);
      return proc.exited;
    },
  };
}

export { spawnProximity };
