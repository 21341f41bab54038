/**
 * Text the database cannot store is refused at the door, as a validation error naming the field: a NUL
 * character (PostgreSQL's text types refuse it, so it surfaced as a 500 with a Sentry event) or an unpaired
 * UTF-16 surrogate (not encodable as UTF-8), anywhere in the path, the query, a JSON body or a form.
 * Runs after the body limit; reads the body through Hono's cache, so the route's own validation reuses it.
 */
import type { Context, Next } from "hono";
import { type ErrorDetail, ValidationError } from "../core/errors.ts";

const MESSAGE = "must not contain NUL characters or unpaired surrogates";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function badText(s: string): boolean {
  return s.includes("\0") || LONE_SURROGATE.test(s);
}

/** The fields (dotted paths) of a parsed body whose keys or strings are bad. */
function badFields(value: unknown, path: string, out: ErrorDetail[], depth = 0): void {
  if (out.length >= 10 || depth > 64) return;
  if (typeof value === "string") {
    if (badText(value)) out.push({ field: path || "body", message: MESSAGE });
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) badFields(v, path ? `${path}.${i}` : String(i), out, depth + 1);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const field = path ? `${path}.${k}` : k;
      if (badText(k)) out.push({ field: field.replace(/[^\x20-\x7e]/g, "?"), message: MESSAGE });
      else badFields(v, field, out, depth + 1);
    }
  }
}

function decodes(s: string): boolean {
  try {
    return !badText(decodeURIComponent(s.replace(/\+/g, " ")));
  } catch {
    return false;
  }
}

export async function rejectUnsafeText(c: Context, next: Next): Promise<void> {
  const details: ErrorDetail[] = [];
  const url = c.req.url;
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  if (path.includes("%") && !decodes(path)) details.push({ field: "path", message: MESSAGE });
  if (q !== -1 && url.includes("%", q)) {
    for (const pair of url.slice(q + 1).split("&")) {
      const [k = "", v = ""] = pair.split("=");
      if (!decodes(k) || !decodes(v))
        details.push({ field: `query.${decodes(k) ? decodeURIComponent(k) : "?"}`, message: MESSAGE });
    }
  }
  if (c.req.method !== "GET" && c.req.method !== "HEAD") {
    const type = c.req.header("content-type") ?? "";
    if (type.startsWith("application/json")) {
      // Malformed JSON is the route's to report ("Malformed JSON in request body").
      const body = await c.req.json().catch(() => undefined);
      badFields(body, "", details);
    } else if (
      type.startsWith("application/x-www-form-urlencoded") ||
      type.startsWith("multipart/form-data")
    ) {
      const body = await c.req.parseBody().catch(() => undefined);
      badFields(body, "", details);
    }
  }
  if (details.length) throw new ValidationError("The request contains text that cannot be stored", details);
  await next();
}
