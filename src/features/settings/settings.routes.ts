/** /api/v1/settings: any user reads (deploy forms need the defaults); administrators write. */
import { createRoute } from "@hono/zod-openapi";
import { actorOf } from "../../http/context.ts";
import { adminOnly, authed } from "../../http/guards.ts";
import { createRouter, errorResponses, jsonBody, jsonResponse } from "../../http/openapi.ts";
import { SettingsSchema, SettingsUpdateSchema } from "./settings.schemas.ts";
import type { SettingsService } from "./settings.service.ts";

/** The services these routes reach through `c.get("services")`. */
export interface SettingsRouteServices {
  settings: SettingsService;
}

const get = createRoute({
  method: "get",
  path: "/settings",
  operationId: "getSettings",
  tags: ["settings"],
  summary: "Instance settings",
  ...authed,
  responses: { 200: jsonResponse(SettingsSchema, "Settings"), ...errorResponses(401) },
});

const put = createRoute({
  method: "put",
  path: "/settings",
  operationId: "updateSettings",
  tags: ["settings"],
  summary: "Change settings (sections given replace stored values field by field)",
  ...adminOnly,
  request: { body: jsonBody(SettingsUpdateSchema) },
  responses: { 200: jsonResponse(SettingsSchema, "The new settings"), ...errorResponses(401, 403, 422) },
});

export function settingsRoutes() {
  return createRouter<SettingsRouteServices>()
    .openapi(get, async (c) => c.json(await c.get("services").settings.get(), 200))
    .openapi(put, async (c) => {
      const next = await c.get("services").settings.update(c.req.valid("json"), actorOf(c));
      return c.json(next, 200);
    });
}
