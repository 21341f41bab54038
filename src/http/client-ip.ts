/** The client address: the socket peer, or the first X-Forwarded-For hop when behind a trusted proxy. */
import type { Context } from "hono";

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
