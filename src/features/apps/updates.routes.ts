/** /api/v1/apps/{app_id}/updates (history) and /update-policy: an app's updates, for its owner or an admin. */
import { z } from "@hono/zod-openapi";
import { UPDATE_RESULTS } from "../../db/schema.ts";
import { actorOf } from "../../http/context.ts";
import { authed } from "../../http/guards.ts";
import { createRouter, itemResponse, jsonBody, jsonResponse, routesFor } from "../../http/openapi.ts";
import { AppParams, AppSchema, toPublicApp, UpdatePolicyBody } from "./apps.schemas.ts";
import type { CatalogLookup } from "./update-info.ts";
import type { UpdatesService } from "./updates.service.ts";

export interface UpdatesRouteServices {
  updates: UpdatesService;
  catalog: CatalogLookup;
}

const UpdateRecord = z
  .object({
    id: z.string().uuid(),
    job_id: z.string().uuid(),
    trigger: z.enum(["manual", "auto"]),
    from: z.string().nullable(),
    to: z.string().nullable(),
    started_at: z.string().datetime(),
    finished_at: z.string().datetime().nullable(),
    result: z.enum(UPDATE_RESULTS),
    step: z.string().nullable().openapi({ description: "The step that failed (failed or rolled back)" }),
    reason: z.string().nullable(),
    snapshot: z.string().nullable().openapi({ description: "The PVE snapshot taken before the update" }),
  })
  .openapi("AppUpdate");

const user = routesFor(authed, "apps");

const history = user.get("/apps/{app_id}/updates", {
  operationId: "listAppUpdates",
  summary: "The app's update history (newest first): from, to, started, finished, result, reason",
  request: { params: AppParams },
  responses: { 200: jsonResponse(z.object({ items: z.array(UpdateRecord) }), "Updates") },
});

const policy = user.put("/apps/{app_id}/update-policy", {
  operationId: "setAppUpdatePolicy",
  summary: "Off, notify, or automatic updates in a maintenance window (only what the entry calls safe)",
  request: { params: AppParams, body: jsonBody(UpdatePolicyBody) },
  responses: { 200: itemResponse("app", AppSchema, "The app with its policy") },
});

export function updatesRoutes() {
  return createRouter<UpdatesRouteServices>()
    .openapi(history, async (c) => {
      const rows = await c.get("services").updates.history(c.get("user"), c.req.valid("param").app_id);
      const items = rows.map((r) => ({
        id: r.id,
        job_id: r.jobId,
        trigger: r.trigger,
        from: r.fromVersion,
        to: r.toVersion,
        started_at: r.startedAt.toISOString(),
        finished_at: r.finishedAt?.toISOString() ?? null,
        result: r.result,
        step: r.step,
        reason: r.reason,
        snapshot: r.snapshot,
      }));
      return c.json({ items }, 200);
    })
    .openapi(policy, async (c) => {
      const app = await c
        .get("services")
        .updates.setPolicy(actorOf(c), c.req.valid("param").app_id, c.req.valid("json"));
      return c.json({ app: toPublicApp(app, c.get("services").catalog) }, 200);
    });
}
