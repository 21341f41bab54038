/**
 * The backup scheduler. Each tick it finds, per enabled schedule, the latest cron slot since the last one
 * handled and enqueues one `backup_app` job with dedupe key `backup:<app>:<slot>`. The key is UNIQUE in the
 * jobs table, so however many Proximity instances tick against one database, each slot is enqueued exactly
 * once. Slots missed while no instance ran are not replayed one by one: the latest one fires.
 * Each tick also fails backups left `creating` by a job that ended without recording them.
 *
 * Between ticks it sleeps until the next slot of an enabled schedule, at most IDLE_SCHEDULER_TICK_MS (a
 * schedule saved on another instance is seen by then; one saved here wakes it), or `intervalMs` while a
 * backup is being made (its job may end without recording it).
 */

import { and, eq, lt } from "drizzle-orm";
import { Chore } from "../../core/chore.ts";
import { log } from "../../core/log.ts";
import type { Db } from "../../db/connect.ts";
import { backupSchedules } from "../../db/schema.ts";
import { errorMessage, type JobQueue } from "../../queue/queue.ts";
import type { Clock } from "./backups.service.ts";
import { latestSlot, nextSlot } from "./cron.ts";
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
  /** Backups being made by a live job. */
  inFlight: number;
  /** The earliest slot after `now` of an enabled schedule (null: none). */
  nextSlotAt: Date | null;
}

/** The longest sleep between two ticks. */
export const IDLE_SCHEDULER_TICK_MS = 5 * 60_000;

export function slotKey(appId: string, slot: Date): string {
  return `backup:${appId}:${slot.toISOString()}`;
}

export class BackupScheduler {
  private chore: Chore | undefined;

  constructor(
    private readonly db: Db,
    private readonly jobs: JobQueue,
    private readonly clock: () => ReturnType<Clock>,
    private readonly options: SchedulerOptions = {},
  ) {}

  start(): void {
    const intervalMs = this.options.intervalMs ?? 30_000;
    this.chore ??= new Chore("Backup scheduler tick", intervalMs, async () => {
      const result = await this.tick();
      if (result.inFlight > 0) return intervalMs;
      const untilSlot = result.nextSlotAt
        ? result.nextSlotAt.getTime() - this.clock().getTime()
        : Number.POSITIVE_INFINITY;
      // A little after the slot, so the tick finds it due; at least a second between ticks.
      return Math.max(1_000, Math.min(untilSlot + 250, Math.max(intervalMs, IDLE_SCHEDULER_TICK_MS)));
    });
    this.chore.start();
  }

  /** A schedule was saved: look now instead of at the end of the current sleep. */
  wake(): void {
    this.chore?.wake();
  }

  async stop(): Promise<void> {
    await this.chore?.stop();
  }

  async tick(now: Date = this.clock()): Promise<TickResult> {
    const orphans = await failOrphanedBackups(this.db);
    const result: TickResult = {
      enqueued: [],
      orphansFailed: orphans.failed,
      inFlight: orphans.inFlight,
      nextSlotAt: null,
    };
    const schedules = await this.db.select().from(backupSchedules).where(eq(backupSchedules.enabled, true));
    for (const s of schedules) {
      let slot: Date | null;
      try {
        slot = latestSlot(s.cron, s.timezone, s.lastSlotAt, now);
        const next = nextSlot(s.cron, s.timezone, now);
        if (next && (!result.nextSlotAt || next < result.nextSlotAt)) result.nextSlotAt = next;
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
