/**
 * One access line per request, written when the response is ready: method, route template (`{param}` form,
 * never the concrete path, so ids and probing junk stay out), status, duration, request id and user id.
 * For a server-sent event stream the duration is the time to its first byte.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { log } from "../core/log.ts";
import { matchedRoutePath } from "../observability/middleware.ts";
import { routeTemplate } from "../observability/route-name.ts";
import type { AnyHttpEnv } from "./context.ts";

/** Polled by load balancers and scrapers every few seconds: at debug, so they do not drown the rest. */
const PROBES = new Set(["/health", "/ready", "/metrics"]);

/** The route template that answered (`/api/v1/apps/{app_id}`), or "unmatched" for a 404 of the router. */
export function routeOf(c: Context): string {
  const path = matchedRoutePath(c);
  return path ? routeTemplate(path) : "unmatched";
}

export const accessLog = createMiddleware<AnyHttpEnv>(async (c, next) => {
  const started = performance.now();
  try {
    await next();
  } finally {
    // Lines are at info or debug: below LOG_LEVEL=info there is nothing to work out.
    if (log.enabled("info")) writeLine(c, started);
  }
});

function writeLine(c: Context<AnyHttpEnv>, started: number): void {
  const route = routeOf(c);
  const status = c.res.status;
  const level = PROBES.has(route) && status < 500 ? "debug" : "info";
  if (log.enabled(level)) {
    log[level](`${c.req.method} ${route} ${status}`, {
      type: "access",
      method: c.req.method,
      route,
      status,
      duration_ms: Math.round((performance.now() - started) * 10) / 10,
      request_id: c.get("requestId"),
      user_id: c.get("user")?.id ?? null,
    });
  }
}
