/**
 * A storage from the settings, and whether the admin chose it: the built-in defaults (`local-lvm`,
 * `local`) are only preferences, since storage names depend on how each node was installed.
 */
import type { StorageRole, StorageSetting } from "../../proxmox/index.ts";
import { DEFAULT_SETTINGS, type Settings } from "../settings/settings.schemas.ts";

export function storageSetting(settings: Settings, role: StorageRole): StorageSetting {
  const name = settings.storage[role];
  return { name, chosen: name !== DEFAULT_SETTINGS.storage[role] };
}
