/** What a new backup row takes from its app, for manual and scheduled backups alike. */

import { ConflictError } from "../../core/errors.ts";
import type { Application } from "../../db/schema.ts";

export function backupRowFor(app: Application) {
  if (app.node === null || app.vmid === null) throw new ConflictError("The app has no container to back up");
  return {
    appId: app.id,
    appHostname: app.hostname,
    ownerId: app.ownerId,
    hostId: app.hostId,
    node: app.node,
    vmid: app.vmid,
    catalogVersion: app.catalogVersion,
    ociImage: app.ociImage,
  };
}
