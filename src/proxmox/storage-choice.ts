/**
 * Which storage of a node holds what. Storage names depend on how PVE was installed (`local-lvm` only on
 * LVM-thin, `local-zfs` on ZFS, `local-btrfs` on Btrfs, plain `local` on a dir install, Ceph/NFS
 * elsewhere), so the choice is made per node from the storages' content types. A storage the admin set
 * in the settings wins where the node has it; the built-in defaults are only preferences.
 */

/** A storage setting: the name, and whether the admin chose it (else it is the built-in default). */
export interface StorageSetting {
  name: string;
  chosen: boolean;
}

import { AppServiceError } from "../core/errors.ts";
import type { ProxmoxClient } from "./client.ts";
import type { StorageEntry } from "./types.ts";

export type StorageRole = "rootfs" | "templates" | "backups";
const CONTENT: Record<StorageRole, "rootdir" | "vztmpl" | "backup"> = {
  rootfs: "rootdir",
  templates: "vztmpl",
  backups: "backup",
};

function usable(s: StorageEntry): boolean {
  return s.active !== 0 && s.active !== false && s.enabled !== 0 && s.enabled !== false;
}

/** Picks from a node's storage list (already filtered by content or not). */
export function pickStorage(
  storages: StorageEntry[],
  role: StorageRole,
  setting: StorageSetting,
  node: string,
): StorageEntry {
  const configured = setting.name;
  const content = CONTENT[role];
  const fitting = storages.filter((s) => (s.content ?? "").split(",").includes(content) && usable(s));
  const set = fitting.find((s) => s.storage === configured);
  if (set) return set;
  if (setting.chosen) {
    const exists = storages.some((s) => s.storage === configured);
    throw new AppServiceError(
      exists
        ? `Storage ${configured} on node ${node} does not hold ${content} content (or is inactive); allow "${content}" on it in Proxmox or choose another storage in the settings`
        : `Node ${node} has no storage named ${configured} (set in the settings for ${role}); it has ${fitting.map((s) => s.storage).join(", ") || "no storage"} for ${content}`,
      { node, step: "place" },
      { code: "CONFLICT" },
    );
  }
  const best = [...fitting].sort((a, b) => (b.avail ?? 0) - (a.avail ?? 0))[0];
  if (!best) {
    throw new AppServiceError(
      `Node ${node} has no active storage with content "${content}"; enable it on a storage in Proxmox (Datacenter → Storage)`,
      { node, step: "place" },
      { code: "CONFLICT" },
    );
  }
  return best;
}

export async function storageFor(
  client: ProxmoxClient,
  node: string,
  role: StorageRole,
  setting: StorageSetting,
): Promise<string> {
  const storages = await client.listStorage(node, { content: CONTENT[role], enabled: true });
  return pickStorage(storages, role, setting, node).storage;
}

/** "local-lvm:vm-101-disk-0,size=8G" → bytes; undefined when the size is not stated. */
export function rootfsSizeBytes(rootfs: string | undefined): number | undefined {
  const m = /(?:^|,)size=(\d+(?:\.\d+)?)([KMGT]?)(?:,|$)/.exec(rootfs ?? "");
  if (!m) return undefined;
  const unit = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[
    m[2] as "" | "K" | "M" | "G" | "T"
  ];
  return Math.round(Number(m[1]) * unit);
}
