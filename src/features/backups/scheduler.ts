/**
 * The backup scheduler. Each tick it finds, per enabled schedule, the latest cron slot since the last one
 * handled and enqueues one `backup_app` job with dedupe key `backup:<app>:<slot>`. The key is UNIQUE in the
 * jobs table, so however many Proximity instances tick against one database, each slot is enqueued exactly
 * once. Slots missed while no instance ran are not replayed one by one: the latest one fires.
 * Each tick also fails backups left `creating` by a job that ended without recording them.
 */

import { and, eq, lt } from "drizzle-orm";
import { log } from "../../core/log.ts";
import type { Db } from "../../db/connect.ts";
import { backupSchedules } from "../../db/schema.ts";
import { errorMessage, type JobQueue } from "../../queue/queue.ts";
import type { Clock } from "./backups.service.ts";
import { latestSlot } from "./cron.ts";
import { BackupAppJob } from "./job-types.ts";
import { failOrphanedBackups } from "./sagas/index.ts";

export interface SchedulerOptions {
  /** How often to look for due slots (default 30 s). */
  intervalMs?: number;
}

export interface TickResult {
  /** Jobs this scheduler enqueued (another instance may have taken other slots). */
  enqueued: { app_id: string; slot: string; job_id: string }[];
  orphansFailed: number;
}

export function slotKey(appId: string, slot: Date): string {
  return `backup:${appId}:${slot.toISOString()}`;
}

export class BackupScheduler {
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly db: Db,
    private readonly jobs: JobQueue,
    private readonly clock: () => ReturnType<Clock>,
    private readonly options: SchedulerOptions = {},
  ) {}

  start(): void {
    if (this.timer) return;
    const run = () => {
      if (this.running) return;
      this.running = this.tick()
        .catch((err) => log.error("Backup scheduler tick failed", { err }))
        .finally(() => {
          this.running = undefined;
        });
    };
    run();
    this.timer = setInterval(run, this.options.intervalMs ?? 30_000);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  async tick(now: Date = this.clock()): Promise<TickResult> {
    const result: TickResult = { enqueued: [], orphansFailed: await failOrphanedBackups(this.db) };
    const schedules = await this.db.select().from(backupSchedules).where(eq(backupSchedules.enabled, true));
    for (const s of schedules) {
      let slot: Date | null;
      try {
        slot = latestSlot(s.cron, s.timezone, s.lastSlotAt, now);
      } catch (err) {
        log.warn("Backup schedule is unusable", { app_id: s.appId, error: errorMessage(err) });
        continue;
      }
      if (!slot) continue;
      const job = await this.jobs.enqueue(BackupAppJob, {
        appId: s.appId,
        payload: { app_id: s.appId, scheduled: true, slot: slot.toISOString() },
        dedupeKey: slotKey(s.appId, slot),
      });
      await this.db
        .update(backupSchedules)
        .set({ lastSlotAt: slot })
        .where(and(eq(backupSchedules.appId, s.appId), lt(backupSchedules.lastSlotAt, slot)));
      if (job) result.enqueued.push({ app_id: s.appId, slot: slot.toISOString(), job_id: job.id });
    }
    return result;
  }
}
