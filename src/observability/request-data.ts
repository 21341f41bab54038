/**
 * The request context of an event (the guide's method, URL, query parameters and headers), built from the
 * request only when an event is: most requests never produce one. What the SDK's own request data leaves
 * out is left out here too — cookies, and the headers that carry a client address (the user's address
 * comes from the verified request: capture.ts) — and header names the SDK masks beyond core/scrub.ts's
 * rules are masked. beforeSend then scrubs the whole event (event-scrub.ts): credential headers go, and
 * the URL and query string lose sensitive parameters.
 */
import type { RequestEventData } from "@sentry/bun";
import { FILTERED } from "../core/scrub.ts";

/** Forwarding headers naming a client's address (the SDK's list; lower case, as Headers yields them). */
const ADDRESS_HEADERS = new Set([
  "x-client-ip",
  "x-forwarded-for",
  "fly-client-ip",
  "cf-connecting-ip",
  "fastly-client-ip",
  "true-client-ip",
  "x-real-ip",
  "x-cluster-client-ip",
  "x-forwarded",
  "forwarded-for",
  "forwarded",
  "x-vercel-forwarded-for",
]);

/** Name fragments whose values the SDK masks and core/scrub.ts does not remove (session ids, SSO). */
const MASKED_HEADER = /sid|identity|sso|saml/;

export function requestEventData(req: Request): RequestEventData {
  const headers: Record<string, string> = {};
  req.headers.forEach((value, name) => {
    if (name === "cookie" || ADDRESS_HEADERS.has(name)) return;
    headers[name] = MASKED_HEADER.test(name) ? FILTERED : value;
  });
  const url = req.url;
  const data: RequestEventData = { method: req.method, url, headers };
  const q = url.indexOf("?");
  if (q >= 0 && q < url.length - 1) data.query_string = url.slice(q + 1);
  return data;
}
