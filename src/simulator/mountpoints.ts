/**
 * Volume mount points (`mpN`): allocated by create (`mp0=<storage>:<GiB>,mp=/data`) and restore, copied by a
 * full clone and by vzdump (when `backup=1`), and handed from one container to another by `move_volume`
 * with `target-vmid` (pve-container API2/LXC.pm: the volume is renamed to the target's `vm-<id>-disk-N`, its
 * key leaves the source config and appears in the target's).
 *
 * A volume carries the files an application wrote on it (`Volume.files`), so a test can see that data
 * survived an update, a restore or a clone: an application container writes its data under the image's
 * declared volume paths, on the mount point there if there is one, else into its root filesystem.
 */
import { requirePriv } from "./acl.ts";
import type { Cluster, Container, LxcConfig, SimNode, Storage, Volume } from "./cluster.ts";
import { GIB } from "./cluster.ts";
import { type Call, checkLock, num, startTask, str } from "./context.ts";
import { fail, paramFail } from "./errors.ts";
import { formatSize, parseProps, parseSize, printProps } from "./lxc-config.ts";

/** mp0, mp1, … present in a config, in numeric order. */
export function mountKeys(config: LxcConfig): string[] {
  return Object.keys(config)
    .filter((k) => /^mp\d+$/.test(k))
    .sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)));
}

/** A mount point to allocate: where, how large, its other options and (restore) the data it brings. */
export interface MountPlan {
  key: string;
  storage: Storage;
  size: number;
  options: Map<string, string>;
  files?: Record<string, string>;
}

/**
 * create: every `mpN=<storage>:<GiB>,mp=<path>` asks for a new volume. A bind mount (a host path) or an
 * existing volume is kept as given.
 */
export function planCreateMounts(call: Call, node: SimNode, p: Record<string, unknown>): MountPlan[] {
  const plans: MountPlan[] = [];
  for (const key of Object.keys(p).filter((k) => /^mp\d+$/.test(k))) {
    const options = parseProps(String(p[key]));
    const volume = options.get("volume") ?? "";
    const alloc = /^([^:/]+):(\d+(?:\.\d+)?)$/.exec(volume);
    if (!alloc) continue;
    const storage = node.storages.get(alloc[1]!);
    if (!storage) fail(`storage '${alloc[1]}' does not exist`);
    if (!storage.content.includes("rootdir")) {
      paramFail({ [key]: `storage '${storage.id}' does not support container directories` });
    }
    requirePriv(call, `/storage/${storage.id}`, ["Datastore.AllocateSpace"]);
    options.delete("volume");
    options.delete("size");
    plans.push({ key, storage, size: Math.round(Number(alloc[2]) * GIB), options });
  }
  return plans;
}

/** What vzdump keeps of a mount point that is backed up: its size and data. */
export interface BackedUpMount {
  size: number;
  files: Record<string, string>;
}

/**
 * restore: PVE allocates every volume of the backed-up config on the one storage given; a mount point that
 * was excluded from the backup (`backup` not set) comes back empty.
 */
export function planRestoreMounts(
  config: LxcConfig,
  mounts: Record<string, BackedUpMount> | undefined,
  storage: Storage,
): MountPlan[] {
  return mountKeys(config).flatMap((key) => {
    const options = parseProps(String(config[key]));
    if (!options.get("volume")?.includes(":")) return [];
    const size = mounts?.[key]?.size ?? parseSize(options.get("size") ?? "1G");
    options.delete("volume");
    options.delete("size");
    return [{ key, storage, size, options, files: { ...(mounts?.[key]?.files ?? {}) } }];
  });
}

/** Allocates the planned volumes for `vmid` and returns the config value of each key. */
export function allocMounts(
  cluster: Cluster,
  vmid: number,
  plans: MountPlan[],
  log: (line: string) => void,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const plan of plans) {
    const vol = cluster.allocDisk(plan.storage, vmid, plan.size);
    if (plan.files && Object.keys(plan.files).length) vol.files = { ...plan.files };
    log(`  Logical volume "${vol.volid.split(":")[1]}" created.`);
    const options = new Map(plan.options);
    options.set("size", formatSize(plan.size));
    out[plan.key] = printProps(new Map([["volume", vol.volid], ...options]), "volume");
  }
  return out;
}

/** The volume behind a config key, when it is a volume (not a bind mount). */
export function mountVolume(cluster: Cluster, ct: Container, key: string): Volume | undefined {
  const value = ct.config[key];
  if (value === undefined) return undefined;
  const volid = parseProps(String(value)).get("volume") ?? "";
  return cluster.findVolume(ct.node, volid)?.volume;
}

/** vzdump: the mount points it includes (backup=1) with their data, logging as VZDump/LXC.pm does. */
export function backUpMounts(
  cluster: Cluster,
  ct: Container,
  log: (line: string) => void,
): Record<string, BackedUpMount> {
  const out: Record<string, BackedUpMount> = {};
  for (const key of mountKeys(ct.config)) {
    const options = parseProps(String(ct.config[key]));
    const path = options.get("mp") ?? "?";
    if (options.get("backup") !== "1") {
      log(`INFO: excluding volume mount point ${key} ('${path}') from backup (disabled)`);
      continue;
    }
    log(`INFO: including mount point ${key} ('${path}') in backup`);
    const volume = mountVolume(cluster, ct, key);
    out[key] = { size: volume?.size ?? parseSize(options.get("size") ?? "0"), files: { ...volume?.files } };
  }
  return out;
}

/** A full clone copies every volume mount point onto the clone's storage, with its data. */
export function cloneMounts(
  cluster: Cluster,
  src: Container,
  base: LxcConfig,
  storage: Storage,
  newid: number,
  log: (line: string) => void,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of mountKeys(base)) {
    const options = parseProps(String(base[key]));
    const volid = options.get("volume") ?? "";
    const source = cluster.findVolume(src.node, volid)?.volume;
    if (!source) continue;
    log(`create full clone of mountpoint ${key} (${volid})`);
    const vol = cluster.allocDisk(storage, newid, source.size);
    if (source.files) vol.files = { ...source.files };
    options.set("volume", vol.volid);
    out[key] = printProps(options, "volume");
  }
  return out;
}

/** Whether a snapshot of the container refers to the volume (PVE refuses to move such a volume away). */
function usedBySnapshot(ct: Container, volid: string): boolean {
  return ct.snapshots.some((s) =>
    Object.entries(s.config).some(
      ([k, v]) => (k === "rootfs" || /^mp\d+$/.test(k)) && parseProps(String(v)).get("volume") === volid,
    ),
  );
}

/**
 * POST /nodes/{node}/lxc/{vmid}/move_volume → UPID (`move_volume`). Only the reassign form (`target-vmid`)
 * is modelled; moving to another storage is refused as not simulated.
 */
export function moveVolume(call: Call, nodeName: string, vmid: number): string {
  const { sim, p } = call;
  const { cluster } = sim;
  const key = str(p, "volume")!;
  const targetVmid = num(p, "target-vmid");
  const targetKey = str(p, "target-volume") ?? key;
  const storage = str(p, "storage");
  if (targetVmid !== undefined && storage) {
    const msg = "either set 'storage' or 'target-vmid', but not both";
    paramFail({ "target-vmid": msg, storage: msg });
  }
  if (storage) fail("moving a volume to another storage is not modelled by the simulator");
  if (targetVmid === undefined) {
    const msg = "both 'storage' and 'target-vmid' missing, either needs to be set";
    paramFail({ "target-vmid": msg, storage: msg });
  }
  if (key === "rootfs" || targetKey === "rootfs") fail("Cannot move to/from 'rootfs'");
  if (/^unused\d+$/.test(key) && !/^unused\d+$/.test(targetKey)) {
    fail("Moving an unused volume to a used one is not possible");
  }
  const src = cluster.containers.get(vmid);
  if (!src) fail(`could not find CT ${vmid}`);
  const dst = cluster.containers.get(targetVmid);
  if (!dst) fail(`could not find CT ${targetVmid}`);
  if (src.node !== dst.node) fail(`Both containers need to be on the same node (${src.node} != ${dst.node})`);
  if (src.node !== nodeName) fail(`Configuration file 'nodes/${nodeName}/lxc/${vmid}.conf' does not exist`);
  checkLock(src);
  checkLock(dst);
  if (src.config.template || dst.config.template) fail("Can't move volumes from or to template CT");
  if (src.config[key] === undefined) fail(`volume '${key}' for container '${vmid}' does not exist`);
  if (dst.config[targetKey] !== undefined) {
    fail(`Target volume key '${targetKey}' is already in use for container '${targetVmid}'`);
  }
  const options = parseProps(String(src.config[key]));
  const found = cluster.findVolume(src.node, options.get("volume") ?? "");
  if (!found) fail(`Volume '${key}' has no associated image`);
  if (usedBySnapshot(src, found.volume.volid)) {
    fail("Cannot move volume used by a snapshot to another container");
  }
  if (src.status === "running" && !/^unused\d+$/.test(key)) {
    fail("Cannot move in-use volume while the source CT is running - detach or shutdown first");
  }
  if (vmid !== targetVmid) requirePriv(call, `/vms/${targetVmid}`, ["VM.Config.Disk"]);
  requirePriv(call, `/storage/${found.storage.id}`, ["Datastore.AllocateSpace"]);

  return startTask(
    call,
    nodeName,
    "move_volume",
    `${vmid}-${key}>${targetVmid}-${targetKey}`,
    async (ctx) => {
      ctx.log(`moving volume '${key}' from container '${vmid}' to '${targetVmid}'`);
      await ctx.work(sim.rng.between(300, 800));
      // Checked again under the locks, as the worker does: the configs may have changed meanwhile.
      if (dst.config[targetKey] !== undefined) {
        throw new Error(`Target volume key '${targetKey}' is already in use for container '${targetVmid}'`);
      }
      if (src.status === "running") {
        throw new Error(
          "Cannot move in-use volume while the source CT is running - detach or shutdown first",
        );
      }
      const renamed = renameVolume(cluster, found.storage, found.name, targetVmid);
      delete src.config[key];
      ctx.log(`removing volume '${key}' from container '${vmid}' config`);
      if (/^unused\d+$/.test(targetKey)) {
        dst.config[targetKey] = renamed.volid;
      } else {
        options.set("volume", renamed.volid);
        dst.config[targetKey] = printProps(options, "volume");
      }
      ctx.log(`target container '${targetVmid}' updated with '${targetKey}'`);
    },
  ).upid;
}

/** Storage rename_volume: the volume gets the target's next free `vm-<id>-disk-N` name. */
function renameVolume(cluster: Cluster, storage: Storage, name: string, vmid: number): Volume {
  const volume = storage.volumes.get(name)!;
  const newName = cluster.freeDiskName(storage, vmid);
  storage.volumes.delete(name);
  const moved: Volume = { ...volume, volid: `${storage.id}:${newName}`, vmid };
  storage.volumes.set(newName, moved);
  return moved;
}
