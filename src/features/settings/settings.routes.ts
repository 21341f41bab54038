/** /api/v1/settings: any user reads (deploy forms need the defaults); administrators write. */
import { actorOf } from "../../http/context.ts";
import { adminOnly, authed } from "../../http/guards.ts";
import { createRouter, jsonBody, jsonResponse, routesFor } from "../../http/openapi.ts";
import { SettingsSchema, SettingsUpdateSchema } from "./settings.schemas.ts";
import type { SettingsService } from "./settings.service.ts";

/** The services these routes reach through `c.get("services")`. */
export interface SettingsRouteServices {
  settings: SettingsService;
}

const user = routesFor(authed, "settings");
const admin = routesFor(adminOnly, "settings");

const get = user.get("/settings", {
  operationId: "getSettings",
  summary: "Instance settings",
  responses: { 200: jsonResponse(SettingsSchema, "Settings") },
});

const put = admin.put("/settings", {
  operationId: "updateSettings",
  summary: "Change settings (sections given replace stored values field by field)",
  request: { body: jsonBody(SettingsUpdateSchema) },
  responses: { 200: jsonResponse(SettingsSchema, "The new settings") },
});

export function settingsRoutes() {
  return createRouter<SettingsRouteServices>()
    .openapi(get, async (c) => c.json(await c.get("services").settings.get(), 200))
    .openapi(put, async (c) => {
      const next = await c.get("services").settings.update(c.req.valid("json"), actorOf(c));
      return c.json(next, 200);
    });
}
