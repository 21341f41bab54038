/** What the backup and restore sagas share: the backup row, and the task log of a failed PVE task. */
import { eq } from "drizzle-orm";
import { AppServiceError } from "../../../core/errors.ts";
import type { Db } from "../../../db/connect.ts";
import { type Backup, backups } from "../../../db/schema.ts";
import { ProxmoxError } from "../../../proxmox/index.ts";
import type { AppRun } from "../../apps/index.ts";

export async function loadBackup(db: Db, id: string): Promise<Backup> {
  const [row] = await db.select().from(backups).where(eq(backups.id, id));
  if (!row) throw new AppServiceError("The backup record no longer exists", { operation: "backup" });
  return row;
}

/** Log lines of a failed PVE task, so the user sees what vzdump or the restore said. */
export async function logTaskTail(run: AppRun, err: unknown, step?: string): Promise<void> {
  if (!(err instanceof ProxmoxError) || !err.taskLog?.length) return;
  for (const line of err.taskLog.slice(-10)) await run.log(`  ${line}`, "error", step);
}
