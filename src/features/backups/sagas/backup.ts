/**
 * The backup saga: (scheduled only: begin) → vzdump → wait → record → finish → prune. The backup row is
 * `creating` until `record` stores the exact volume; any permanent failure marks it `failed` with the reason
 * and puts the app back in the state it was in (a failed backup does not break the app). Also: retention
 * (`prune`) and the sweep of rows whose job ended without an archive (`failOrphanedBackups`).
 */
import { and, eq, inArray, ne } from "drizzle-orm";
import { AppError, AppServiceError } from "../../../core/errors.ts";
import { SYSTEM_ACTOR } from "../../../core/identity.ts";
import type { Db } from "../../../db/connect.ts";
import {
  type AppStatus,
  applications,
  backupSchedules,
  backups,
  deploymentLogs,
  jobs,
} from "../../../db/schema.ts";
import { ProxmoxError, parseUpid, type Upid } from "../../../proxmox/index.ts";
import type { ContextOf } from "../../../queue/define.ts";
import { errorMessage } from "../../../queue/queue.ts";
import { type AppDeps, AppRun, beginOperation, settle, taskWait } from "../../apps/index.ts";
import type { BackupAppJob } from "../job-types.ts";
import { keepsEverything, selectBackupsToPrune } from "../retention.ts";
import { backupRowFor } from "../rows.ts";
import { backupNotes, deleteBackupVolume, findBackupVolume } from "../volumes.ts";
import { loadBackup, logTaskTail } from "./shared.ts";

export type BackupContext = ContextOf<typeof BackupAppJob>;

const LOCKWAIT_MIN = 180;

/**
 * Follows a vzdump task to its end. While it waits for the node's global backup lock (another backup runs
 * there) it may take far longer than any task timeout: the wait goes on, with a log line saying why, for
 * as long as vzdump itself waits (`lockwait`). Never a second vzdump: its archive would appear later.
 */
async function waitForBackup(run: AppRun, upid: Upid, node: string): Promise<void> {
  const started = Date.now();
  let told = false;
  for (;;) {
    try {
      await run.waitTask(upid, node, "backup");
      return;
    } catch (err) {
      if (!(err instanceof ProxmoxError) || err.kind !== "timeout" || err.upid !== upid) throw err;
      const log = await run.client.taskLog(node, upid, { start: 0, limit: 50 }).catch(() => null);
      const lines = log?.lines.map((l) => l.t) ?? [];
      const waiting =
        lines.some((l) => l.includes("trying to get global lock")) &&
        !lines.some((l) => l.includes("got global lock"));
      if (!waiting || Date.now() - started > LOCKWAIT_MIN * 60_000) throw err;
      if (!told) {
        told = true;
        await run.log(
          `Waiting for the node's backup lock: another backup is running on ${node}`,
          "info",
          "wait",
        );
      }
    }
  }
}

/**
 * Scheduled backups begin when their job runs (not when the scheduler enqueues them): the app is moved to
 * `backing_up` and the row inserted in one transaction. An app that is busy or not running/stopped is
 * skipped with a log line. Idempotent: a resumed job finds the row it already inserted.
 */
async function beginScheduled(deps: AppDeps, ctx: BackupContext, appId: string): Promise<string | null> {
  const [mine] = await deps.db.select({ id: backups.id }).from(backups).where(eq(backups.jobId, ctx.job.id));
  if (mine) return mine.id;
  try {
    return await deps.db.transaction(async (db) => {
      const app = await beginOperation(db, appId, "backup");
      const [schedule] = await db.select().from(backupSchedules).where(eq(backupSchedules.appId, appId));
      const fromApp = backupRowFor(app);
      const storage = schedule?.storage ?? (await deps.settings.get(db)).storage.backups;
      const [row] = await db
        .insert(backups)
        .values({
          ...fromApp,
          storage,
          mode: schedule?.mode ?? "snapshot",
          compress: schedule?.compress ?? "zstd",
          trigger: "scheduled",
          jobId: ctx.job.id,
        })
        .returning({ id: backups.id });
      await deps.audit.record(
        {
          actor: SYSTEM_ACTOR,
          action: "backup.create",
          target: { type: "backup", id: row!.id },
          details: { app_id: appId, trigger: "scheduled", slot: ctx.payload.slot ?? null, storage },
        },
        db,
      );
      return row!.id;
    });
  } catch (err) {
    if (err instanceof AppError && (err.code === "CONFLICT" || err.code === "NOT_FOUND")) {
      const [exists] = await deps.db
        .select({ id: applications.id })
        .from(applications)
        .where(eq(applications.id, appId));
      if (exists) {
        await deps.db.insert(deploymentLogs).values({
          appId,
          jobId: ctx.job.id,
          level: "warn",
          step: "backup",
          message: `Scheduled backup skipped: ${err.message}`,
        });
      }
      await ctx.log(`Scheduled backup skipped: ${err.message}`, "warn");
      return null;
    }
    throw err;
  }
}

export async function backup(deps: AppDeps, ctx: BackupContext): Promise<void> {
  const appId = ctx.payload.app_id;
  let backupId = ctx.payload.backup_id ?? null;
  if (!backupId) {
    backupId = await ctx.step("begin", () => beginScheduled(deps, ctx, appId));
    if (!backupId) return;
  }
  await ctx.save({ backup_id: backupId });
  const id = backupId;
  const run = await AppRun.load(deps, ctx, appId);
  let row = await loadBackup(deps.db, id);

  const upid = await run.step("vzdump", async () => {
    // A previous attempt may have started the task and died before its checkpoint: find that task.
    const requestedAt = ctx.data.vzdump_requested_at;
    if (typeof requestedAt === "number") {
      const tasks = await run.client.listTasks(row.node, {
        vmid: row.vmid,
        typefilter: "vzdump",
        since: requestedAt - 2,
        source: "all",
      });
      const earlier = tasks.find((t) => t.starttime >= requestedAt - 2);
      if (earlier) return earlier.upid;
    }
    await ctx.save({ vzdump_requested_at: Math.floor(Date.now() / 1000) });
    const started = await run.client.vzdump(row.node, {
      vmid: row.vmid,
      storage: row.storage,
      mode: row.mode,
      compress: row.compress,
      notesTemplate: backupNotes(row.appHostname, row.id),
      // Retention is Proximity's (after each backup), never the storage's own prune settings.
      remove: false,
      // vzdump holds one lock per node; behind another backup (e.g. the nightly job) it waits this long.
      lockwait: LOCKWAIT_MIN,
    });
    if (!started) {
      throw new AppServiceError(
        `CT ${row.vmid} is not on node ${row.node} any more; nothing was backed up`,
        run.errorContext("vzdump"),
      );
    }
    await deps.db.update(backups).set({ upid: started }).where(eq(backups.id, id));
    await run.log(`vzdump started (${row.mode}, ${row.compress}) to ${row.storage}`, "info", "vzdump");
    return started;
  });

  await run.step("wait", () => waitForBackup(run, upid, row.node));

  await run.step("record", async () => {
    const volumes = await run.client.storageContent(row.node, row.storage, "backup", row.vmid);
    const known = await deps.db
      .select({ volid: backups.volid })
      .from(backups)
      .where(and(eq(backups.node, row.node), eq(backups.storage, row.storage), ne(backups.id, id)));
    const volume = findBackupVolume(volumes, {
      backupId: id,
      vmid: row.vmid,
      upid,
      finishedAt: Math.floor(Date.now() / 1000) + 60,
      knownVolids: new Set(known.map((k) => k.volid).filter((v): v is string => v !== null)),
    });
    if (!volume) {
      throw new AppServiceError(
        `vzdump finished but no archive of CT ${row.vmid} from this task is on ${row.storage}`,
        run.errorContext("record"),
      );
    }
    if (known.some((k) => k.volid === volume.volid)) {
      throw new AppServiceError(
        `The archive ${volume.volid} has the name of an archive already recorded (two backups of CT ${row.vmid} in one second?)`,
        run.errorContext("record"),
      );
    }
    const time = volume.ctime ?? parseUpid(upid).starttime;
    await deps.db
      .update(backups)
      .set({
        status: "completed",
        volid: volume.volid,
        size: volume.size,
        backupTime: new Date(time * 1000),
        completedAt: new Date(),
        error: null,
      })
      .where(eq(backups.id, id));
    await run.log(`Backup ${volume.volid} (${formatBytes(volume.size)}) completed`, "info", "record");
    return volume.volid;
  });

  await run.step("finish", async () => {
    await run.reload();
    const back = (run.app.previousStatus ?? "running") as AppStatus;
    if (run.app.status === "backing_up") {
      await settle(deps.db, deps.events, appId, back, null, { previousStatus: null });
    }
  });

  await run.step("prune", async () => {
    row = await loadBackup(deps.db, id);
    if (row.trigger !== "scheduled") return [];
    return prune(run, appId);
  });
}

/**
 * Applies the app's retention policy to its scheduled backups: deletes exactly those outside it (volume,
 * then row) and logs each. Manual backups are never pruned. A volume that cannot be deleted now stays (with
 * its row) for the next run; pruning never fails the backup that triggered it.
 */
export async function prune(run: AppRun, appId: string): Promise<string[]> {
  const { db } = run.deps;
  const [schedule] = await db.select().from(backupSchedules).where(eq(backupSchedules.appId, appId));
  if (!schedule) return [];
  const policy = {
    keep_last: schedule.keepLast,
    keep_daily: schedule.keepDaily,
    keep_weekly: schedule.keepWeekly,
    keep_monthly: schedule.keepMonthly,
  };
  if (keepsEverything(policy)) return [];
  const rows = await db
    .select()
    .from(backups)
    .where(and(eq(backups.appId, appId), eq(backups.status, "completed"), eq(backups.trigger, "scheduled")));
  const doomed = selectBackupsToPrune(
    rows.map((r) => ({ id: r.id, time: r.backupTime ?? r.createdAt })),
    policy,
    schedule.timezone,
  );
  const pruned: string[] = [];
  for (const { id } of doomed) {
    const victim = rows.find((r) => r.id === id)!;
    try {
      const client =
        victim.hostId === run.app.hostId ? run.client : await run.deps.hosts.client(victim.hostId!);
      await deleteBackupVolume(client, victim, taskWait(run.deps.timing, "volume", run.ctx.signal));
      await db.delete(backups).where(eq(backups.id, id));
      await run.deps.audit.record({
        actor: SYSTEM_ACTOR,
        action: "backup.prune",
        target: { type: "backup", id },
        details: {
          app_id: appId,
          volid: victim.volid,
          backup_time: victim.backupTime?.toISOString() ?? null,
        },
      });
      pruned.push(victim.volid ?? id);
      await run.log(`Pruned ${victim.volid} (outside the retention policy)`, "info", "prune");
    } catch (err) {
      await run.log(`Could not prune ${victim.volid}: ${errorMessage(err)}`, "warn", "prune");
    }
  }
  if (pruned.length === 0) await run.log("Retention: nothing to prune", "info", "prune");
  return pruned;
}

export async function compensateBackup(deps: AppDeps, ctx: BackupContext, error: unknown): Promise<void> {
  const backupId = ctx.payload.backup_id ?? ctx.data.backup_id;
  if (typeof backupId !== "string") return;
  const appId = ctx.payload.app_id;
  const reason = `Backup failed: ${errorMessage(error)}`.slice(0, 1000);
  await deps.db
    .update(backups)
    .set({ status: "failed", error: reason, completedAt: new Date() })
    .where(and(eq(backups.id, backupId), eq(backups.status, "creating")));
  const [app] = await deps.db.select().from(applications).where(eq(applications.id, appId));
  if (!app) return;
  const run = await AppRun.load(deps, ctx, appId);
  await run.log(reason, "error", ctx.job.progress?.step);
  await logTaskTail(run, error, ctx.job.progress?.step);
  await deps.notify({
    event: "backup.failed",
    app_id: appId,
    details: { reason, step: ctx.job.progress?.step ?? null, scheduled: ctx.payload.scheduled ?? false },
  });
  if (app.status === "backing_up") {
    // vzdump leaves the guest as it found it: the app returns to its state, with the reason on record.
    await settle(deps.db, deps.events, appId, (app.previousStatus ?? "running") as AppStatus, reason, {
      previousStatus: null,
    });
  }
}

/**
 * Backups still `creating` whose job has ended (or vanished): never leave one wedged. Returns how many it
 * failed and how many are still being made (their job is alive).
 */
export async function failOrphanedBackups(db: Db): Promise<{ failed: number; inFlight: number }> {
  const creating = await db
    .select({ id: backups.id, jobId: backups.jobId })
    .from(backups)
    .where(eq(backups.status, "creating"));
  if (creating.length === 0) return { failed: 0, inFlight: 0 };
  const jobIds = creating.map((b) => b.jobId).filter((j): j is string => j !== null);
  const live = new Set(
    jobIds.length
      ? (
          await db
            .select({ id: jobs.id })
            .from(jobs)
            .where(and(inArray(jobs.id, jobIds), inArray(jobs.status, ["queued", "running"])))
        ).map((j) => j.id)
      : [],
  );
  const dead = creating.filter((b) => !b.jobId || !live.has(b.jobId)).map((b) => b.id);
  const inFlight = creating.length - dead.length;
  if (dead.length === 0) return { failed: 0, inFlight };
  await db
    .update(backups)
    .set({
      status: "failed",
      error: "The backup job ended without recording an archive",
      completedAt: new Date(),
    })
    .where(and(inArray(backups.id, dead), eq(backups.status, "creating")));
  return { failed: dead.length, inFlight };
}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${Math.max(1, Math.round(n / 1024))} KiB`;
}
