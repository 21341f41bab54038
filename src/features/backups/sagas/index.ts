/** The backups feature's sagas, as the container registers them: backup_app and restore_app. */
import { implementJob, type JobImplementation } from "../../../queue/define.ts";
import type { AppDeps } from "../../apps/index.ts";
import { BackupAppJob, RestoreAppJob } from "../job-types.ts";
import { backup, compensateBackup } from "./backup.ts";
import { compensateRestore, restore } from "./restore.ts";

export { failOrphanedBackups } from "./backup.ts";

export function backupJobs(deps: AppDeps): JobImplementation[] {
  return [
    implementJob(BackupAppJob, {
      run: (ctx) => backup(deps, ctx),
      compensate: (ctx, err) => compensateBackup(deps, ctx, err),
    }),
    implementJob(RestoreAppJob, {
      run: (ctx) => restore(deps, ctx),
      compensate: (ctx, err) => compensateRestore(deps, ctx, err),
    }),
  ];
}
