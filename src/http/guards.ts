/** Route guards: requireAuth (any active user) and requireAdmin. Listed in each route's `middleware`. */
import type { Context, Next } from "hono";
import { ForbiddenError, UnauthenticatedError } from "../core/errors.ts";
import { setRequestUser } from "../observability/capture.ts";
import type { Authenticator, HttpEnv } from "./context.ts";

/** Any router whose services include an Authenticator can use the guards. */
type Guarded = { auth: Authenticator };

export async function requireAuth<S extends Guarded>(c: Context<HttpEnv<S>>, next: Next): Promise<void> {
  const header = c.req.header("authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match) throw new UnauthenticatedError("A bearer access token is required");
  const user = await c.get("services").auth.authenticate(match[1]!);
  c.set("user", user);
  setRequestUser(user, c.get("clientIp"));
  await next();
}

export async function requireAdmin<S extends Guarded>(c: Context<HttpEnv<S>>, next: Next): Promise<void> {
  await requireAuth(c, async () => {
    if (c.get("user").role !== "admin") throw new ForbiddenError("This action requires an administrator");
    await next();
  });
}

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
