/**
 * What guards an update: a PVE snapshot where the container's storage can take one (LVM-thin, ZFS, Ceph
 * RBD, Btrfs), else a vzdump backup of the container (a directory, NFS or thick-LVM storage), restored over
 * it when the update fails. The backup goes to the backup storage of the settings and is deleted once the
 * app answers again (updated, or restored); it is not one of the app's backups (it never shows in its list).
 */
import { AppServiceError } from "../../core/errors.ts";
import type { AppRun } from "./runtime.ts";

/** Storage types whose container volumes PVE can snapshot. */
const SNAPSHOT_STORAGE = new Set(["lvmthin", "zfspool", "rbd", "btrfs"]);

/** The storage of the container's root disk, from its config (`local-lvm:vm-100-disk-0,size=8G`). */
export function rootfsStorageOf(rootfs: string | undefined): string | undefined {
  const volume = rootfs?.split(",")[0];
  const colon = volume?.indexOf(":") ?? -1;
  return colon > 0 ? volume!.slice(0, colon) : undefined;
}

/** Whether the container's root disk is on a storage that can snapshot (and which storage it is). */
export async function canSnapshot(run: AppRun): Promise<{ ok: boolean; storage: string | undefined }> {
  const config = await run.client.lxcConfig(run.node, run.vmid);
  const storage = rootfsStorageOf(config.rootfs);
  if (!storage) return { ok: true, storage };
  const [entry] = await run.client.listStorage(run.node, { storage });
  return { ok: entry ? SNAPSHOT_STORAGE.has(entry.type) : true, storage };
}

/** The notes that find the guard backup of one job again (never "the newest archive"). */
const notesOf = (jobId: string) => `Proximity update guard (job ${jobId})`;

/** A vzdump of the container to the backup storage; returns the archive's volume id. */
export async function takeGuardBackup(run: AppRun, storage: string): Promise<string> {
  const notes = notesOf(run.ctx.job.id);
  const find = async () =>
    (await run.client.storageContent(run.node, storage, "backup", run.vmid)).find((v) =>
      v.notes?.includes(notes),
    );
  // A resumed step whose vzdump finished already finds its archive.
  const earlier = await find();
  if (earlier) return earlier.volid;
  const upid = await run.client.vzdump(run.node, {
    vmid: run.vmid,
    storage,
    mode: "snapshot",
    compress: "zstd",
    notesTemplate: notes,
    remove: false,
  });
  if (!upid)
    throw new AppServiceError(`CT ${run.vmid} is not on ${run.node} any more`, run.errorContext("snapshot"));
  await run.waitTask(upid, run.node, "backup");
  const volume = await find();
  if (!volume)
    throw new AppServiceError(
      `vzdump finished but its archive of CT ${run.vmid} is not on ${storage}`,
      run.errorContext("snapshot"),
    );
  return volume.volid;
}

/** The container replaced by the guard backup (stopped first), on the storage its root disk was on. */
export async function restoreGuardBackup(run: AppRun, volid: string, storage: string | undefined) {
  const status = await run.client.lxcStatus(run.node, run.vmid).catch(() => null);
  if (status?.status === "running") {
    await run.waitTask(await run.client.stopLxc(run.node, run.vmid));
    await run.waitForState("stopped");
  }
  const upid = await run.client.createLxc(run.node, {
    vmid: run.vmid,
    ostemplate: volid,
    restore: true,
    force: true,
    ...(storage ? { storage } : {}),
  });
  await run.waitTask(upid);
}

/** Deletes the guard backup once the update worked (a failure to is a warning, not a failed update). */
export async function dropGuardBackup(run: AppRun, volid: string): Promise<void> {
  const storage = volid.split(":")[0]!;
  await run.waitTask(await run.client.deleteVolume(run.node, storage, volid), run.node, "volume");
}
