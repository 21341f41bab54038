/** Route guards: requireAuth (any active user) and requireAdmin. Listed in each route's `middleware`. */
import type { Context, Next } from "hono";
import { decodeJwt } from "jose";
import { ForbiddenError, UnauthenticatedError } from "../core/errors.ts";
import { setRequestUser } from "../observability/capture.ts";
import { isObservabilityEnabled } from "../observability/state.ts";
import { type Authenticator, clientIpOf, type HttpEnv } from "./context.ts";

/** Any router whose services include an Authenticator can use the guards. */
type Guarded = { auth: Authenticator };

export async function requireAuth<S extends Guarded>(c: Context<HttpEnv<S>>, next: Next): Promise<void> {
  const header = c.req.header("authorization");
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  if (!match) throw new UnauthenticatedError("A bearer access token is required");
  const token = match[1]!;
  const user = await c.get("services").auth.authenticate(token);
  c.set("user", user);
  c.set("credential", { token, expiresAt: tokenExpiry(token) });
  // The client address asks the socket (Bun's requestIP): worked out only when a Sentry event needs it.
  if (isObservabilityEnabled()) setRequestUser(user, () => clientIpOf(c));
  await next();
}

/** Epoch ms of a verified JWT's `exp` (already checked by authenticate, so decoding is enough). */
function tokenExpiry(token: string): number {
  const { exp } = decodeJwt(token);
  return typeof exp === "number" ? exp * 1000 : Date.now();
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
 * publicRoute declares the absence of security explicitly (`security: []`), so a route that forgot its
 * guard shows up as undeclared rather than passing for public.
 */
export const publicRoute = { security: [] as { bearer: string[] }[] };
export const authed = { security: [{ bearer: [] as string[] }], middleware: [requireAuth] };
export const adminOnly = {
  security: [{ bearer: [] as string[] }],
  middleware: [requireAdmin],
  "x-proximity-role": "admin" as const,
};
