/**
 * /api/v1 backups: per app (`/apps/{app_id}/backups…`, `/apps/{app_id}/backup-schedule`) and across apps
 * (`/backups`: a user's own, an admin's all, including backups kept after their app was deleted).
 */
import type { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { actorOf, type HttpEnv } from "../../http/context.ts";
import { authed } from "../../http/guards.ts";
import {
  createRouter,
  idParams,
  itemResponse,
  jsonBody,
  jsonResponse,
  routesFor,
} from "../../http/openapi.ts";
import { listSchema, pageOf } from "../../http/paging.ts";
import { AppParams, type CatalogLookup, toPublicApp } from "../apps/index.ts";
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

const AppBackupParams = idParams("app_id", "backup_id");
const BackupParams = idParams("backup_id");
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
  request: { params: BackupParams },
  responses: { 200: itemResponse("backup", BackupSchema, "The backup") },
});

const deleteAny = user.delete("/backups/{backup_id}", {
  operationId: "deleteBackup",
  summary: "Delete a backup (volume on Proxmox, then the record); also one whose app was deleted",
  request: { params: BackupParams },
  responses: { 204: { description: "Deleted" } },
  errors: [409, 502, 503],
});

const list = user.get("/apps/{app_id}/backups", {
  operationId: "listAppBackups",
  summary: "The app's backups, newest first",
  request: { params: AppParams, query: BackupListQuery },
  responses: { 200: jsonResponse(BackupList, "Backups") },
});

const create = user.post("/apps/{app_id}/backups", {
  operationId: "backUpApp",
  summary: "Back the app up now (vzdump); watch the job",
  request: { params: AppParams, body: { ...jsonBody(CreateBackupBody), required: false } },
  responses: { 202: jsonResponse(BackupJobResponse, "Backing up") },
  errors: [409, 429],
});

const get = user.get("/apps/{app_id}/backups/{backup_id}", {
  operationId: "getAppBackup",
  summary: "A backup of the app",
  request: { params: AppBackupParams },
  responses: { 200: itemResponse("backup", BackupSchema, "The backup") },
});

const remove = user.delete("/apps/{app_id}/backups/{backup_id}", {
  operationId: "deleteAppBackup",
  summary: "Delete a backup: the volume on Proxmox, then the record (a volume already gone is fine)",
  request: { params: AppBackupParams },
  responses: { 204: { description: "Deleted" } },
  errors: [409, 502, 503],
});

const restore = user.post("/apps/{app_id}/backups/{backup_id}/restore", {
  operationId: "restoreAppBackup",
  summary: "Restore the app's container from this backup (stop, restore, start if it was running, health)",
  request: { params: AppBackupParams },
  responses: { 202: jsonResponse(RestoreJobResponse, "Restoring") },
  errors: [409, 429],
});

const getSchedule = user.get("/apps/{app_id}/backup-schedule", {
  operationId: "getAppBackupSchedule",
  summary: "The app's backup schedule and retention (404 when it has none)",
  request: { params: AppParams },
  responses: { 200: itemResponse("schedule", ScheduleSchema, "The schedule") },
});

const putSchedule = user.put("/apps/{app_id}/backup-schedule", {
  operationId: "setAppBackupSchedule",
  summary: "Create or replace the app's backup schedule and retention",
  request: { params: AppParams, body: jsonBody(ScheduleBody) },
  responses: { 200: itemResponse("schedule", ScheduleSchema, "The schedule") },
});

type BackupsContext = Context<HttpEnv<BackupsRouteServices>>;

/** A page of backups, newest first: of one app (`appId`), or of every app the user may see. */
async function backupPage(c: BackupsContext, q: z.output<typeof BackupListQuery>, appId?: string) {
  const found = await c.get("services").backups.list(c.get("user"), {
    ...(appId ? { appId } : {}),
    ...(q.status ? { status: q.status } : {}),
    page: q.page,
    perPage: q.per_page,
  });
  return c.json(pageOf(q, found, toPublicBackup), 200);
}

/** One backup: of the given app, or (`appId` null) any the user may see. */
async function oneBackup(c: BackupsContext, appId: string | null, backupId: string) {
  const backup = await c.get("services").backups.get(c.get("user"), appId, backupId);
  return c.json({ backup: toPublicBackup(backup) }, 200);
}

async function deleteBackup(c: BackupsContext, appId: string | null, backupId: string) {
  await c.get("services").backups.remove(actorOf(c), appId, backupId);
  return c.body(null, 204);
}

function schedule(c: BackupsContext, s: Parameters<BackupsService["nextRun"]>[0]) {
  return c.json({ schedule: toPublicSchedule(s, c.get("services").backups.nextRun(s)) }, 200);
}

export function backupsRoutes() {
  return createRouter<BackupsRouteServices>()
    .openapi(listAll, (c) => backupPage(c, c.req.valid("query")))
    .openapi(getAny, (c) => oneBackup(c, null, c.req.valid("param").backup_id))
    .openapi(deleteAny, (c) => deleteBackup(c, null, c.req.valid("param").backup_id))
    .openapi(list, (c) => backupPage(c, c.req.valid("query"), c.req.valid("param").app_id))
    .openapi(create, async (c) => {
      // No body means the defaults (validation is skipped then, so apply them here).
      const input = CreateBackupBody.parse(c.req.valid("json") ?? {});
      const r = await c.get("services").backups.create(actorOf(c), c.req.valid("param").app_id, input);
      return c.json({ backup: toPublicBackup(r.backup), job: toPublicJob(r.job) }, 202);
    })
    .openapi(get, (c) => oneBackup(c, c.req.valid("param").app_id, c.req.valid("param").backup_id))
    .openapi(remove, (c) => deleteBackup(c, c.req.valid("param").app_id, c.req.valid("param").backup_id))
    .openapi(restore, async (c) => {
      const p = c.req.valid("param");
      const r = await c.get("services").backups.restore(actorOf(c), p.app_id, p.backup_id);
      return c.json({ app: toPublicApp(r.app, c.get("services").catalog), job: toPublicJob(r.job) }, 202);
    })
    .openapi(getSchedule, async (c) =>
      schedule(c, await c.get("services").backups.getSchedule(c.get("user"), c.req.valid("param").app_id)),
    )
    .openapi(putSchedule, async (c) =>
      schedule(
        c,
        await c
          .get("services")
          .backups.putSchedule(actorOf(c), c.req.valid("param").app_id, c.req.valid("json")),
      ),
    );
}
