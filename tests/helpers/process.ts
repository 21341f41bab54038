/**
 * Runs Proximity as a real process (what `bun run start` runs, or the compiled binary) and waits for it to
 * listen.
 */
import type { Subprocess } from "bun";
import pkg from "../../package.json" with { type: "json" };

export interface ProximityProcess {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  url: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

interface Launched {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  output(): string;
}

/**
 * What `bun run start` runs (package.json's start script, e.g. `bun --smol src/index.ts`), split into argv:
 * tests and benches run the server exactly as a user starts it. `extra` goes right after `bun` (profiler flags).
 */
export function startCommand(extra: string[] = []): string[] {
  const [bun, ...rest] = pkg.scripts.start.split(/\s+/);
  if (bun !== "bun")
    throw new Error(`package.json's start script does not start with bun: ${pkg.scripts.start}`);
  return [bun, ...extra, ...rest];
}

/**
 * Starts `command` with the test defaults (fast password hashing, no simulator, on 127.0.0.1) under `env`,
 * never with the caller's DATABASE_URL, collecting what it writes to stdout and stderr.
 */
export function launchProximity(env: Record<string, string>, command: string[], cwd?: string): Launched {
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
  return { proc, output: () => out };
}

/**
 * Polls `ready` until it gives a value, then hands the process over. Throws with the process's output when
 * it exits first, or when `timeoutMs` pass (killing it): `waitingFor` names what did not happen.
 */
export async function whenReady(
  launched: Launched,
  ready: () => Promise<string | undefined> | string | undefined,
  timeoutMs: number,
  waitingFor: string,
): Promise<ProximityProcess> {
  const { proc, output } = launched;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const url = await ready();
    if (url) {
      return {
        proc,
        url,
        output,
        stop: async (signal = "SIGTERM") => {
          proc.kill(signal);
          return proc.exited;
        },
      };
    }
    if (proc.exitCode !== null) throw new Error(`Proximity exited with ${proc.exitCode}:\n${output()}`);
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`Proximity did not ${waitingFor} within ${timeoutMs} ms:\n${output()}`);
    }
    await Bun.sleep(25);
  }
}

export async function spawnProximity(
  env: Record<string, string>,
  command: string[] = startCommand(),
  timeoutMs = 180_000,
  cwd?: string,
): Promise<ProximityProcess> {
  const launched = launchProximity(env, command, cwd);
  const listening = () => launched.output().match(/listening on (http:\/\/\S+)/)?.[1];
  return whenReady(launched, listening, timeoutMs, "start");
}

/** POSTs `body` as JSON to the process at `url`, with a bearer token when given. */
export function postJson(url: string, path: string, body: unknown, token?: string): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

/**
 * Registers `username` on a fresh Proximity over HTTP, as any client would (the first user is the admin),
 * and logs in: the access token and the user's id.
 */
export async function signUpOverHttp(
  url: string,
  username: string,
  password: string,
): Promise<{ token: string; userId: string }> {
  await postJson(url, "/api/v1/auth/register", { username, password });
  const res = await postJson(url, "/api/v1/auth/login", { username, password });
  if (!res.ok) throw new Error(`login ${username} failed: ${res.status} ${await res.text()}`);
  const login = (await res.json()) as { access_token: string; user: { id: string } };
  return { token: login.access_token, userId: login.user.id };
}
