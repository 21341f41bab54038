/** Proxmox side of backups: finding the volume a vzdump task made, and deleting a backup volume. */
import type { Backup } from "../../db/schema.ts";
import {
  type ProxmoxClient,
  ProxmoxError,
  parseUpid,
  type StorageVolume,
  type WaitForTaskOptions,
  waitForTask,
} from "../../proxmox/index.ts";

/** The notes line every Proximity backup carries: it names the app and the backup row. */
export function backupNotes(hostname: string, backupId: string): string {
  return `Proximity app ${hostname} (backup ${backupId})`;
}

/**
 * The volume this backup's vzdump task created: the one whose notes name the backup id; else (storage
 * that drops notes) the only new archive of the CT whose time lies within the task's run. Never "the newest
 * file": another backup of the same CT made meanwhile (a manual vzdump) must not be taken for ours.
 */
export function findBackupVolume(
  volumes: readonly StorageVolume[],
  opts: {
    backupId: string;
    vmid: number;
    upid: string;
    finishedAt: number;
    knownVolids: ReadonlySet<string>;
  },
): StorageVolume | undefined {
  const own = volumes.filter((v) => v.vmid === undefined || Number(v.vmid) === opts.vmid);
  const byNotes = own.find((v) => v.notes?.includes(opts.backupId));
  if (byNotes) return byNotes;
  const started = parseUpid(opts.upid).starttime;
  const inWindow = own.filter(
    (v) =>
      !opts.knownVolids.has(v.volid) &&
      v.ctime !== undefined &&
      v.ctime >= started - 1 &&
      v.ctime <= opts.finishedAt + 1 &&
      !v.notes,
  );
  return inWindow.length === 1 ? inWindow[0] : undefined;
}

const GONE = /does not exist|no such (volume|file)|not found/i;

/** Removes a backup's volume; a volume that is already gone is fine (the goal is reached). */
export async function deleteBackupVolume(
  client: ProxmoxClient,
  backup: Pick<Backup, "node" | "storage" | "volid">,
  wait: WaitForTaskOptions,
): Promise<"deleted" | "already_gone" | "no_volume"> {
  if (!backup.volid) return "no_volume";
  try {
    const upid = await client.deleteVolume(backup.node, backup.storage, backup.volid);
    if (upid) {
      const status = await waitForTask(client, backup.node, upid, wait);
      // PVE (and the simulator) end an imgdel of a missing volume with a warning, not an error.
      if (status.exitstatus?.startsWith("WARNINGS")) return "already_gone";
    }
    return "deleted";
  } catch (err) {
    if (err instanceof ProxmoxError && GONE.test(`${err.pveMessage} ${(err.taskLog ?? []).join(" ")}`)) {
      return "already_gone";
    }
    throw err;
  }
}
