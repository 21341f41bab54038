/**
 * The simulator's control routes (/_sim/...), with which tests and benches set the stage: faults, the clock,
 * nodes, ACLs, what a container holds. They take the API token like the PVE API does. No app involved, so a
 * unit test can use them too.
 */
import type { RunningSimulator } from "../../src/simulator/index.ts";

type Sim = Pick<RunningSimulator, "apiUrl" | "tokenId" | "tokenSecret">;

const tokenHeader = (sim: Sim) => ({ authorization: `PVEAPIToken=${sim.tokenId}=${sim.tokenSecret}` });

/** POST /_sim/`path` with `body`; throws unless the simulator accepts it. Its answer, parsed (if any). */
export async function simControl(sim: Sim, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${sim.apiUrl}/_sim/${path}`, {
    method: "POST",
    headers: { ...tokenHeader(sim), "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`/_sim/${path} failed: ${res.status} ${await res.text()}`);
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

export async function simFault(sim: Sim, fault: Record<string, unknown>): Promise<void> {
  await simControl(sim, "faults", fault);
}

/**
 * The tasks a POST to `path` starts fail with `message` (the API call itself succeeds, as on PVE): the next
 * `times` of them, or all until the faults are cleared.
 */
export function simTaskFails(sim: Sim, path: string, message: string, times?: number): Promise<void> {
  return simFault(sim, { method: "POST", path, action: "task_fail", message, ...(times ? { times } : {}) });
}

export async function clearFaults(sim: Sim): Promise<void> {
  await fetch(`${sim.apiUrl}/_sim/faults`, { method: "DELETE", headers: tokenHeader(sim) });
}

/** Moves the simulator's wall clock on (archive names and times are by the second); its new time, in s. */
export async function advanceSimClock(sim: Sim, seconds: number): Promise<number> {
  const answer = (await simControl(sim, "clock", { advance_seconds: seconds })) as { data: { now: number } };
  return answer.data.now;
}

/** What registering the simulator as a host sends: its API, token, pinned certificate and SSH login. */
export function simHostBody(sim: RunningSimulator) {
  return {
    name: "sim",
    api_url: sim.apiUrl,
    token_id: sim.tokenId,
    token_secret: sim.tokenSecret,
    ...(sim.fingerprint ? { fingerprint: sim.fingerprint } : {}),
    ssh: { host: sim.sshHost, port: sim.sshPort, username: sim.sshUsername, password: sim.sshPassword },
  };
}
