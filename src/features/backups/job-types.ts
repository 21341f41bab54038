/** The backup job types: kind, payload schema and steps. The service and scheduler enqueue with these. */
import { z } from "zod";
import { defineJob } from "../../queue/define.ts";

export const BACKUP_STEPS = ["begin", "vzdump", "wait", "record", "finish", "prune"] as const;
export const RESTORE_STEPS = ["inspect", "stop", "restore", "start", "network", "health", "finish"] as const;

/**
 * A manual backup names the row its request created (`backup_id`); a scheduled one carries its schedule
 * `slot` and creates the row when it runs.
 */
export const BackupAppJob = defineJob({
  kind: "backup_app",
  payload: z.object({
    app_id: z.string().uuid(),
    backup_id: z.string().uuid().optional(),
    scheduled: z.boolean().optional(),
    slot: z.string().optional(),
  }),
  steps: BACKUP_STEPS,
  maxAttempts: 5,
});

export const RestoreAppJob = defineJob({
  kind: "restore_app",
  payload: z.object({ app_id: z.string().uuid(), backup_id: z.string().uuid() }),
  steps: RESTORE_STEPS,
  maxAttempts: 5,
});
