/**
 * The Hono environment of every router. A router declares the services it uses (`HttpEnv<{ apps: AppsService }>`)
 * and reaches them with `c.get("services")`; the container in src/boot satisfies every router's needs, and
 * this layer never has to know the whole container.
 */
import type { Context } from "hono";
import type { AuthUser, UserActor } from "../core/identity.ts";

/** What the auth guard needs: a bearer token turned into an active user (AuthService implements it). */
export interface Authenticator {
  authenticate(token: string): Promise<AuthUser>;
}

export interface RequestVariables {
  requestId: string;
  /** Set by requireAuth once the JWT is verified and the user is known to be active. */
  user: AuthUser;
  /** Client address (socket peer, or X-Forwarded-For when TRUST_PROXY is on). */
  clientIp: string;
}

export interface HttpEnv<S = object> {
  Variables: RequestVariables & { services: S };
}

/** Any router's environment, as the app factory and shared middleware see it. */
export type AnyHttpEnv = HttpEnv<object>;

/** The signed-in user and address of a guarded request, as services take it. */
export function actorOf<S extends object>(c: Context<HttpEnv<S>>): UserActor {
  return { user: c.get("user"), ip: c.get("clientIp") };
}
