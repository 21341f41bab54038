/**
 * /api/v1/access (administrators set the domain; any user reads where things stand), /access/ca.pem (the
 * internal CA's root: public, it is what a device must trust) and /apps/{app_id}/exposure (the app's owner
 * or an administrator).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { NotFoundError } from "../../core/errors.ts";
import { actorOf } from "../../http/context.ts";
import { adminOnly, authed, publicRoute } from "../../http/guards.ts";
import { createRouter, errorResponses, jsonBody, jsonResponse, UuidParam } from "../../http/openapi.ts";
import { AppSchema, toPublicApp } from "../apps/apps.schemas.ts";
import type { CatalogService } from "../catalog/catalog.service.ts";
import { AccessUpdateBody, AccessView, ExposureBody } from "./access.schemas.ts";
import type { AccessService } from "./access.service.ts";

export interface AccessRouteServices {
  access: AccessService;
  catalog: CatalogService;
}

const get = createRoute({
  method: "get",
  path: "/access",
  operationId: "getAccess",
  tags: ["access"],
  summary: "HTTPS names: the domain, the proxy's state, the DNS record to create",
  ...authed,
  responses: { 200: jsonResponse(AccessView, "Access settings and status"), ...errorResponses(401) },
});

const put = createRoute({
  method: "put",
  path: "/access",
  operationId: "updateAccess",
  tags: ["access"],
  summary: "Set the domain and certificates; deploys the managed proxy when there is none",
  ...adminOnly,
  request: { body: jsonBody(AccessUpdateBody) },
  responses: {
    200: jsonResponse(AccessView, "The new settings (the proxy converges in the background)"),
    ...errorResponses(401, 403, 409, 422),
  },
});

const caPem = createRoute({
  method: "get",
  path: "/access/ca.pem",
  operationId: "getAccessCa",
  tags: ["access"],
  summary: "The internal certificate authority's root, to trust on desktops and phones (docs/access.md)",
  ...publicRoute,
  responses: {
    200: {
      description: "PEM",
      content: { "application/x-pem-file": { schema: z.string() } },
    },
    ...errorResponses(404),
  },
});

const exposure = createRoute({
  method: "post",
  path: "/apps/{app_id}/exposure",
  operationId: "setAppExposure",
  tags: ["apps"],
  summary: "Expose the app at https://<hostname>.<domain> through the managed proxy, or stop",
  ...authed,
  request: { params: z.object({ app_id: UuidParam("app_id") }), body: jsonBody(ExposureBody) },
  responses: {
    200: jsonResponse(z.object({ app: AppSchema }), "The app"),
    ...errorResponses(401, 404, 409, 422),
  },
});

export function accessRoutes() {
  return createRouter<AccessRouteServices>()
    .openapi(get, async (c) => c.json(await c.get("services").access.view(), 200))
    .openapi(put, async (c) =>
      c.json(await c.get("services").access.update(actorOf(c), c.req.valid("json")), 200),
    )
    .openapi(caPem, async (c) => {
      const pem = await c.get("services").access.rootCertificate();
      if (!pem) throw new NotFoundError("The internal CA (set a domain with internal certificates first)");
      return c.body(pem, 200, {
        "content-type": "application/x-pem-file",
        "content-disposition": 'attachment; filename="proximity-ca.pem"',
      });
    })
    .openapi(exposure, async (c) => {
      const app = await c
        .get("services")
        .access.expose(actorOf(c), c.req.valid("param").app_id, c.req.valid("json"));
      return c.json({ app: toPublicApp(app, c.get("services").catalog) }, 200);
    });
}
