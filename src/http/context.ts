/** The Hono environment shared by every router: services reach handlers through the context. */
import type { Services } from "../boot/container.ts";
import type { User } from "../db/schema.ts";

export interface AuthUser {
  id: string;
  username: string;
  email: string | null;
  role: "admin" | "user";
}

export interface AppEnv {
  Variables: {
    services: Services;
    requestId: string;
    /** Set by requireAuth once the JWT is verified and the user is known to be active. */
    user: AuthUser;
    /** The user's row as read by requireAuth in this request (GET /auth/me answers from it). */
    account: User;
    /**
     * Client address (socket peer, or X-Forwarded-For when TRUST_PROXY is on) once worked out: read it
     * with clientIpOf(c) from http/client-ip.ts, which fills this in on first use.
     */
    clientIp: string | undefined;
  };
}
