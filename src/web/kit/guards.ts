/**
 * Who may reach a group of web routes, as middleware on the group's router (the web's counterpart of the
 * API's `authed` / `adminOnly`, src/http/guards.ts). The session middleware (session.ts) has already
 * resolved the cookie into `viewer`: these only decide. A guard runs before the handler reads its body, so
 * a non-administrator gets 403 on an admin route whatever they sent (never a 422 about the input).
 */
import { createMiddleware } from "hono/factory";
import { ForbiddenError, UnauthenticatedError } from "../../core/errors.ts";
import type { WebEnv } from "../context.ts";

/** Who a group of routes is for; the route walk (tests/db/web/route-security.test.ts) checks each. */
export type WebAccess = "public" | "signed-in" | "admin";

/** Refusal of an administrators' page: the error page says so and offers the way back. */
export class AdminOnlyError extends ForbiddenError {
  constructor() {
    super("This page is for administrators");
  }
}

export const signedIn = createMiddleware<WebEnv>(async (c, next) => {
  if (!c.get("viewer")) throw new UnauthenticatedError("Sign in to continue");
  await next();
});

export const adminOnly = createMiddleware<WebEnv>(async (c, next) => {
  const v = c.get("viewer");
  if (!v) throw new UnauthenticatedError("Sign in to continue");
  if (v.role !== "admin") throw new AdminOnlyError();
  await next();
});

export const GUARDS = { public: undefined, "signed-in": signedIn, admin: adminOnly } as const;
