/**
 * The per-request layer, registered first in createApp. It is the only request instrumentation: @sentry/bun's
 * Bun.serve integration is left out (options.ts), because per request, sampled or not, it parsed the URL,
 * turned request and response headers into span attributes, asked the socket for the client address and
 * built the normalized request (docs/performance.md, "Fifth round"). Here, per request:
 * - a unit of work of its own (unit.ts, the layer's AsyncLocalStorage), so concurrent requests'
 *   breadcrumbs, tags, user and counters never mix, under Bun.serve and app.request() alike; a Sentry
 *   scope is built from it only for an event or a sampled transaction (docs/performance.md, "Sixth round");
 * - the trace: an incoming `sentry-trace`/`baggage` is continued, else each request has its own (its id
 *   made only when an event or a transaction needs it);
 * - one `http.server` span named by the route template with {param} (source route), which is the
 *   transaction when sampled; its status and `http.response.status_code` from the response (no span for
 *   preflights, HEAD and the probes /health, /ready, /metrics; an unsampled trace's span is started only
 *   if an event needs it: request-span.ts);
 * - the request data of events (method, URL, query, headers; scrubbed in beforeSend) and the user's
 *   address, both worked out only when an event is built;
 * - counters for the performance context; tag authenticated (the auth guard sets the user and role);
 * - one HTTP breadcrumb per request and user-action crumbs for auth and settings calls;
 * - capture of 5xx/unhandled errors (4xx never) with error_type and status_code; a deliberate 503 BUSY
 *   (load shedding, docs/security.md) is not a fault and is not captured.
 *
 * A streamed response (server-sent events) ends its span when the handler returns the response, not when
 * the stream closes: a transaction measures the time to the response, not how long a client listened.
 *
 * Sentry's own Hono middleware is not used either: it wraps every middleware in a Proxy that starts a span,
 * sampled or not, and names the route and sets the normalized request a second time.
 */

import type { Span } from "@sentry/bun";
import type { Context, Hono, MiddlewareHandler, Next } from "hono";
import { isAppError } from "../core/errors.ts";
import { type CrumbData, pushCrumb, userAction } from "./breadcrumbs.ts";
import { captureError } from "./capture.ts";
import { dropTransaction, isDroppedStatus } from "./dropped-status.ts";
import { isUntracedPath } from "./options.ts";
import { requestSpanOptions, type SpanOptions, settleRequestSpan, traceSampled } from "./request-span.ts";
import { transactionName } from "./route-name.ts";
import { Sentry } from "./sdk.ts";
import { state } from "./state.ts";
import { endRequestTransaction } from "./transaction.ts";
import { inOwnTrace, newUnit, runInUnit, settleUserAddress, type Unit } from "./unit.ts";

/** What this layer reads from the request context (set by the request-id middleware and the auth guard). */
interface ObservedEnv {
  Variables: { requestId?: string };
}

export interface InstrumentDeps {
  /** "pglite" or "postgresql": the database context (never the URL). */
  databaseScheme: string;
}

/** @sentry/core SPAN_STATUS_ERROR. */
const SPAN_STATUS_ERROR = 2;

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
  // Reads (most requests) are no user action: nothing to look at.
  if (method === "GET") return undefined;
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

/**
 * Transaction names by route path, then method: a handful of routes, named once each. Looked up by the
 * router's own strings, without a key string made per request.
 */
const nameCache = new Map<string, Map<string, string>>();
let cachedNames = 0;

function cachedTransactionName(method: string, route: string): string {
  let byMethod = nameCache.get(route);
  let name = byMethod?.get(method);
  if (name === undefined) {
    name = transactionName(method, route);
    if (cachedNames < 5000) {
      if (!byMethod) {
        byMethod = new Map();
        nameCache.set(route, byMethod);
      }
      byMethod.set(method, name);
      cachedNames++;
    }
  }
  return name;
}

/** Requests that get no span (as in Sentry's own HTTP server instrumentation): preflights and HEAD. */
const UNTRACED_METHODS = new Set(["OPTIONS", "HEAD"]);

async function observeRequest(
  c: Context<ObservedEnv>,
  next: Next,
  unit: Unit,
  span: Span | undefined,
): Promise<void> {
  try {
    await next();
  } catch (err) {
    // Hono hands errors to the app's onError; only one thrown past it gets here (the response is Bun's).
    captureError(err, { status: 500, mechanism: "auto.http.hono.proximity" });
    settleRequestSpan(unit);
    if (span?.isRecording()) {
      span.setStatus({ code: SPAN_STATUS_ERROR, message: "internal_error" });
      endTransaction(unit, span);
    }
    throw err;
  }
  const status = c.res.status;
  const requestId = c.get("requestId");
  if (requestId) unit.tags.request_id = requestId;
  const method = c.req.method;
  const path = c.req.path;
  const data: CrumbData = { method, path, status_code: status };
  if (unit.transactionName) data.route = unit.transactionName;
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
  settleRequestSpan(unit);
  // Only a sampled span is ended: ending one queues its conversion into a transaction (a timer per request)
  // only to find it unsampled. Its drop was counted when it started (the client report's sample_rate).
  if (span?.isRecording()) {
    // The SDK would build this transaction only to drop it for its status (dropped-status.ts).
    if (isDroppedStatus(status)) return dropTransaction(span);
    Sentry.setHttpStatus(span, status);
    endTransaction(unit, span);
  }
}

/**
 * Ends a sampled request's span, which becomes its transaction with the request's user, tags and request
 * data (transaction.ts; it is built after the response has gone, so the user's address is worked out now).
 */
function endTransaction(unit: Unit, span: Span): void {
  settleUserAddress(unit);
  endRequestTransaction(unit, span);
}

const requestLayer: MiddlewareHandler<ObservedEnv> = (c, next) => {
  const req = c.req.raw;
  const sentryTrace = req.headers.get("sentry-trace");
  const unit = newUnit(req, !sentryTrace);
  unit.tags.authenticated = "false";
  // Named before the handlers run (the router has matched already), so events captured during the
  // request carry the route template as their transaction.
  const method = req.method;
  const route = matchedRoutePath(c);
  const name = route ? cachedTransactionName(method, route) : undefined;
  unit.transactionName = name;
  const path = c.req.path;
  // Preflights, HEAD and probes get no span: the sampler would drop every one of them (options.ts).
  const traced = !UNTRACED_METHODS.has(method) && !isUntracedPath(path);
  if (sentryTrace) {
    const options = traced ? requestSpanOptions(method, path, name) : undefined;
    return runInUnit(unit, continuedRequest, c, next, unit, sentryTrace, options);
  }
  if (!traced) return runInUnit(unit, observeRequest, c, next, unit, undefined);
  if (!traceSampled(unit, state.settings?.tracesSampleRate ?? 0)) {
    unit.deferredPath = path;
    return runInUnit(unit, observeRequest, c, next, unit, undefined);
  }
  return runInUnit(unit, () =>
    inOwnTrace(unit, () =>
      Sentry.startSpanManual(requestSpanOptions(method, path, name), (span) => {
        unit.span = span;
        return observeRequest(c, next, unit, span);
      }),
    ),
  );
};

/** A trace the caller started keeps the caller's decision: the SDK takes it with the span. */
function continuedRequest(
  c: Context<ObservedEnv>,
  next: Next,
  unit: Unit,
  sentryTrace: string,
  options: SpanOptions | undefined,
): Promise<void> {
  return Sentry.continueTrace({ sentryTrace, baggage: c.req.raw.headers.get("baggage") }, () =>
    options
      ? Sentry.startSpanManual(options, (span) => {
          unit.span = span;
          return observeRequest(c, next, unit, span);
        })
      : observeRequest(c, next, unit, undefined),
  );
}

/** Registers the layer on `app`; call before any other middleware. Does nothing without SENTRY_DSN. */
// biome-ignore lint/suspicious/noExplicitAny: any router's environment; this layer reads only ObservedEnv's keys.
export function instrumentApp(app: Hono<any>, deps: InstrumentDeps): void {
  if (!state.enabled) return;
  Sentry.getGlobalScope().setContext("database", { scheme: deps.databaseScheme });
  app.use(requestLayer);
}
