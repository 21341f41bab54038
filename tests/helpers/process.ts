/** Runs Proximity as a real process (bun src/index.ts or the compiled binary) and waits for it to listen. */
import type { Subprocess } from "bun";

export interface ProximityProcess {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  url: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export async function spawnProximity(
  env: Record<string, string>,
  command: string[] = ["bun", "src/index.ts"],
  timeoutMs = 180_000,
  cwd?: string,
): Promise<ProximityProcess> {
  const base = { ...process.env };
  delete base.DATABASE_URL;
  const proc = Bun.spawn(command, {
    env: {
      ...base,
      PORT: "0",
      HOST: "127.0.0.1",
      PASSWORD_HASH_MEMORY_KIB: "4096",
      PROXIMITY_SIMULATOR: "off",
      ...env,
    },
    ...(cwd ? { cwd } : {}),
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
  let url: string | undefined;
  while (!url) {
    url = out.match(/listening on (http:\/\/\S+)/)?.[1];
    if (url) break;
    if (proc.exitCode !== null) throw new Error(`Proximity exited with ${proc.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`Proximity did not start within ${timeoutMs} ms:\n${out}`);
    }
    await Bun.sleep(25);
  }
  return {
    proc,
    url,
    output: () => out,
    stop: async (signal = "SIGTERM") => {
      proc.kill(signal);
      return proc.exited;
    },
  };
}
