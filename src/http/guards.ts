/** Route guards: requireAuth (any active user) and requireAdmin. Listed in each route's `middleware`. */
import { createMiddleware } from "hono/factory";
import { ForbiddenError, UnauthenticatedError } from "../core/errors.ts";
import { setRequestUser } from "../observability/capture.ts";
import { clientIpOf } from "./client-ip.ts";
import type { AppEnv } from "./context.ts";

export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match) throw new UnauthenticatedError("A bearer access token is required");
  const { user, account } = await c.get("services").auth.authenticateAccount(match[1]!);
  c.set("account", account);
  c.set("user", user);
  setRequestUser(user, clientIpOf(c));
  await next();
});

export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  await requireAuth(c, async () => {
    if (c.get("user").role !== "admin") throw new ForbiddenError("This action requires an administrator");
    await next();
  });
});

/**
 * Spread into createRoute(): the guard, its OpenAPI security, and (for admin routes) an `x-proximity-role`
 * marker so the generated document — and the shared security test harness — know who may call what.
 */
export const authed = { security: [{ bearer: [] as string[] }], middleware: [requireAuth] };
export const adminOnly = {
  security: [{ bearer: [] as string[] }],
  middleware: [requireAdmin],
  "x-proximity-role": "admin" as const,
};
