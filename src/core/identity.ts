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
 * system acts: scheduler, reconciler) and the client address it came from. Services take it whole and the
 * audit trail records it whole (`principalOf` for the actor columns, `ip` for the address).
 */
export interface Actor {
  user: AuthUser | null;
  ip: string | null;
  userAgent?: string | undefined;
  /**
   * Without a user: the account the audit trail names anyway — the one an anonymous attempt named (a
   * failed login's username, a refresh token's owner) or a name for background work ("system").
   */
  claimed?: Principal | undefined;
}

/** The request of a client that has not signed in (login, refresh, registration): it always has an address. */
export interface ClientActor extends Actor {
  ip: string;
}

/** An actor known to be a signed-in user (every route behind a guard). */
export interface UserActor extends ClientActor {
  user: AuthUser;
}

/** Scheduled and background work. */
export const SYSTEM_ACTOR: Actor = { user: null, ip: null };

/** The id and name the audit trail stores for an actor. */
export interface Principal {
  id: string | null;
  username: string | null;
}

export function principalOf(actor: Actor): Principal {
  if (actor.user) return { id: actor.user.id, username: actor.user.username };
  return actor.claimed ?? { id: null, username: null };
}
