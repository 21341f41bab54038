/** Request/response schemas of backups and backup schedules. */
import { z } from "@hono/zod-openapi";
import {
  BACKUP_COMPRESSIONS,
  BACKUP_MODES,
  BACKUP_STATUSES,
  type Backup,
  type BackupSchedule,
} from "../../db/schema.ts";
import { AppSchema } from "../apps/apps.schemas.ts";
import { JobSchema } from "../jobs/jobs.schemas.ts";

const StorageId = z
  .string()
  .regex(/^[a-z][a-z0-9\-_.]*$/i, "must be a Proxmox storage id such as local")
  .max(64);

export const CreateBackupBody = z
  .object({
    mode: z.enum(BACKUP_MODES).default("snapshot"),
    compress: z.enum(BACKUP_COMPRESSIONS).default("zstd"),
    storage: StorageId.optional().openapi({ description: "default: the backup storage from settings" }),
  })
  .strict()
  .openapi("CreateBackupRequest");

export const BackupSchema = z
  .object({
    id: z.string().uuid(),
    app_id: z
      .string()
      .uuid()
      .nullable()
      .openapi({ description: "null once the app was deleted (keep_backups)" }),
    app_hostname: z.string(),
    app_version: z.string().nullable().openapi({
      description: "The catalog version the app ran when it was backed up; a restore brings it back",
    }),
    status: z.enum(BACKUP_STATUSES),
    trigger: z.enum(["manual", "scheduled"]),
    mode: z.enum(BACKUP_MODES),
    compress: z.enum(BACKUP_COMPRESSIONS),
    node: z.string(),
    vmid: z.number().int(),
    storage: z.string(),
    volid: z.string().nullable(),
    size: z.number().int().nullable(),
    backup_time: z.string().datetime().nullable(),
    error: z.string().nullable(),
    job_id: z.string().uuid().nullable(),
    created_at: z.string().datetime(),
    completed_at: z.string().datetime().nullable(),
  })
  .openapi("Backup");

export function toPublicBackup(b: Backup): z.infer<typeof BackupSchema> {
  return {
    id: b.id,
    app_id: b.appId,
    app_hostname: b.appHostname,
    app_version: b.catalogVersion,
    status: b.status,
    trigger: b.trigger,
    mode: b.mode,
    compress: b.compress,
    node: b.node,
    vmid: b.vmid,
    storage: b.storage,
    volid: b.volid,
    size: b.size,
    backup_time: b.backupTime?.toISOString() ?? null,
    error: b.error,
    job_id: b.jobId,
    created_at: b.createdAt.toISOString(),
    completed_at: b.completedAt?.toISOString() ?? null,
  };
}

export const BackupJobResponse = z.object({ backup: BackupSchema, job: JobSchema }).openapi("BackupJob");
export const RestoreJobResponse = z.object({ app: AppSchema, job: JobSchema }).openapi("RestoreJob");

const keep = (what: string) =>
  z
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(0)
    .openapi({ description: `keep the newest backup of the last N ${what}` });

export const ScheduleBody = z
  .object({
    cron: z
      .string()
      .min(9, "must be 5 fields: minute hour day-of-month month day-of-week, e.g. 0 3 * * *")
      .max(100)
      .openapi({ example: "0 3 * * *", description: "5-field cron expression" }),
    timezone: z.string().max(64).default("UTC").openapi({ example: "Europe/Berlin" }),
    keep_last: z.number().int().min(0).max(1000).default(0).openapi({ description: "keep the newest N" }),
    keep_daily: keep("days"),
    keep_weekly: keep("ISO weeks"),
    keep_monthly: keep("months"),
    mode: z.enum(BACKUP_MODES).default("snapshot"),
    compress: z.enum(BACKUP_COMPRESSIONS).default("zstd"),
    storage: StorageId.nullable()
      .default(null)
      .openapi({ description: "null: the backup storage from settings" }),
    enabled: z.boolean().default(true),
  })
  .strict()
  .openapi("BackupScheduleRequest");

export type ScheduleInput = z.infer<typeof ScheduleBody>;

export const ScheduleSchema = ScheduleBody.extend({
  app_id: z.string().uuid(),
  next_run_at: z.string().datetime().nullable(),
  updated_at: z.string().datetime(),
}).openapi("BackupSchedule");

export function toPublicSchedule(s: BackupSchedule, nextRun: Date | null): z.infer<typeof ScheduleSchema> {
  return {
    app_id: s.appId,
    cron: s.cron,
    timezone: s.timezone,
    keep_last: s.keepLast,
    keep_daily: s.keepDaily,
    keep_weekly: s.keepWeekly,
    keep_monthly: s.keepMonthly,
    mode: s.mode,
    compress: s.compress,
    storage: s.storage,
    enabled: s.enabled,
    next_run_at: nextRun?.toISOString() ?? null,
    updated_at: s.updatedAt.toISOString(),
  };
}

export const BackupListQuery = z.object({
  status: z.enum(BACKUP_STATUSES).optional(),
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(100).default(25),
});
