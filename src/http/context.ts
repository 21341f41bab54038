/**
 * The Hono environment of every router. A router declares the services it uses (`HttpEnv<{ apps: AppsService }>`)
 * and reaches them with `c.get("services")`; the container in src/boot satisfies every router's needs, and
 * this layer never has to know the whole container.
 */
import type { Context } from "hono";
import type { AuthUser, ClientActor, UserActor } from "../core/identity.ts";
import { clientIp } from "./client-ip.ts";

/** What the auth guard needs: a bearer token turned into an active user (AuthService implements it). */
export interface Authenticator {
  authenticate(token: string): Promise<AuthUser>;
}

export interface RequestVariables {
  requestId: string;
  /** Set by requireAuth once the JWT is verified and the user is known to be active. */
  user: AuthUser;
  /**
   * The access token the request was authorised with, and when it expires: long-lived responses (event
   * streams) re-check it while they stay open.
   */
  credential: { token: string; expiresAt: number };
  /**
   * Client address (socket peer, or X-Forwarded-For when TRUST_PROXY is on) once worked out: read it with
   * clientIpOf(c), which fills it in on first use (Bun's requestIP() asks the socket each time, and most
   * requests — health probes, reads — never need the address).
   */
  clientIp: string | undefined;
  /** TRUST_PROXY, for clientIpOf. */
  trustProxy: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: any router's or page's context; only RequestVariables' keys are used.
export function clientIpOf(c: Context<any>): string {
  let ip = c.get("clientIp") as string | undefined;
  if (ip === undefined) {
    ip = clientIp(c, c.get("trustProxy") === true);
    c.set("clientIp", ip);
  }
  return ip;
}

export interface HttpEnv<S = object> {
  Variables: RequestVariables & { services: S };
}

/** Any router's environment, as the app factory and shared middleware see it. */
export type AnyHttpEnv = HttpEnv<object>;

/** The signed-in user and address of a guarded request, as services take it. */
export function actorOf<S extends object>(c: Context<HttpEnv<S>>): UserActor {
  return { user: c.get("user"), ip: clientIpOf(c) };
}

/** A request before sign-in (login, refresh, registration): its address and user agent, no user. */
// biome-ignore lint/suspicious/noExplicitAny: any router's or page's context; only RequestVariables' keys are used.
export function clientOf(c: Context<any>): ClientActor {
  return { user: null, ip: clientIpOf(c), userAgent: c.req.header("user-agent") };
}
