/**
 * The per-request layer, registered first in createApp:
 * - an isolation scope per request (Bun.serve's integration already gives one; app.request() does not);
 * - counters for the performance context; tags authenticated / user_role and the user from the JWT;
 * - the transaction named by route template with {param};
 * - one HTTP breadcrumb per request and user-action crumbs for auth and settings calls;
 * - capture of 5xx/unhandled errors (4xx never) with error_type and status_code; a deliberate 503 BUSY
 *   (load shedding, docs/security.md) is not a fault and is not captured.
 *
 * Sentry's own Hono middleware is not used: it wraps every middleware in a Proxy that starts a span, sampled
 * or not, and names the route and sets the normalized request a second time (Bun.serve's integration and
 * this layer already do both) — about a third of the layer's per-request cost (docs/performance.md).
 */

import type { Context, Hono, MiddlewareHandler, Next } from "hono";
import { isAppError } from "../core/errors.ts";
import type { AuthUser } from "../core/identity.ts";
import { type CrumbData, pushCrumb, userAction } from "./breadcrumbs.ts";
import { captureError, setRequestUser } from "./capture.ts";
import { beginUnitOfWork } from "./perf.ts";
import { transactionName } from "./route-name.ts";
import { Sentry } from "./sdk.ts";
import { state } from "./state.ts";

/** What this layer reads from the request context (set by the request-id middleware and the auth guard). */
interface ObservedEnv {
  Variables: { user?: AuthUser; requestId?: string; clientIp?: string };
}

export interface InstrumentDeps {
  /** "pglite" or "postgresql": the database context (never the URL). */
  databaseScheme: string;
}

/** @sentry/conventions SENTRY_SEGMENT_NAME_SOURCE (the transaction_info.source of a static transaction). */
const SEGMENT_NAME_SOURCE = "sentry.segment.name.source";
/** @sentry/conventions HTTP_ROUTE. */
const HTTP_ROUTE = "http.route";

interface MatchedRoute {
  path: string;
  method: string;
}

/**
 * The path of the route handler that answered (not of a middleware: those are registered as ALL). Handlers
 * run in the order they were registered and the first one answers, so it is the first route of a method:
 * `GET /apps/discover` also matches the later `GET /apps/:app_id`, which never ran.
 */
export function matchedRoutePath(c: Context): string | undefined {
  const routes = (c.req as unknown as { matchedRoutes?: MatchedRoute[] }).matchedRoutes ?? [];
  return routes.find((r) => r.method !== "ALL")?.path;
}

/** User actions worth a crumb, derived from the request so route handlers need no extra calls. */
function userActionOf(method: string, path: string, status: number): string | undefined {
  const p = path.replace(/\/+$/, "");
  if (method === "POST") {
    if (p.endsWith("/auth/login")) return status < 400 ? "login" : "login failed";
    if (p.endsWith("/auth/logout")) return "logout";
    if (p.endsWith("/auth/register")) return "register";
    if (p.endsWith("/auth/change-password")) return "password change";
    if (/\/users$/.test(p)) return "user created";
  }
  if ((method === "PUT" || method === "PATCH") && /\/settings(\/|$)/.test(p)) return "settings change";
  if (method === "PATCH" && /\/users\/[^/]+$/.test(p)) return "user changed";
  if (method === "DELETE" && /\/users\/[^/]+$/.test(p)) return "user deleted";
  return undefined;
}

/** Transaction names by method and route path: a handful of routes, named once each. */
const nameCache = new Map<string, string>();

function cachedTransactionName(method: string, route: string): string {
  const key = `${method} ${route}`;
  let name = nameCache.get(key);
  if (name === undefined) {
    name = transactionName(method, route);
    if (nameCache.size < 5000) nameCache.set(key, name);
  }
  return name;
}

async function observeRequest(c: Context<ObservedEnv>, next: Next): Promise<void> {
  const scope = Sentry.getIsolationScope();
  beginUnitOfWork(scope);
  scope.setTag("authenticated", "false");
  // Named before the handlers run (the router has matched already), so events captured during the request
  // carry the route template as their transaction.
  const route = matchedRoutePath(c);
  const name = route ? cachedTransactionName(c.req.method, route) : undefined;
  if (name) {
    scope.setTransactionName(name);
    const span = Sentry.getActiveSpan();
    if (span) {
      const root = Sentry.getRootSpan(span);
      root.updateName(name);
      // updateName marks the name "custom"; it is still the route template, so say so.
      root.setAttribute(SEGMENT_NAME_SOURCE, "route");
      root.setAttribute(HTTP_ROUTE, name.slice(name.indexOf(" ") + 1));
    }
  }
  try {
    await next();
  } finally {
    const status = c.res.status;
    const user = c.get("user");
    if (user) setRequestUser(user, c.get("clientIp"));
    const requestId = c.get("requestId");
    if (requestId) scope.setTag("request_id", requestId);
    const method = c.req.method;
    const path = c.req.path;
    const data: CrumbData = { method, path, status_code: status };
    if (name) data.route = name;
    pushCrumb(
      "http.request",
      `${method} ${path} → ${status}`,
      data,
      status >= 500 ? "error" : status >= 400 ? "warning" : "info",
      "http",
    );
    const action = userActionOf(method, path, status);
    if (action) userAction(action, { status_code: status }, status >= 400 ? "warning" : "info");
    // 4xx are the client's mistakes: never captured. 5xx and unhandled errors always are.
    if (c.error && status >= 500 && !(isAppError(c.error) && c.error.code === "BUSY")) {
      captureError(c.error, { status, mechanism: "auto.http.hono.proximity" });
    }
  }
}

const requestLayer: MiddlewareHandler<ObservedEnv> = (c, next) => {
  // Under Bun.serve the integration already isolated this request; nesting another scope here would make
  // the middleware-captured error lose the user. Only app.request() needs one.
  if (Sentry.getIsolationScope() === state.defaultIsolationScope) {
    return Sentry.withIsolationScope((scope) => {
      const req = c.req.raw;
      scope.setSDKProcessingMetadata({
        normalizedRequest: {
          method: req.method,
          url: req.url,
          headers: Sentry.winterCGHeadersToDict(req.headers),
        },
      });
      return observeRequest(c, next);
    });
  }
  return observeRequest(c, next);
};

/** Registers the layer on `app`; call before any other middleware. Does nothing without SENTRY_DSN. */
// biome-ignore lint/suspicious/noExplicitAny: any router's environment; this layer reads only ObservedEnv's keys.
export function instrumentApp(app: Hono<any>, deps: InstrumentDeps): void {
  if (!state.enabled) return;
  Sentry.getGlobalScope().setContext("database", { scheme: deps.databaseScheme });
  app.use(requestLayer);
}
