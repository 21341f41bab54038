/** The client address: the socket peer, or the first X-Forwarded-For hop when behind a trusted proxy. */
import type { Context } from "hono";
import type { AppEnv } from "./context.ts";

interface BunServerLike {
  requestIP?(req: Request): { address: string } | null;
}

export function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  const server = c.env as BunServerLike | undefined;
  try {
    return server?.requestIP?.(c.req.raw)?.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * The client address of this request, worked out on first use and kept for the rest of the request.
 * Bun's requestIP() asks the socket every time and most requests (health probes, reads) never need it.
 */
export function clientIpOf(c: Context<AppEnv>): string {
  let ip = c.get("clientIp");
  if (ip === undefined) {
    ip = clientIp(c, c.get("services").config.TRUST_PROXY);
    c.set("clientIp", ip);
  }
  return ip;
}
