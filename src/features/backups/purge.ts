/** Deleting an app with keep_backups=false: every backup volume of the app, then its rows. */
import { eq } from "drizzle-orm";
import { backups } from "../../db/schema.ts";
import { type AppRun, taskWait } from "../apps/index.ts";
import { deleteBackupVolume } from "./volumes.ts";

export async function deleteAppBackups(run: AppRun): Promise<number> {
  const { db, timing, hosts } = run.deps;
  const rows = await db.select().from(backups).where(eq(backups.appId, run.app.id));
  for (const row of rows) {
    const client = !row.hostId || row.hostId === run.app.hostId ? run.client : await hosts.client(row.hostId);
    await deleteBackupVolume(client, row, taskWait(timing, "volume", run.ctx.signal));
    await db.delete(backups).where(eq(backups.id, row.id));
    await run.log(`Deleted backup ${row.volid ?? row.id}`, "info", "backups");
  }
  return rows.length;
}
