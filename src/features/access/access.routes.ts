/**
 * /api/v1/access (administrators set the domain; any user reads where things stand), /access/ca.pem (the
 * internal CA's root: public, it is what a device must trust) and /apps/{app_id}/exposure (the app's owner
 * or an administrator).
 */
import { z } from "@hono/zod-openapi";
import { NotFoundError } from "../../core/errors.ts";
import { actorOf } from "../../http/context.ts";
import { adminOnly, authed, publicRoute } from "../../http/guards.ts";
import { createRouter, itemResponse, jsonBody, jsonResponse, routesFor } from "../../http/openapi.ts";
import { AppParams, AppSchema, toPublicApp } from "../apps/apps.schemas.ts";
import type { CatalogService } from "../catalog/catalog.service.ts";
import { AccessUpdateBody, AccessView, ExposureBody } from "./access.schemas.ts";
import type { AccessService } from "./access.service.ts";
import { GATE_COOKIE, safePath } from "./gate.ts";

export interface AccessRouteServices {
  access: AccessService;
  catalog: CatalogService;
}

const user = routesFor(authed, "access");
const admin = routesFor(adminOnly, "access");
const anyone = routesFor(publicRoute, "access");
const appOwner = routesFor(authed, "apps");

const get = user.get("/access", {
  operationId: "getAccess",
  summary: "HTTPS names: the domain, the proxy's state, the DNS record to create",
  responses: { 200: jsonResponse(AccessView, "Access settings and status") },
});

const put = admin.put("/access", {
  operationId: "updateAccess",
  summary: "Set the domain and certificates; deploys the managed proxy when there is none",
  request: { body: jsonBody(AccessUpdateBody) },
  responses: { 200: jsonResponse(AccessView, "The new settings (the proxy converges in the background)") },
  errors: [409],
});

const caPem = anyone.get("/access/ca.pem", {
  operationId: "getAccessCa",
  summary: "The internal certificate authority's root, to trust on desktops and phones (docs/access.md)",
  responses: {
    200: {
      description: "PEM",
      content: { "application/x-pem-file": { schema: z.string() } },
    },
  },
  errors: [404],
});

const exposure = appOwner.post("/apps/{app_id}/exposure", {
  operationId: "setAppExposure",
  summary: "Expose the app at https://<hostname>.<domain> through the managed proxy, or stop",
  request: { params: AppParams, body: jsonBody(ExposureBody) },
  responses: { 200: itemResponse("app", AppSchema, "The app") },
  errors: [409],
});

const gateVerify = anyone.get("/access/gate/verify", {
  operationId: "verifyAccessGate",
  summary: "The proxy's question for a gated app: 200 lets the visitor through, 302 sends them to sign in",
  description:
    "Called by the managed proxy before each request to an app exposed with gate proximity (X-Forwarded-Host, X-Forwarded-Uri and the visitor's cookies). docs/access.md",
  responses: {
    200: { description: "The visitor's pass holds" },
    302: { description: "To Proximity's gate page (sign in first)" },
    403: { description: "No pass, and no PUBLIC_URL to send the visitor to" },
  },
});

const gateCallback = anyone.get("/access/gate/callback", {
  operationId: "accessGateCallback",
  summary:
    "The proxy hands /.proximity/gate on a gated app's name here: a one-time code becomes the pass cookie",
  request: {
    query: z.object({ code: z.string().max(1000).optional(), to: z.string().max(2048).optional() }),
  },
  responses: {
    302: { description: "Back to the app, with the pass cookie set on its name" },
    403: { description: "The code is invalid, used or expired" },
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
