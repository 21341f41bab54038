/**
 * A Proximity process for a bench that drives it over HTTP like any client: a fresh data directory, the
 * bench user signed up, and the simulator registered as its host (no host test: the caller runs one when
 * it needs the preflight's verdict).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunningSimulator } from "../../src/simulator/index.ts";
import { simHostBody } from "../../tests/helpers/sim-control.ts";
import { signUpBenchUser } from "./bench-user.ts";
import { spawnQuiet } from "./spawn-quiet.ts";

export interface ProximityClient {
  url: string;
  hostId: string;
  /** One call to /api/v1`path` as the bench user; throws on an error status, else the parsed answer. */
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Stops the process and removes its data directory. */
  stop(): Promise<void>;
}

export async function proximityOver(sim: RunningSimulator, name: string): Promise<ProximityClient> {
  const dataDir = mkdtempSync(join(tmpdir(), `proximity-bench-${name}-`));
  const proximity = await spawnQuiet({ DATA_DIR: dataDir });
  const stop = async () => {
    await proximity.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const { token } = await signUpBenchUser(proximity.url);
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${proximity.url}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { "content-type": "application/json" } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    const { host } = await api<{ host: { id: string } }>("POST", "/hosts", simHostBody(sim));
    return { url: proximity.url, hostId: host.id, api, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
