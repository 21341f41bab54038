/**
 * GET /metrics (Prometheus text). Readable with an administrator's bearer token, or with METRICS_TOKEN (a
 * static bearer token for scrapers) when that is set; anonymous requests get 401, other users 403.
 * Also the request counter middleware: one sample per request, labelled by route template.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import type { Config } from "../../core/config.ts";
import type { Authenticator, HttpEnv } from "../../http/context.ts";
import { requireAdmin } from "../../http/guards.ts";
import { createRouter, errorResponses } from "../../http/openapi.ts";
import { matchedRoutePath } from "../../observability/middleware.ts";
import { routeTemplate } from "../../observability/route-name.ts";
import { CONTENT_TYPE, type Metrics } from "./metrics.ts";

/** The services these routes reach through `c.get("services")`. */
export interface MetricsRouteServices {
  config: Config;
  metrics: Metrics;
  auth: Authenticator;
}

function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** METRICS_TOKEN as a bearer token, else the usual admin check (401 anonymous, 403 non-admin). */
const requireMetricsAccess = createMiddleware<HttpEnv<MetricsRouteServices>>(async (c, next) => {
  const token = c.get("services").config.METRICS_TOKEN;
  const presented = c.req.header("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (token && presented && sameSecret(presented, token)) return next();
  return requireAdmin(c, next);
});

const metrics = createRoute({
  method: "get",
  path: "/metrics",
  operationId: "getMetrics",
  tags: ["system"],
  summary: "Prometheus metrics (admin bearer token, or METRICS_TOKEN)",
  security: [{ bearer: [] as string[] }],
  middleware: [requireMetricsAccess] as const,
  "x-proximity-role": "admin" as const,
  responses: {
    200: {
      description: "Prometheus text exposition format 0.0.4",
      content: { "text/plain": { schema: z.string() } },
    },
    ...errorResponses(401, 403),
  },
});

export function metricsRoutes() {
  return createRouter<MetricsRouteServices>().openapi(metrics, async (c) => {
    const body = await c.get("services").metrics.render();
    return c.text(body, 200, { "content-type": CONTENT_TYPE });
  });
}

/** Route paths are a fixed set: each is turned into its template once. */
const templates = new Map<string, string>();
function templateOf(route: string): string {
  let t = templates.get(route);
  if (t === undefined) {
    t = routeTemplate(route);
    templates.set(route, t);
  }
  return t;
}

/** Counts every request by method, route template ({param} form) and status, and times it. */
export const countRequests = createMiddleware<HttpEnv<MetricsRouteServices>>(async (c, next) => {
  const started = performance.now();
  try {
    await next();
  } finally {
    const route = matchedRoutePath(c);
    c.get("services")?.metrics.observeHttp(
      c.req.method,
      route ? templateOf(route) : "unmatched",
      c.res.status,
      (performance.now() - started) / 1000,
    );
  }
});
