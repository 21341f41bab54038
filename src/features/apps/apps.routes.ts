/** /api/v1/apps: deploy and manage apps. A user only ever sees their own apps; an admin sees all. */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Config } from "../../core/config.ts";
import type { UserActor } from "../../core/identity.ts";
import type { Application, Job } from "../../db/schema.ts";
import { type Authenticator, actorOf, type HttpEnv } from "../../http/context.ts";
import { adminOnly, authed } from "../../http/guards.ts";
import { createRouter, itemResponse, jsonBody, jsonResponse, routesFor } from "../../http/openapi.ts";
import { listSchema, PaginationQuery, pageOf } from "../../http/paging.ts";
import { eventStream } from "../../http/sse.ts";
import type { EventBus, ProximityEvent } from "../../queue/events.ts";
import type { HostsService } from "../hosts/hosts.service.ts";
import { toPublicJob } from "../jobs/jobs.schemas.ts";
import {
  ActionBody,
  AdoptBody,
  AppJobResponse,
  AppListQuery,
  AppParams,
  AppSchema,
  CloneBody,
  DeployBody,
  DiscoveredSchema,
  PatchAppBody,
  toPublicApp,
} from "./apps.schemas.ts";
import type { AppsService } from "./apps.service.ts";
import type { AppContainersService } from "./containers.service.ts";
import type { CatalogLookup } from "./update-info.ts";

/** The services these routes reach through `c.get("services")`. */
export interface AppsRouteServices {
  apps: AppsService;
  appContainers: AppContainersService;
  hosts: HostsService;
  catalog: CatalogLookup;
  events: EventBus;
  /** The event stream re-checks the viewer's token and session while it stays open. */
  auth: Authenticator;
  config: Pick<Config, "SSE_KEEPALIVE_SECONDS" | "SSE_RECHECK_SECONDS">;
}

const user = routesFor(authed, "apps");
const admin = routesFor(adminOnly, "apps");

const list = user.get("/apps", {
  operationId: "listApps",
  summary: "Your apps (an admin sees all)",
  request: { query: AppListQuery },
  responses: { 200: jsonResponse(listSchema(AppSchema, "AppList"), "Apps") },
});

const deploy = user.post("/apps/deploy", {
  operationId: "deployApp",
  summary: "Deploy a catalog app; watch the job or GET /apps/{app_id}/events",
  request: { body: jsonBody(DeployBody) },
  responses: { 202: jsonResponse(AppJobResponse, "Deploying") },
  errors: [409, 429],
});

const discover = admin.get("/apps/discover", {
  operationId: "discoverContainers",
  summary: "Containers on a host that Proximity does not manage yet, each with a suggestion of what it runs",
  request: { query: z.object({ host_id: z.string().uuid() }) },
  responses: { 200: jsonResponse(z.object({ items: z.array(DiscoveredSchema) }), "Unmanaged containers") },
  errors: [404, 502, 503],
});

const adopt = admin.post("/apps/adopt", {
  operationId: "adoptContainer",
  summary: "Manage an existing container as an app",
  request: { body: jsonBody(AdoptBody) },
  responses: { 201: itemResponse("app", AppSchema, "Adopted") },
  errors: [404, 409, 502, 503],
});

const reconcileRoute = admin.post("/apps/reconcile", {
  operationId: "reconcileApps",
  summary: "Compare Proxmox with the database now: marks missing/unknown apps, never deletes",
  responses: {
    200: jsonResponse(
      z.object({
        hosts: z.number().int(),
        checked: z.number().int(),
        changes: z.array(
          z.object({
            app_id: z.string(),
            hostname: z.string(),
            from: z.string(),
            to: z.string(),
            reason: z.string(),
          }),
        ),
      }),
      "What changed",
    ),
  },
});

const get = user.get("/apps/{app_id}", {
  operationId: "getApp",
  summary: "An app",
  request: { params: AppParams },
  responses: { 200: itemResponse("app", AppSchema, "The app") },
});

const patch = user.patch("/apps/{app_id}", {
  operationId: "reconfigureApp",
  summary: "Change resources (cores, memory, growing the disk) or environment",
  request: { params: AppParams, body: jsonBody(PatchAppBody) },
  responses: { 202: jsonResponse(AppJobResponse, "Reconfiguring") },
  errors: [409, 429],
});

const actions = user.post("/apps/{app_id}/actions", {
  operationId: "runAppAction",
  summary: "Start, stop or restart",
  request: { params: AppParams, body: jsonBody(ActionBody) },
  responses: { 202: jsonResponse(AppJobResponse, "Accepted") },
  errors: [409, 429],
});

const update = user.post("/apps/{app_id}/update", {
  operationId: "updateApp",
  summary: "Pull newer images and apply the current catalog version",
  request: { params: AppParams },
  responses: { 202: jsonResponse(AppJobResponse, "Updating") },
  errors: [409, 429],
});

const clone = user.post("/apps/{app_id}/clone", {
  operationId: "cloneApp",
  summary: "Clone the app under a new hostname (returns the new app)",
  request: { params: AppParams, body: jsonBody(CloneBody) },
  responses: { 202: jsonResponse(AppJobResponse, "Cloning") },
  errors: [409, 429],
});

const remove = user.delete("/apps/{app_id}", {
  operationId: "deleteApp",
  summary: "Delete the app and its container (adopted apps: keep_container decides)",
  request: {
    params: AppParams,
    query: z.object({
      keep_container: z.enum(["true", "false"]).optional(),
      keep_backups: z.enum(["true", "false"]).optional(),
    }),
  },
  responses: { 202: jsonResponse(AppJobResponse, "Deleting") },
  errors: [409],
});

const logs = user.get("/apps/{app_id}/logs", {
  operationId: "getAppLogs",
  summary: "The app's deployment and operation log",
  request: { params: AppParams, query: PaginationQuery },
  responses: {
    200: jsonResponse(
      listSchema(
        z.object({
          at: z.string().datetime(),
          level: z.string(),
          step: z.string().nullable(),
          message: z.string(),
          job_id: z.string().nullable(),
        }),
        "AppLogList",
      ),
      "Log lines, oldest first",
    ),
  },
});

const containerLogs = user.get("/apps/{app_id}/container-logs", {
  operationId: "getAppContainerLogs",
  summary: "The last lines of `docker compose logs`",
  description:
    "Docker apps only. For an app with the oci runtime the answer is a 409 that says where its output can be seen: Proxmox VE has no API for an application container's output, only its interactive console.",
  request: {
    params: AppParams,
    query: z.object({ tail: z.coerce.number().int().min(1).max(5000).default(200) }),
  },
  responses: { 200: jsonResponse(z.object({ logs: z.string() }), "Logs") },
  errors: [409, 502, 503],
});

const stats = user.get("/apps/{app_id}/stats", {
  operationId: "getAppStats",
  summary: "CPU, memory, disk and network from Proxmox",
  request: { params: AppParams },
  responses: {
    200: jsonResponse(
      z.object({
        status: z.string(),
        uptime: z.number(),
        cpu: z.object({ usage: z.number(), cores: z.number() }),
        memory: z.object({ used: z.number(), total: z.number() }),
        disk: z.object({ used: z.number(), total: z.number() }),
        network: z.object({ in: z.number(), out: z.number() }),
        history: z.array(
          z.object({
            time: z.number(),
            cpu: z.number().nullable(),
            mem: z.number().nullable(),
            netin: z.number().nullable(),
            netout: z.number().nullable(),
          }),
        ),
      }),
      "Stats",
    ),
  },
  errors: [409, 502, 503],
});

const credentials = user.get("/apps/{app_id}/credentials", {
  operationId: "getAppCredentials",
  summary: "Root password and environment including secrets (owner or admin; audited)",
  request: { params: AppParams },
  responses: {
    200: jsonResponse(
      z.object({ root_password: z.string().nullable(), environment: z.record(z.string(), z.string()) }),
      "Credentials",
    ),
  },
});

const events = user.get("/apps/{app_id}/events", {
  operationId: "streamAppEvents",
  summary: "Server-sent events: status changes, job progress and log lines of this app",
  request: { params: AppParams },
  responses: {
    200: { description: "text/event-stream", content: { "text/event-stream": { schema: z.string() } } },
  },
});

/** The 202 of an operation that starts a job on an app: the app as it is now and the job. */
async function started(
  c: Context<HttpEnv<AppsRouteServices>>,
  run: (apps: AppsService, actor: UserActor) => Promise<{ app: Application; job: Job }>,
) {
  const { apps, catalog } = c.get("services");
  const r = await run(apps, actorOf(c));
  return c.json({ app: toPublicApp(r.app, catalog), job: toPublicJob(r.job) }, 202);
}

export function appsRoutes() {
  return createRouter<AppsRouteServices>()
    .openapi(list, async (c) => {
      const q = c.req.valid("query");
      const { apps, catalog } = c.get("services");
      const found = await apps.listViews(c.get("user"), { ...q, perPage: q.per_page });
      return c.json(
        pageOf(q, found, (a) => toPublicApp(a, catalog)),
        200,
      );
    })
    .openapi(deploy, (c) => started(c, (apps, actor) => apps.deploy(actor, c.req.valid("json"))))
    .openapi(discover, async (c) => {
      const { host_id } = c.req.valid("query");
      await c.get("services").hosts.get(host_id);
      return c.json({ items: await c.get("services").appContainers.discover(host_id) }, 200);
    })
    .openapi(adopt, async (c) => {
      const app = await c.get("services").appContainers.adopt(actorOf(c), c.req.valid("json"));
      return c.json({ app: toPublicApp(app, c.get("services").catalog) }, 201);
    })
    .openapi(reconcileRoute, async (c) => {
      return c.json(await c.get("services").apps.reconcile(actorOf(c)), 200);
    })
    .openapi(get, async (c) => {
      const app = await c.get("services").apps.get(c.get("user"), c.req.valid("param").app_id);
      return c.json({ app: toPublicApp(app, c.get("services").catalog) }, 200);
    })
    .openapi(patch, (c) =>
      started(c, (apps, actor) => apps.reconfigure(actor, c.req.valid("param").app_id, c.req.valid("json"))),
    )
    .openapi(actions, (c) =>
      started(c, (apps, actor) =>
        apps.action(actor, c.req.valid("param").app_id, c.req.valid("json").action),
      ),
    )
    .openapi(update, (c) => started(c, (apps, actor) => apps.update(actor, c.req.valid("param").app_id)))
    .openapi(clone, (c) =>
      started(c, (apps, actor) =>
        apps.clone(actor, c.req.valid("param").app_id, c.req.valid("json").hostname),
      ),
    )
    .openapi(remove, (c) => {
      const q = c.req.valid("query");
      return started(c, (apps, actor) =>
        apps.remove(actor, c.req.valid("param").app_id, {
          ...(q.keep_container ? { keepContainer: q.keep_container === "true" } : {}),
          ...(q.keep_backups ? { keepBackups: q.keep_backups === "true" } : {}),
        }),
      );
    })
    .openapi(logs, async (c) => {
      const q = c.req.valid("query");
      const found = await c
        .get("services")
        .apps.logs(c.get("user"), c.req.valid("param").app_id, q.page, q.per_page);
      const line = (l: (typeof found.items)[number]) => ({
        at: l.at.toISOString(),
        level: l.level,
        step: l.step,
        message: l.message,
        job_id: l.jobId,
      });
      return c.json(pageOf(q, found, line), 200);
    })
    .openapi(containerLogs, async (c) => {
      const logs = await c
        .get("services")
        .appContainers.containerLogs(c.get("user"), c.req.valid("param").app_id, c.req.valid("query").tail);
      return c.json({ logs }, 200);
    })
    .openapi(stats, async (c) =>
      c.json(await c.get("services").appContainers.stats(c.get("user"), c.req.valid("param").app_id), 200),
    )
    .openapi(credentials, async (c) =>
      c.json(await c.get("services").apps.credentials(actorOf(c), c.req.valid("param").app_id), 200),
    )
    .openapi(events, async (c) => {
      const services = c.get("services");
      const { config } = services;
      const app = await services.apps.get(c.get("user"), c.req.valid("param").app_id);
      const credential = c.get("credential");
      return eventStream<ProximityEvent>(c, {
        keepAliveMs: config.SSE_KEEPALIVE_SECONDS * 1000,
        subscribe: (push) =>
          services.events.subscribe((e) => {
            if ("app_id" in e && e.app_id === app.id) push(e);
          }),
        // The current state first, so a client that connects late knows where things stand.
        initial: (stream) =>
          stream.writeSSE({
            event: "app.status",
            data: JSON.stringify({
              type: "app.status",
              app_id: app.id,
              status: app.status,
              reason: app.statusReason,
            }),
          }),
        write: async (stream, e) => {
          await stream.writeSSE({ event: e.type, data: JSON.stringify(e) });
          return e.type === "app.status" && e.status === "deleted" ? "end" : undefined;
        },
        // Still the same active user, session not ended, token not expired, and the app still theirs.
        recheck: async () => {
          const user = await services.auth.authenticate(credential.token);
          await services.apps.get(user, app.id);
        },
        recheckMs: config.SSE_RECHECK_SECONDS * 1000,
        expiresAt: credential.expiresAt,
      });
    });
}
