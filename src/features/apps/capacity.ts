/**
 * Checks made before a request is accepted, so that what cannot fit is refused with a reason beside the
 * field to change instead of failing later in a job: a new app no node has room for (the place step's own
 * computation, placement.ts), and a resize the app's node cannot take. When Proxmox cannot be read, the
 * checks step aside and the job's own steps meet and report the problem.
 */
import { ValidationError } from "../../core/errors.ts";
import type { Application, AppResources } from "../../db/schema.ts";
import { storageSetting } from "../settings/settings.schemas.ts";
import { liveCapacity, type NodeCapacity, placementProblems } from "./placement.ts";
import type { AppDeps } from "./runtime.ts";

/** A UUID no app has: placement checks for a new app exclude nothing. */
const NO_APP = "00000000-0000-0000-0000-000000000000";
const MIB = 1024 * 1024;

/** The host's nodes as Proxmox reports them now, or undefined when they cannot be read. */
async function capacityOf(deps: AppDeps, hostId: string): Promise<NodeCapacity[] | undefined> {
  try {
    const settings = await deps.settings.get();
    return await liveCapacity(await deps.hosts.client(hostId), storageSetting(settings, "rootfs"));
  } catch {
    return undefined;
  }
}

/** Refuses (422, beside the field to change) an app no node has room for now. */
export async function assertPlaceable(
  deps: AppDeps,
  hostId: string,
  need: AppResources,
  node?: string,
  appId?: string,
): Promise<void> {
  const capacity = await capacityOf(deps, hostId);
  if (!capacity) return;
  const problems = await placementProblems(deps.db, hostId, appId ?? NO_APP, need, capacity, node);
  if (problems) throw new ValidationError("No node has room for this app now", problems);
}

/**
 * A resize the app's node cannot take, as validation details (Proxmox would refuse it in the job): more
 * cores than the node has CPUs, more memory than it has free.
 */
export async function nodeRoomProblems(
  deps: AppDeps,
  app: Application,
  wanted: Partial<AppResources>,
): Promise<{ field: string; message: string }[]> {
  if (app.node === null || (wanted.cores === undefined && wanted.memory_mb === undefined)) return [];
  const details: { field: string; message: string }[] = [];
  if (wanted.cores !== undefined && wanted.cores > app.resources.cores) {
    const node = (await deps.hosts.nodesOf(app.hostId)).find((n) => n.name === app.node);
    if (node?.maxCpu && wanted.cores > node.maxCpu)
      details.push({ field: "resources.cores", message: `node ${app.node} has ${node.maxCpu} CPUs` });
  }
  const growth = (wanted.memory_mb ?? app.resources.memory_mb) - app.resources.memory_mb;
  if (growth > 0) {
    const room = (await capacityOf(deps, app.hostId))?.find((c) => c.node === app.node);
    const free = room ? Math.max(0, Math.floor(room.freeMemory / MIB)) : undefined;
    if (free !== undefined && growth > free)
      details.push({
        field: "resources.memory_mb",
        message: `node ${app.node} has ${free} MiB free: at most ${app.resources.memory_mb + free} MiB`,
      });
  }
  return details;
}
