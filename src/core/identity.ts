/** Who is asking: identity types shared by every layer (the guards set them, services and audit read them). */

/** A signed-in, active user, as the auth guard hands it to handlers. */
export interface AuthUser {
  id: string;
  username: string;
  email: string | null;
  role: "admin" | "user";
}

/**
 * The one "who made this request" type: the user (null when anonymous, e.g. a failed login, or when the
 * system acts: scheduler, reconciler) and the client address it came from.
 */
export interface Actor {
  user: AuthUser | null;
  ip: string | null;
  userAgent?: string | undefined;
}

/** An actor known to be a signed-in user (every route behind a guard). */
export interface UserActor extends Actor {
  user: AuthUser;
  ip: string;
}

/** Scheduled and background work. */
export const SYSTEM_ACTOR: Actor = { user: null, ip: null };
