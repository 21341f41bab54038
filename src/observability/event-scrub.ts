/** The last filter before anything is sent: applied to every error event and every transaction. */
import type { Event } from "@sentry/bun";
import { scrubDeep, scrubHeaders, scrubQueryString, scrubString, scrubUrl } from "../core/scrub.ts";
import { routeTemplate } from "./route-name.ts";

/** Contexts we build ourselves from known-safe fields; everything else is scrubbed deeply. */
const TRUSTED_CONTEXTS = new Set([
  "application",
  "performance",
  "database",
  "runtime",
  "os",
  "device",
  "culture",
  "cloud_resource",
]);

function scrubQuery(q: unknown): unknown {
  if (typeof q === "string") return scrubQueryString(q);
  if (Array.isArray(q)) {
    return scrubQueryString(
      new URLSearchParams(
        q.filter((p): p is [string, string] => Array.isArray(p) && p.length === 2),
      ).toString(),
    );
  }
  if (q && typeof q === "object") {
    return scrubQueryString(
      new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)])).toString(),
    );
  }
  return undefined;
}

export function scrubEvent<T extends Event>(event: T): T {
  if (event.request) {
    const r = event.request;
    delete r.data;
    delete r.cookies;
    delete r.env;
    if (r.headers) r.headers = scrubHeaders(r.headers) ?? {};
    if (r.url) r.url = scrubUrl(r.url);
    if (r.query_string !== undefined) {
      const q = scrubQuery(r.query_string);
      if (q) r.query_string = q as string;
      else delete r.query_string;
    }
  }
  if (event.message) event.message = scrubString(event.message);
  if (event.logentry?.message) event.logentry.message = scrubString(event.logentry.message);
  if (event.exception?.values) {
    for (const ex of event.exception.values) if (ex.value) ex.value = scrubString(ex.value);
  }
  if (event.breadcrumbs) {
    event.breadcrumbs = event.breadcrumbs.map((b) => ({
      ...b,
      ...(b.message ? { message: scrubString(b.message) } : {}),
      ...(b.data ? { data: scrubDeep(b.data) as Record<string, unknown> } : {}),
    }));
  }
  if (event.contexts) {
    for (const [name, ctx] of Object.entries(event.contexts)) {
      if (!ctx || TRUSTED_CONTEXTS.has(name)) continue;
      if (name === "trace") {
        if (ctx.data) ctx.data = scrubDeep(ctx.data) as Record<string, unknown>;
        continue;
      }
      event.contexts[name] = scrubDeep(ctx) as Record<string, unknown>;
    }
  }
  if (event.extra) event.extra = scrubDeep(event.extra) as Record<string, unknown>;
  if (event.tags) {
    for (const [k, v] of Object.entries(event.tags))
      if (typeof v === "string") event.tags[k] = scrubString(v);
  }
  if (event.spans) {
    for (const span of event.spans) {
      if (span.data) span.data = scrubDeep(span.data) as typeof span.data;
      if (span.description) span.description = scrubString(span.description);
    }
  }
  if (event.user) {
    const { id, username, email, ip_address, role } = event.user as Record<string, unknown>;
    event.user = Object.fromEntries(
      Object.entries({ id, username, email, ip_address, role }).filter(([, v]) => v !== undefined),
    );
  }
  if (event.transaction) event.transaction = routeTemplate(event.transaction);
  return event;
}
