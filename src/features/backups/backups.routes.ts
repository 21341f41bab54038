/**
 * /api/v1 backups: per app (`/apps/{app_id}/backups…`, `/apps/{app_id}/backup-schedule`) and across apps
 * (`/backups`: a user's own, an admin's all, including backups kept after their app was deleted).
 */
import { z } from "@hono/zod-openapi";
import { actorOf } from "../../http/context.ts";
import { authed } from "../../http/guards.ts";
import { createRouter, jsonBody, jsonResponse, listSchema, routesFor } from "../../http/openapi.ts";
import { type CatalogLookup, toPublicApp } from "../apps/index.ts";
import { toPublicJob } from "../jobs/jobs.schemas.ts";
import {
  BackupJobResponse,
  BackupListQuery,
  BackupSchema,
  CreateBackupBody,
  RestoreJobResponse,
  ScheduleBody,
  ScheduleSchema,
  toPublicBackup,
  toPublicSchedule,
} from "./backups.schemas.ts";
import type { BackupsService } from "./backups.service.ts";

/** The services these routes reach through `c.get("services")`. */
export interface BackupsRouteServices {
  backups: BackupsService;
  catalog: CatalogLookup;
}

const BackupList = listSchema(BackupSchema, "BackupList");

const user = routesFor(authed, "backups");

const listAll = user.get("/backups", {
  operationId: "listBackups",
  summary: "Backups of your apps, including those kept after an app was deleted (an admin sees all)",
  request: { query: BackupListQuery },
  responses: { 200: jsonResponse(BackupList, "Backups, newest first") },
});

const getAny = user.get("/backups/{backup_id}", {
  operationId: "getBackup",
  summary: "A backup (also one whose app was deleted)",
  responses: { 200: jsonResponse(z.object({ backup: BackupSchema }), "The backup") },
});

const deleteAny = user.delete("/backups/{backup_id}", {
  operationId: "deleteBackup",
  summary: "Delete a backup (volume on Proxmox, then the record); also one whose app was deleted",
  responses: { 204: { description: "Deleted" } },
  errors: [409, 502, 503],
});

const list = user.get("/apps/{app_id}/backups", {
  operationId: "listAppBackups",
  summary: "The app's backups, newest first",
  request: { query: BackupListQuery },
  responses: { 200: jsonResponse(BackupList, "Backups") },
});

const create = user.post("/apps/{app_id}/backups", {
  operationId: "backUpApp",
  summary: "Back the app up now (vzdump); watch the job",
  request: { body: { ...jsonBody(CreateBackupBody), required: false } },
  responses: { 202: jsonResponse(BackupJobResponse, "Backing up") },
  errors: [409, 429],
});

const get = user.get("/apps/{app_id}/backups/{backup_id}", {
  operationId: "getAppBackup",
  summary: "A backup of the app",
  responses: { 200: jsonResponse(z.object({ backup: BackupSchema }), "The backup") },
});

const remove = user.delete("/apps/{app_id}/backups/{backup_id}", {
  operationId: "deleteAppBackup",
  summary: "Delete a backup: the volume on Proxmox, then the record (a volume already gone is fine)",
  responses: { 204: { description: "Deleted" } },
  errors: [409, 502, 503],
});

const restore = user.post("/apps/{app_id}/backups/{backup_id}/restore", {
  operationId: "restoreAppBackup",
  summary: "Restore the app's container from this backup (stop, restore, start if it was running, health)",
  responses: { 202: jsonResponse(RestoreJobResponse, "Restoring") },
  errors: [409, 429],
});

const getSchedule = user.get("/apps/{app_id}/backup-schedule", {
  operationId: "getAppBackupSchedule",
  summary: "The app's backup schedule and retention (404 when it has none)",
  responses: { 200: jsonResponse(z.object({ schedule: ScheduleSchema }), "The schedule") },
});

const putSchedule = user.put("/apps/{app_id}/backup-schedule", {
  operationId: "setAppBackupSchedule",
  summary: "Create or replace the app's backup schedule and retention",
  request: { body: jsonBody(ScheduleBody) },
  responses: { 200: jsonResponse(z.object({ schedule: ScheduleSchema }), "The schedule") },
});

export function backupsRoutes() {
  return createRouter<BackupsRouteServices>()
    .openapi(listAll, async (c) => {
      const q = c.req.valid("query");
      const { items, total } = await c.get("services").backups.list(c.get("user"), {
        ...(q.status ? { status: q.status } : {}),
        page: q.page,
        perPage: q.per_page,
      });
      return c.json({ items: items.map(toPublicBackup), total, page: q.page, per_page: q.per_page }, 200);
    })
    .openapi(getAny, async (c) => {
      const backup = await c.get("services").backups.get(c.get("user"), null, c.req.valid("param").backup_id);
      return c.json({ backup: toPublicBackup(backup) }, 200);
    })
    .openapi(deleteAny, async (c) => {
      await c.get("services").backups.remove(actorOf(c), null, c.req.valid("param").backup_id);
      return c.body(null, 204);
    })
    .openapi(list, async (c) => {
      const q = c.req.valid("query");
      const { items, total } = await c.get("services").backups.list(c.get("user"), {
        appId: c.req.valid("param").app_id,
        ...(q.status ? { status: q.status } : {}),
        page: q.page,
        perPage: q.per_page,
      });
      return c.json({ items: items.map(toPublicBackup), total, page: q.page, per_page: q.per_page }, 200);
    })
    .openapi(create, async (c) => {
      // No body means the defaults (validation is skipped then, so apply them here).
      const input = CreateBackupBody.parse(c.req.valid("json") ?? {});
      const r = await c.get("services").backups.create(actorOf(c), c.req.valid("param").app_id, input);
      return c.json({ backup: toPublicBackup(r.backup), job: toPublicJob(r.job) }, 202);
    })
    .openapi(get, async (c) => {
      const p = c.req.valid("param");
      const backup = await c.get("services").backups.get(c.get("user"), p.app_id, p.backup_id);
      return c.json({ backup: toPublicBackup(backup) }, 200);
    })
    .openapi(remove, async (c) => {
      const p = c.req.valid("param");
      await c.get("services").backups.remove(actorOf(c), p.app_id, p.backup_id);
      return c.body(null, 204);
    })
    .openapi(restore, async (c) => {
      const p = c.req.valid("param");
      const r = await c.get("services").backups.restore(actorOf(c), p.app_id, p.backup_id);
      return c.json({ app: toPublicApp(r.app, c.get("services").catalog), job: toPublicJob(r.job) }, 202);
    })
    .openapi(getSchedule, async (c) => {
      const { backups } = c.get("services");
      const s = await backups.getSchedule(c.get("user"), c.req.valid("param").app_id);
      return c.json({ schedule: toPublicSchedule(s, backups.nextRun(s)) }, 200);
    })
    .openapi(putSchedule, async (c) => {
      const { backups } = c.get("services");
      const s = await backups.putSchedule(actorOf(c), c.req.valid("param").app_id, c.req.valid("json"));
      return c.json({ schedule: toPublicSchedule(s, backups.nextRun(s)) }, 200);
    });
}
