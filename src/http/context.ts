/** The Hono environment shared by every router: services reach handlers through the context. */
import type { Services } from "../boot/container.ts";

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
    /**
     * The access token the request was authorised with, and when it expires: long-lived responses (event
     * streams) re-check it while they stay open.
     */
    credential: { token: string; expiresAt: number };
    /** Client address (socket peer, or X-Forwarded-For when TRUST_PROXY is on). */
    clientIp: string;
  };
}
