/**
 * LXC snapshots: create / list / rollback / delete, each a task holding a lock
 * (`snapshot`, `rollback`, `snapshot-delete`). Snapshots need storage support: lvmthin has it, a
 * raw file on a dir storage does not.
 */
import type { Container, Snapshot } from "./cluster.ts";
import { acquireFlock, bool, type Call, checkLock, startTask, str } from "./context.ts";
import { fail } from "./errors.ts";
import { copyGuestState } from "./guest.ts";
import { bootUp, powerDown } from "./lxc.ts";
import { configDigest, rootfsVolid } from "./lxc-config.ts";
import type { TaskContext } from "./tasks.ts";

/** Tracks which snapshot the live state descends from. */
const parents = new WeakMap<Container, string>();

export function listSnapshots(call: Call, node: string, vmid: number): unknown[] {
  const ct = call.sim.cluster.container(node, vmid);
  const out: unknown[] = ct.snapshots.map((s) => ({
    name: s.name,
    description: s.description,
    snaptime: s.snaptime,
    ...(s.parent ? { parent: s.parent } : {}),
  }));
  const parent = parents.get(ct);
  out.push({
    name: "current",
    description: "You are here!",
    digest: configDigest(ct.config),
    running: ct.status === "running" ? 1 : 0,
    ...(parent ? { parent } : {}),
  });
  return out;
}

export function createSnapshot(call: Call, node: string, vmid: number): string {
  const { sim, p } = call;
  const ct = sim.cluster.container(node, vmid);
  const name = str(p, "snapname")!;
  if (name === "current" || name === "vzdump") fail(`unable to use snapshot name '${name}' (reserved name)`);
  checkLock(ct);
  ct.config.lock = "snapshot";
  return startTask(
    call,
    node,
    "vzsnapshot",
    String(vmid),
    async (ctx) => {
      const release = await acquireFlock(sim, ct);
      try {
        if (ct.snapshots.some((s) => s.name === name))
          throw new Error(`snapshot name '${name}' already used`);
        const volid = rootfsVolid(ct.config) ?? "";
        const storage = sim.cluster.findVolume(node, volid)?.storage;
        if (storage?.type !== "lvmthin") throw new Error("snapshot feature is not available");
        await ctx.work(sim.rng.between(600, 1200));
        ctx.log(`  Logical volume "snap_${volid.split(":")[1]}_${name}" created.`);
        const config = { ...ct.config };
        delete config.lock;
        ct.snapshots.push({
          name,
          description: str(p, "description") ?? "",
          snaptime: sim.clock.now(),
          parent: parents.get(ct),
          config,
          guest: copyGuestState(ct.guest),
        });
        parents.set(ct, name);
      } finally {
        if (ct.config.lock === "snapshot") delete ct.config.lock;
        release();
      }
    },
    () => {
      if (ct.config.lock === "snapshot") delete ct.config.lock;
    },
  ).upid;
}

export function rollbackSnapshot(call: Call, node: string, vmid: number, name: string): string {
  const { sim, p } = call;
  return snapshotTask(call, node, vmid, name, "vzrollback", "rollback", async (ctx, ct, snap) => {
    if (ct.status === "running") {
      ctx.log("stopping CT before rollback");
      powerDown(ct);
    }
    await ctx.work(sim.rng.between(800, 1500));
    ct.config = { ...snap.config };
    ct.guest = copyGuestState(snap.guest);
    parents.set(ct, name);
    ctx.log(`  Logical volume "${rootfsVolid(ct.config)?.split(":")[1]}" successfully rolled back.`);
    if (bool(p, "start")) {
      await ctx.work(sim.rng.between(1000, 2000));
      bootUp(sim, ct);
    }
  });
}

export function deleteSnapshot(call: Call, node: string, vmid: number, name: string): string {
  const { sim } = call;
  return snapshotTask(call, node, vmid, name, "vzdelsnapshot", "snapshot-delete", async (ctx, ct, snap) => {
    await ctx.work(sim.rng.between(500, 1000));
    // Children of the deleted snapshot now descend from its parent.
    for (const s of ct.snapshots) if (s.parent === name) s.parent = snap.parent;
    if (parents.get(ct) === name) {
      if (snap.parent) parents.set(ct, snap.parent);
      else parents.delete(ct);
    }
    ct.snapshots = ct.snapshots.filter((s) => s !== snap);
    ctx.log(`  Logical volume "snap_${rootfsVolid(ct.config)?.split(":")[1]}_${name}" successfully removed.`);
  });
}

/**
 * A task on an existing snapshot (rollback, delete): under the container's flock, the config holding `lock`
 * while `work` runs; the lock is cleared afterwards, also when `work` fails.
 */
function snapshotTask(
  call: Call,
  node: string,
  vmid: number,
  name: string,
  type: string,
  lock: string,
  work: (ctx: TaskContext, ct: Container, snap: Snapshot) => Promise<void>,
): string {
  const { sim } = call;
  const ct = sim.cluster.container(node, vmid);
  checkLock(ct);
  return startTask(call, node, type, String(vmid), async (ctx) => {
    const release = await acquireFlock(sim, ct);
    try {
      const snap = ct.snapshots.find((s) => s.name === name);
      if (!snap) throw new Error(`snapshot '${name}' does not exist`);
      ct.config.lock = lock;
      await work(ctx, ct, snap);
    } finally {
      if (ct.config.lock === lock) delete ct.config.lock;
      release();
    }
  }).upid;
}
