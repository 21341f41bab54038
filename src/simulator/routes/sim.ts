/**
 * Simulator-only control routes under `/_sim` (they do not exist on real PVE; the real client never
 * calls them). JSON in and out, authenticated with the simulator's own credentials.
 */
import type { ServerResponse } from "node:http";
import { z } from "zod";
import type { Sim } from "../context.ts";
import { faultInputSchema } from "../faults.ts";
import { send } from "../reply.ts";
import { snapshotState } from "../state.ts";

const sshKeySchema = z.object({ public_key: z.string().min(1) });
const clockSchema = z.object({ advance_seconds: z.number() });

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

export function handleSimRoute(sim: Sim, method: string, path: string, body: Buffer, res: ServerResponse) {
  const json = parseJson(body);
  const bad = (message: string) => send(res, 400, "Bad Request", { data: null, message: `${message}\n` });
  const route = `${method} ${path}`;
  switch (route) {
    case "GET /_sim/state":
      return send(res, 200, "OK", { data: snapshotState(sim) });
    case "GET /_sim/faults":
      return send(res, 200, "OK", { data: sim.faults.list() });
    case "POST /_sim/faults": {
      const parsed = faultInputSchema.safeParse(json);
      if (!parsed.success) return bad(parsed.error.message);
      const fault = sim.faults.add(parsed.data);
      if (fault.action === "lose_container" && fault.path === "*") {
        // Immediate loss: the container vanishes as if deleted behind PVE's back.
        for (const ct of [...sim.cluster.containers.values()]) {
          if (fault.vmid === undefined || ct.vmid === fault.vmid) sim.cluster.destroy(ct);
        }
        sim.faults.clearOne(fault.id);
      }
      return send(res, 200, "OK", { data: { id: fault.id } });
    }
    case "DELETE /_sim/faults":
      sim.faults.clear();
      return send(res, 200, "OK", { data: null });
    case "POST /_sim/ssh-keys": {
      const parsed = sshKeySchema.safeParse(json);
      if (!parsed.success) return bad(parsed.error.message);
      sim.authorizedKeys.add(parsed.data.public_key.trim());
      return send(res, 200, "OK", { data: null });
    }
    case "POST /_sim/clock": {
      const parsed = clockSchema.safeParse(json);
      if (!parsed.success) return bad(parsed.error.message);
      sim.clock.advance(parsed.data.advance_seconds);
      return send(res, 200, "OK", { data: { now: sim.clock.now() } });
    }
    default:
      return send(res, 404, "Not Found", { data: null, message: `no simulator route '${route}'\n` });
  }
}
