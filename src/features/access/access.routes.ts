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
import { GATE_COOKIE, safePath } from "./gate.ts";

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

const gateVerify = createRoute({
  method: "get",
  path: "/access/gate/verify",
  operationId: "verifyAccessGate",
  tags: ["access"],
  summary: "The proxy's question for a gated app: 200 lets the visitor through, 302 sends them to sign in",
  description:
    "Called by the managed proxy before each request to an app exposed with gate proximity (X-Forwarded-Host, X-Forwarded-Uri and the visitor's cookies). docs/access.md",
  ...publicRoute,
  responses: {
    200: { description: "The visitor's pass holds" },
    302: { description: "To Proximity's gate page (sign in first)" },
    403: { description: "No pass, and no PUBLIC_URL to send the visitor to" },
    ...errorResponses(),
  },
});

const gateCallback = createRoute({
  method: "get",
  path: "/access/gate/callback",
  operationId: "accessGateCallback",
  tags: ["access"],
  summary:
    "The proxy hands /.proximity/gate on a gated app's name here: a one-time code becomes the pass cookie",
  ...publicRoute,
  request: {
    query: z.object({ code: z.string().max(1000).optional(), to: z.string().max(2048).optional() }),
  },
  responses: {
    302: { description: "Back to the app, with the pass cookie set on its name" },
    403: { description: "The code is invalid, used or expired" },
    ...errorResponses(422),
  },
});

const forwardedHost = (c: { req: { header(name: string): string | undefined } }) =>
  (c.req.header("x-forwarded-host") ?? c.req.header("host") ?? "").split(",")[0]!.trim().split(":")[0]!;

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
    .openapi(gateVerify, async (c) => {
      const access = c.get("services").access;
      const host = forwardedHost(c);
      if (await access.gateVerify(host, c.req.header("cookie"))) return c.body(null, 200);
      const signIn = access.gateSignIn(host, c.req.header("x-forwarded-uri") ?? "/");
      if (!signIn) return c.text("Sign-in gate: Proximity's PUBLIC_URL is not set\n", 403);
      return c.redirect(signIn, 302);
    })
    .openapi(gateCallback, async (c) => {
      const { code, to } = c.req.valid("query");
      const granted = await c.get("services").access.gateCallback(forwardedHost(c), code);
      if (!granted) return c.text("This sign-in link is invalid or has expired: open the app again.\n", 403);
      c.header(
        "set-cookie",
        `${GATE_COOKIE}=${granted.pass}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=${12 * 3600}`,
      );
      return c.redirect(safePath(to), 302);
    })
    .openapi(exposure, async (c) => {
      const app = await c
        .get("services")
        .access.expose(actorOf(c), c.req.valid("param").app_id, c.req.valid("json"));
      return c.json({ app: toPublicApp(app, c.get("services").catalog) }, 200);
    });
}
