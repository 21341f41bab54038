/**
 * Choosing a node and a VMID for a new container. Capacity comes from Proxmox (configured memory of the
 * containers on each node, free rootfs storage); apps whose container Proxmox does not list yet (in flight,
 * or created after the snapshot) are subtracted as reservations, and the choice is written to the app row
 * while holding a per-host advisory lock, so concurrent deploys see each other.
 */
import { and, eq, isNotNull, ne, notInArray, sql } from "drizzle-orm";
import { AppServiceError } from "../../core/errors.ts";
import type { Db } from "../../db/connect.ts";
import { rowsOf } from "../../db/rows.ts";
import { type AppResources, applications } from "../../db/schema.ts";
import { type ProxmoxClient, ProxmoxError, pickStorage, type StorageSetting } from "../../proxmox/index.ts";

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

export interface NodeCapacity {
  node: string;
  /** Node RAM minus the configured memory of every container on it (running or not). */
  freeMemory: number;
  /** Free space on the rootfs storage (already net of existing volumes). */
  freeDisk: number;
  /** Containers Proxmox already lists on the node: their reservations are already counted above. */
  vmids: Set<number>;
}

/**
 * Capacity by configured memory, not by PVE's live `mem` (actual use): an admin expects the memory given to
 * containers not to exceed the node's RAM, and a container that was just created uses none yet.
 * The rootfs storage is chosen per node by content type (see storage-choice.ts). A node pveproxy cannot
 * reach (HTTP 595/596) is skipped, not fatal: `onSkip` says why.
 */
export async function liveCapacity(
  client: ProxmoxClient,
  rootfsStorage: StorageSetting,
  onSkip: (node: string, reason: string) => unknown = () => {},
): Promise<NodeCapacity[]> {
  const nodes = await client.listNodes();
  if (nodes.some((n) => n.status === "online" && n.maxmem === undefined)) {
    // PVE leaves the stats out of /nodes when the token lacks Sys.Audit on the node.
    throw new AppServiceError(
      "Proxmox does not show node memory to this API token: grant it Sys.Audit on /nodes (see the host's preflight test)",
      { step: "place" },
      { code: "CONFLICT" },
    );
  }
  const measured = await Promise.all(
    nodes
      .filter((n) => n.status === "online")
      .map(async (n): Promise<NodeCapacity | undefined> => {
        try {
          // /nodes/{node}/lxc reads each container's config (maxmem is live); /cluster/resources lags ~10 s.
          const [storages, mine] = await Promise.all([client.listStorage(n.node), client.listLxc(n.node)]);
          let freeDisk = 0;
          try {
            freeDisk = pickStorage(storages, "rootfs", rootfsStorage, n.node).avail ?? 0;
          } catch (err) {
            await onSkip(n.node, err instanceof Error ? err.message : String(err));
          }
          return {
            node: n.node,
            freeMemory: (n.maxmem ?? 0) - mine.reduce((sum, g) => sum + (g.maxmem ?? 0), 0),
            freeDisk,
            // While `lock: create` is held the config has no memory yet and PVE reports the 512 MiB default:
            // such a container is not accounted for until created; until then the app's reservation counts.
            vmids: new Set(mine.filter((g) => g.lock !== "create").map((g) => Number(g.vmid))),
          };
        } catch (err) {
          if (err instanceof ProxmoxError && err.kind === "unreachable") {
            await onSkip(n.node, err.pveMessage);
            return undefined;
          }
          throw err;
        }
      }),
  );
  return measured.filter((c): c is NodeCapacity => c !== undefined);
}

/** Apps of the host holding a node's resources that a capacity snapshot may not list yet. */
async function reservations(db: Pick<Db, "select">, hostId: string, appId: string) {
  return db
    .select({ node: applications.node, vmid: applications.vmid, resources: applications.resources })
    .from(applications)
    .where(
      and(
        eq(applications.hostId, hostId),
        // Not only deploys in flight: an app that finished after our capacity snapshot was taken is
        // missing from it too. Apps whose container is known to be gone hold nothing.
        notInArray(applications.status, ["error", "missing"]),
        isNotNull(applications.node),
        ne(applications.id, appId),
      ),
    );
}

/** Each node's room after the reservations the snapshot does not show, most free memory first. */
function roomPerNode(capacity: NodeCapacity[], reserved: Awaited<ReturnType<typeof reservations>>) {
  return capacity
    .map((c) => {
      // Apps whose container the snapshot does not list (not created yet, or created after it was taken).
      const mine = reserved.filter((r) => r.node === c.node && (r.vmid === null || !c.vmids.has(r.vmid)));
      return {
        node: c.node,
        memory: c.freeMemory - mine.reduce((s, r) => s + r.resources.memory_mb * MIB, 0),
        disk: c.freeDisk - mine.reduce((s, r) => s + r.resources.disk_gb * GIB, 0),
      };
    })
    .sort((a, b) => b.memory - a.memory);
}

function noRoom(need: AppResources, preferred: string | undefined): string {
  return preferred
    ? `Node ${preferred} does not have ${need.memory_mb} MiB of memory and ${need.disk_gb} GiB of disk free`
    : `No online node has ${need.memory_mb} MiB of memory and ${need.disk_gb} GiB of disk free (after deployments in progress)`;
}

/**
 * Before a deploy is accepted: whether a node has room for it now (the check the place step makes again,
 * under its lock). Undefined when one has; otherwise what does not fit, as validation details naming the
 * field to change, with the most any node offers.
 */
export async function placementProblems(
  db: Db,
  hostId: string,
  appId: string,
  need: AppResources,
  capacity: NodeCapacity[],
  preferred?: string,
): Promise<{ field: string; message: string }[] | undefined> {
  const room = roomPerNode(capacity, await reservations(db, hostId, appId)).filter(
    (c) => !preferred || c.node === preferred,
  );
  if (room.some((c) => c.memory >= need.memory_mb * MIB && c.disk >= need.disk_gb * GIB)) return undefined;
  const where = preferred ? `node ${preferred} has` : "the most any online node has free is";
  const mostMemory = Math.max(0, ...room.map((c) => Math.floor(c.memory / MIB)));
  const mostDisk = Math.max(0, ...room.map((c) => Math.floor(c.disk / GIB)));
  const details = [];
  if (!room.some((c) => c.memory >= need.memory_mb * MIB))
    details.push({
      field: "resources.memory_mb",
      message: `does not fit: ${where} ${mostMemory} MiB${preferred ? " free" : ""}`,
    });
  if (!room.some((c) => c.disk >= need.disk_gb * GIB))
    details.push({
      field: "resources.disk_gb",
      message: `does not fit: ${where} ${mostDisk} GiB${preferred ? " free" : ""}`,
    });
  if (details.length === 0)
    details.push({ field: preferred ? "node" : "resources.memory_mb", message: noRoom(need, preferred) });
  return details;
}

/** Picks the node with the most free memory that fits, after reservations, and records it. */
export async function reserveNode(
  db: Db,
  appId: string,
  hostId: string,
  need: AppResources,
  capacity: NodeCapacity[],
  preferred?: string,
): Promise<string> {
  return db.transaction(async (tx) => {
    const t = tx;
    await t.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`place:${hostId}`}, 0))`);
    const fits = roomPerNode(capacity, await reservations(t, hostId, appId))
      .filter((c) => c.memory >= need.memory_mb * MIB && c.disk >= need.disk_gb * GIB)
      .filter((c) => !preferred || c.node === preferred);
    const chosen = fits[0];
    if (!chosen) {
      throw new AppServiceError(
        noRoom(need, preferred),
        { app_id: appId, step: "place" },
        { code: "CONFLICT" },
      );
    }
    await t.update(applications).set({ node: chosen.node }).where(eq(applications.id, appId));
    return chosen.node;
  });
}

/**
 * A VMID free both on Proxmox and among the VMIDs this host's apps have recorded but not created yet.
 * Recorded on the app row in the same locked transaction, before anything is created.
 */
export async function reserveVmid(
  db: Db,
  client: ProxmoxClient,
  appId: string,
  hostId: string,
): Promise<number> {
  return db.transaction(async (t) => {
    await t.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`vmid:${hostId}`}, 0))`);
    const candidate = await freeVmid(t, client, hostId, appId);
    await t.update(applications).set({ vmid: candidate }).where(eq(applications.id, appId));
    return candidate;
  });
}

/**
 * A VMID that PVE says is free and no other app of the host holds (a reservation whose container is not
 * created yet is invisible to PVE). Without the advisory lock of reserveVmid the caller must be ready for a
 * create that finds the id taken ("already exists") and try again.
 */
export async function freeVmid(
  db: Pick<Db, "execute">,
  client: ProxmoxClient,
  hostId: string,
  appId: string,
): Promise<number> {
  const taken = new Set(
    rowsOf<{ vmid: number }>(
      await db.execute(
        sql`select vmid from applications where host_id = ${hostId} and vmid is not null and id <> ${appId}`,
      ),
    ).map((r) => r.vmid),
  );
  let candidate = await client.nextId();
  for (let i = 0; i < 1000; i++, candidate++) {
    if (taken.has(candidate)) continue;
    // PVE answers 400 when the id is in use (by a VM, CT, or a pending create on another node).
    const free = await client.nextId(candidate).then(
      () => true,
      () => false,
    );
    if (free) return candidate;
  }
  throw new AppServiceError("No free VMID found", { app_id: appId, step: "place" });
}
