/**
 * Backups as users see them. A user reaches only backups of their own apps (and their own backups kept
 * after an app was deleted); an admin reaches all. Every change is a guarded state change plus a durable
 * job plus an audit entry in one transaction, like the apps service.
 */

import type { z } from "@hono/zod-openapi";
import { and, desc, eq, type SQL } from "drizzle-orm";
import { ConflictError, NotFoundError, ValidationError } from "../../core/errors.ts";
import type { AuthUser, UserActor } from "../../core/identity.ts";
import type { Db } from "../../db/connect.ts";
import { selectPage } from "../../db/paging.ts";
import {
  type Application,
  type Backup,
  type BackupSchedule,
  backupSchedules,
  backups,
  type Job,
} from "../../db/schema.ts";
import type { JobQueue } from "../../queue/queue.ts";
import {
  type AppDeps,
  type AppsService,
  assertWithinQuota,
  beginOperation,
  taskWait,
} from "../apps/index.ts";
import type { CreateBackupBody, ScheduleInput } from "./backups.schemas.ts";
import { nextSlot, scheduleProblem } from "./cron.ts";
import { BackupAppJob, RestoreAppJob } from "./job-types.ts";
import { backupRowFor } from "./rows.ts";
import { deleteBackupVolume } from "./volumes.ts";

export type Clock = () => Date;

export class BackupsService {
  constructor(
    private readonly deps: AppDeps,
    private readonly jobs: JobQueue,
    private readonly apps: AppsService,
    /** The scheduler's and the schedule API's notion of now (tests pass a clock they move). */
    readonly clock: Clock = () => new Date(),
    /** Called once a schedule is saved (the scheduler, asleep until the next slot it knew, looks again). */
    private readonly onScheduleSaved: () => void = () => {},
  ) {}

  private get db(): Db {
    return this.deps.db;
  }

  /** The app, if the user may see it (404 otherwise: others' apps do not exist for them). */
  app(user: AuthUser, appId: string): Promise<Application> {
    return this.apps.get(user, appId);
  }

  async list(
    user: AuthUser,
    q: { appId?: string; status?: Backup["status"]; page: number; perPage: number },
  ) {
    const where: SQL[] = [];
    if (q.appId) {
      await this.app(user, q.appId);
      where.push(eq(backups.appId, q.appId));
    } else if (user.role !== "admin") {
      where.push(eq(backups.ownerId, user.id));
    }
    if (q.status) where.push(eq(backups.status, q.status));
    return selectPage(this.db, backups, where, [desc(backups.createdAt), desc(backups.id)], q);
  }

  /** One backup: of the given app (`appId`), or any the user may see (`appId` null: GET/DELETE /backups/{id}). */
  async get(user: AuthUser, appId: string | null, backupId: string): Promise<Backup> {
    if (appId) await this.app(user, appId);
    const [row] = await this.db
      .select()
      .from(backups)
      .where(
        and(
          eq(backups.id, backupId),
          appId ? eq(backups.appId, appId) : undefined,
          !appId && user.role !== "admin" ? eq(backups.ownerId, user.id) : undefined,
        ),
      );
    if (!row) throw new NotFoundError("Backup");
    return row;
  }

  async create(
    req: UserActor,
    appId: string,
    input: z.infer<typeof CreateBackupBody>,
  ): Promise<{ backup: Backup; job: Job }> {
    const settings = await this.deps.settings.get();
    const storage = input.storage ?? settings.storage.backups;
    return this.db.transaction(async (db) => {
      await assertWithinQuota(db, settings.quotas, req.user, { jobs: 1 });
      const scope = req.user.role === "admin" ? {} : { ownerId: req.user.id };
      const app = await beginOperation(db, appId, "backup", scope);
      const [row] = await db
        .insert(backups)
        .values({
          ...backupRowFor(app),
          storage,
          mode: input.mode,
          compress: input.compress,
          trigger: "manual",
          createdBy: req.user.id,
        })
        .returning();
      const job = await this.jobs.enqueue(
        BackupAppJob,
        { appId, userId: req.user.id, payload: { app_id: appId, backup_id: row!.id } },
        db,
      );
      const [backup] = await db
        .update(backups)
        .set({ jobId: job!.id })
        .where(eq(backups.id, row!.id))
        .returning();
      await this.deps.audit.record(
        {
          actor: req,
          action: "backup.create",
          target: { type: "backup", id: row!.id },
          details: { app_id: appId, mode: input.mode, compress: input.compress, storage },
        },
        db,
      );
      return { backup: backup!, job: job! };
    });
  }

  /** Removes the volume on Proxmox, then the row. A volume already gone is fine. */
  async remove(req: UserActor, appId: string | null, backupId: string): Promise<void> {
    const row = await this.get(req.user, appId, backupId);
    if (row.status === "creating") throw new ConflictError("The backup is still being created");
    if (row.appId) {
      const app = await this.apps.get(req.user, row.appId).catch(() => null);
      if (app?.status === "restoring")
        throw new ConflictError("The app is being restored; try again afterwards");
    }
    let outcome = "no_volume";
    if (row.volid && row.hostId) {
      const client = await this.deps.hosts.client(row.hostId);
      outcome = await deleteBackupVolume(client, row, taskWait(this.deps.timing, "volume"));
    }
    await this.db.transaction(async (db) => {
      await db.delete(backups).where(eq(backups.id, row.id));
      await this.deps.audit.record(
        {
          actor: req,
          action: "backup.delete",
          target: { type: "backup", id: row.id },
          details: { app_id: row.appId, volid: row.volid, volume: outcome },
        },
        db,
      );
    });
  }

  async restore(req: UserActor, appId: string, backupId: string): Promise<{ app: Application; job: Job }> {
    const backup = await this.get(req.user, appId, backupId);
    if (backup.status !== "completed" || !backup.volid) {
      throw new ConflictError(`The backup is ${backup.status}; only a completed backup can be restored`);
    }
    const { quotas } = await this.deps.settings.get();
    return this.db.transaction(async (db) => {
      await assertWithinQuota(db, quotas, req.user, { jobs: 1 });
      const scope = req.user.role === "admin" ? {} : { ownerId: req.user.id };
      const app = await beginOperation(db, appId, "restore", scope);
      // The same app, so the same data; its container may be another one now (an oci update builds a new
      // one), and the restore goes over the current one. The archive is on the backup's node.
      if (app.vmid === null || app.node === null) {
        throw new ConflictError(
          "The app has no container now (its deploy failed): retry the deploy first, then restore over it",
        );
      }
      if (app.node !== backup.node) {
        throw new ConflictError(
          `The backup is on ${backup.node}; the app is now on ${app.node}. Only a backup on the app's node can be restored`,
        );
      }
      const job = await this.jobs.enqueue(
        RestoreAppJob,
        { appId, userId: req.user.id, payload: { app_id: appId, backup_id: backupId } },
        db,
      );
      await this.deps.audit.record(
        {
          actor: req,
          action: "backup.restore",
          target: { type: "app", id: appId },
          details: { backup_id: backupId, volid: backup.volid },
        },
        db,
      );
      return { app, job: job! };
    });
  }

  // ---------------------------------------------------------------------------------------------- schedules

  nextRun(s: BackupSchedule): Date | null {
    if (!s.enabled) return null;
    return nextSlot(s.cron, s.timezone, this.clock());
  }

  async getSchedule(user: AuthUser, appId: string): Promise<BackupSchedule> {
    await this.app(user, appId);
    const [row] = await this.db.select().from(backupSchedules).where(eq(backupSchedules.appId, appId));
    if (!row) throw new NotFoundError("Backup schedule");
    return row;
  }

  async putSchedule(req: UserActor, appId: string, input: ScheduleInput): Promise<BackupSchedule> {
    await this.app(req.user, appId);
    const problem = scheduleProblem(input.cron, input.timezone);
    if (problem) throw new ValidationError("The schedule is invalid", [problem]);
    const now = this.clock();
    const values = {
      cron: input.cron,
      timezone: input.timezone,
      keepLast: input.keep_last,
      keepDaily: input.keep_daily,
      keepWeekly: input.keep_weekly,
      keepMonthly: input.keep_monthly,
      mode: input.mode,
      compress: input.compress,
      storage: input.storage,
      enabled: input.enabled,
      updatedAt: now,
    };
    const saved = await this.db.transaction(async (db) => {
      const [before] = await db.select().from(backupSchedules).where(eq(backupSchedules.appId, appId));
      // A new or changed timing starts counting slots from now: no backup fires for a slot in the past.
      const retimed =
        !before ||
        before.cron !== input.cron ||
        before.timezone !== input.timezone ||
        (!before.enabled && input.enabled);
      const [row] = await db
        .insert(backupSchedules)
        .values({ appId, ...values, lastSlotAt: now })
        .onConflictDoUpdate({
          target: backupSchedules.appId,
          set: { ...values, ...(retimed ? { lastSlotAt: now } : {}) },
        })
        .returning();
      await this.deps.audit.record(
        {
          actor: req,
          action: "backup_schedule.update",
          target: { type: "app", id: appId },
          details: { ...input },
        },
        db,
      );
      return row!;
    });
    this.onScheduleSaved();
    return saved;
  }
}
