/**
 * Which names the web pages answer to: PUBLIC_URL's host, localhost, and literal IP addresses. A page
 * fetched under any other name is refused: a DNS-rebinding page (evil.example resolving to this machine)
 * would otherwise be same-origin with itself and could drive the first-run setup or a signed-in session.
 * Behind a trusted proxy (TRUST_PROXY) the name the browser used is X-Forwarded-Host when present.
 */
import type { Context, Next } from "hono";
import { ForbiddenError } from "../core/errors.ts";
import type { WebEnv } from "./context.ts";

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The host name (no port) of a Host header value; IPv6 literals keep their brackets off. */
function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") === -1 ? undefined : h.indexOf("]"));
  return h.replace(/:\d+$/, "").replace(/\.$/, "");
}

function isKnownHost(name: string, publicUrl: string): boolean {
  if (name === new URL(publicUrl).hostname.replace(/^\[|\]$/g, "").toLowerCase()) return true;
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  return IPV4.test(name) || (name.includes(":") && /^[0-9a-f:.]+$/.test(name));
}

/** The name the browser addressed: the Host header, or X-Forwarded-Host behind a trusted proxy. */
export function addressedHost(c: Context<WebEnv>): string | undefined {
  if (c.get("services").config.TRUST_PROXY) {
    const forwarded = c.req.header("x-forwarded-host")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  return c.req.header("host") ?? new URL(c.req.url).host;
}

export async function knownHost(c: Context<WebEnv>, next: Next): Promise<void> {
  const host = addressedHost(c);
  const publicUrl = c.get("services").config.PUBLIC_URL;
  if (host && !isKnownHost(hostnameOf(host), publicUrl)) {
    throw new ForbiddenError(
      `Proximity does not answer to "${hostnameOf(host).slice(0, 100)}": open it at ${publicUrl} (PUBLIC_URL), localhost or its IP address`,
    );
  }
  await next();
}
