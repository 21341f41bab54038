/**
 * Whether an app has an update: the version it runs against its catalog entry's current version (built-in,
 * operator or store entry), with the entry's `update_policy` deciding whether the move is safe in place.
 * `moved` is the opt-in registry digest check's word for a tag that did not change in the catalog.
 */
import type { Application } from "../../db/schema.ts";
import type { CatalogEntry } from "../catalog/catalog.schemas.ts";
import { updateRefusal } from "../catalog/index.ts";

export interface CatalogLookup {
  get(id: string): CatalogEntry | undefined;
}

export interface UpdateInfo {
  available: boolean;
  current: string | null;
  latest: string | null;
  policy: {
    mode: Application["updateMode"];
    window: string | null;
    /** The entry's `update_policy`: which moves are safe in place. */
    catalog: CatalogEntry["update_policy"] | null;
  };
  /** The entry's upgrade notes, when there is an update. */
  notes: string | null;
  /** Why this update is not done in place (and never automatically). */
  unsafe_reason?: string;
  /** Why updates cannot be tracked at all: the entry runs images without a version (docs/catalog.md). */
  untracked?: string;
}

export function updateInfo(
  app: Pick<Application, "catalogId" | "catalogVersion" | "updateMode" | "updateWindow">,
  catalog: CatalogLookup,
  moved = false,
): UpdateInfo {
  const entry = app.catalogId ? catalog.get(app.catalogId) : undefined;
  const policy = { mode: app.updateMode, window: app.updateWindow, catalog: entry?.update_policy ?? null };
  const current = app.catalogVersion;
  if (!entry || current === null) return { available: false, current, latest: null, policy, notes: null };
  if (entry.unpinned_images.length > 0) {
    // `latest` moves under the same name: no version to compare, so no update is ever offered.
    return {
      available: false,
      current,
      latest: entry.version,
      policy,
      notes: null,
      untracked: `image not pinned (${entry.unpinned_images.join(", ")}): Proximity cannot offer updates`,
    };
  }
  const available = entry.version !== current || moved;
  const unsafe = available ? updateRefusal(entry, current) : undefined;
  return {
    available,
    current,
    latest: entry.version,
    policy,
    notes: available ? entry.upgrade : null,
    ...(unsafe ? { unsafe_reason: unsafe } : {}),
  };
}
