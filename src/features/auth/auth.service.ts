/**
 * Sessions: login, refresh with rotation (re-use of a rotated token revokes its whole family), logout,
 * change-password, and resolving a bearer token to an active user.
 */
import { and, eq, isNull, ne, sql } from "drizzle-orm";
import { RateLimitedError, UnauthenticatedError, ValidationError } from "../../core/errors.ts";
import type { Actor, AuthUser, ClientActor, UserActor } from "../../core/identity.ts";
import { log } from "../../core/log.ts";
import { type Attempt, FailureLimiter, InFlight } from "../../core/rate-limit.ts";
import type { Keys } from "../../crypto/keys.ts";
import type { PasswordHasher } from "../../crypto/passwords.ts";
import type { Db } from "../../db/connect.ts";
import { refreshTokens, type User, users, users as usersTable } from "../../db/schema.ts";
import type { EventBus } from "../../queue/events.ts";
import type { AuditService } from "../audit/audit.service.ts";
import { assertPasswordAllowed, type UsersService } from "../users/users.service.ts";
import { SessionCache } from "./session-cache.ts";
import {
  ACCESS_TOKEN_TTL_SECONDS,
  hashToken,
  newRefreshToken,
  REFRESH_TOKEN_TTL_SECONDS,
  signAccessToken,
  verifyAccessToken,
} from "./tokens.ts";

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: "bearer";
  expires_in: number;
}

const FIFTEEN_MINUTES = 15 * 60 * 1000;

/** What authenticate() reads per session: the user, and until when the session has a live refresh token. */
interface SessionRow {
  user: User;
  /** ms since the epoch; null when no refresh token of the session is live. */
  liveUntil: number | null;
}

/** What resolveSession() reads per cookie token, kept while that token is the current one of its session. */
interface WebSessionRow {
  user: AuthUser;
  issuedAt: Date;
  familyId: string;
}

/** How long a session lasts without use, and how long an access token (or a web session's token) is good. */
export const SESSION_TTL_SECONDS = REFRESH_TOKEN_TTL_SECONDS;
export const ACCESS_TTL_SECONDS = ACCESS_TOKEN_TTL_SECONDS;

/** Sessions cached at most this long without a read (invalidation is by event; this is the safety net). */
const SESSION_CACHE_TTL_MS = 60_000;
const SESSION_CACHE_MAX = 10_000;

export class AuthService {
  readonly limiter: FailureLimiter;
  /** Accounts whose password is being verified right now (one check per account at a time). */
  private readonly verifying = new InFlight();
  /** The query of every authenticated request, built once (Drizzle would rebuild its SQL each time). */
  private readonly userById;
  /** The row each authenticate() result was read from, for handlers that answer from it (GET /auth/me). */
  private readonly accounts = new WeakMap<AuthUser, User>();
  /** Live sessions, dropped by the database's `auth.changed` events (session-cache.ts); none without a bus. */
  private readonly sessions: SessionCache<SessionRow> | undefined;
  /**
   * Browser sessions by the hash of their cookie's refresh token, dropped by the same events; the end of any
   * refresh token is announced, its rotation included (drizzle/0015_rotation_notify.sql).
   */
  private readonly webSessions: SessionCache<WebSessionRow> | undefined;

  constructor(
    private readonly db: Db,
    private readonly keys: Keys,
    private readonly hasher: PasswordHasher,
    private readonly users: UsersService,
    private readonly audit: AuditService,
    now: () => number = Date.now,
    events?: EventBus,
  ) {
    // One round trip per session: the user, and until when the token's session has a live refresh token.
    this.userById = db
      .select({
        user: usersTable,
        // Table-qualified by hand: inside a select list Drizzle leaves column names unqualified.
        liveUntil: sql<number | null>`(select (extract(epoch from max(rt.expires_at)) * 1000)::float8
          from refresh_tokens rt where rt.family_id = ${sql.placeholder("sid")}
          and rt.user_id = users.id and rt.revoked_at is null and rt.expires_at > now())`,
      })
      .from(usersTable)
      .where(eq(usersTable.id, sql.placeholder("id")))
      .prepare("proximity_auth_user_by_id");
    this.limiter = new FailureLimiter(
      [
        { prefix: "user:", rule: { max: 5, windowMs: FIFTEEN_MINUTES } },
        { prefix: "ip:", rule: { max: 20, windowMs: FIFTEEN_MINUTES } },
      ],
      now,
    );
    if (events) {
      const options = { ttlMs: SESSION_CACHE_TTL_MS, max: SESSION_CACHE_MAX };
      this.sessions = new SessionCache<SessionRow>(options);
      this.sessions.attach(events);
      this.webSessions = new SessionCache<WebSessionRow>(options);
      this.webSessions.attach(events);
      // This instance's own changes drop its entries at once, before the answer goes out (the NOTIFY is
      // for the other instances and arrives a moment after the commit).
      users.onUserChanged((userId) => this.forget(userId));
    }
  }

  async login(username: string, password: string, client: ClientActor): Promise<TokenPair & { user: User }> {
    const name = username.toLowerCase();
    const keys = [`user:${name}`, `ip:${client.ip}`];
    // Check and count with no await in between: the attempt is counted before the hash is verified, so
    // parallel guesses see each other; one verification per username at a time.
    const attempt = this.admit(keys, `login:${name}`);
    if ("wait" in attempt) {
      await this.audit.recordRepeated({
        actor: { ...client, claimed: { id: null, username: name } },
        action: "auth.login",
        outcome: "failure",
        details: { reason: "rate_limited" },
      });
      throw new RateLimitedError(attempt.message, attempt.wait);
    }
    let user: User | undefined;
    let ok: boolean;
    try {
      user = await this.users.findByUsername(name);
      // Unknown users still cost one hash verification, so timing does not reveal which names exist.
      ok = user ? await this.hasher.verify(password, user.passwordHash) : await this.hasher.burn(password);
    } catch (err) {
      // Nothing was checked (hashing queue full, database error): the attempt does not count.
      this.limiter.forgive(attempt.counted);
      throw err;
    } finally {
      this.verifying.leave(`login:${name}`);
    }
    if (!user || !ok || user.disabled) {
      await this.audit.record({
        actor: { ...client, claimed: { id: user?.id ?? null, username: name } },
        action: "auth.login",
        target: user ? { type: "user", id: user.id } : undefined,
        outcome: "failure",
        details: { reason: !user ? "unknown_user" : !ok ? "bad_password" : "disabled" },
      });
      // One message for all three, so the answer does not reveal which usernames exist.
      throw new UnauthenticatedError("Invalid username or password");
    }
    this.limiter.forgive(attempt.counted);
    this.limiter.reset(`user:${name}`);
    const { id: _id, ...tokens } = await this.issue(this.db, user, crypto.randomUUID(), client);
    await this.db.update(users).set({ lastLoginAt: new Date() }).where(eq(users.id, user.id));
    await this.audit.record({
      actor: { ...client, claimed: { id: user.id, username: user.username } },
      action: "auth.login",
      target: { type: "user", id: user.id },
    });
    return { ...tokens, user };
  }

  /**
   * Lets one password check through, or says how long to wait: over the limit of any key, or another check
   * for the same account still running. An admitted attempt is already counted and its slot taken; the
   * caller forgives it on success and always leaves the slot.
   */
  private admit(keys: string[], slot: string): { counted: Attempt } | { wait: number; message: string } {
    const wait = this.limiter.retryAfter(keys);
    if (wait > 0) return { wait, message: "Too many failed attempts; try again later" };
    if (!this.verifying.tryEnter(slot)) {
      return { wait: 1, message: "Another attempt for this account is being checked; try again in a moment" };
    }
    return { counted: this.limiter.attempt(keys) };
  }

  async refresh(token: string, client: ClientActor): Promise<TokenPair & { user: User }> {
    const hash = hashToken(token);
    const result = await this.db.transaction(async (db) => {
      const [row] = await db
        .select()
        .from(refreshTokens)
        .where(eq(refreshTokens.tokenHash, hash))
        .for("update");
      if (!row) return { error: "unknown" as const };
      if (row.revokedAt) {
        if (row.revokedReason === "rotated") {
          // A rotated token came back: someone holds a copy. End the whole session family.
          await db
            .update(refreshTokens)
            .set({ revokedAt: new Date(), revokedReason: "reuse_detected" })
            .where(and(eq(refreshTokens.familyId, row.familyId), isNull(refreshTokens.revokedAt)));
          return { error: "reused" as const, row };
        }
        return { error: "revoked" as const, row };
      }
      if (row.expiresAt.getTime() <= Date.now()) return { error: "expired" as const, row };
      const user = await this.users.findById(row.userId, db);
      if (!user || user.disabled) return { error: "disabled" as const, row };
      const tokens = await this.issue(db, user, row.familyId, client);
      await db
        .update(refreshTokens)
        .set({ revokedAt: new Date(), revokedReason: "rotated", replacedBy: tokens.id })
        .where(eq(refreshTokens.id, row.id));
      return { tokens, user };
    });
    if ("error" in result) {
      if (result.error === "reused" && result.row) this.forget(result.row.userId);
      // Unknown tokens are what anonymous clients can send at will: one row per burst, not per request.
      await this.audit[result.error === "unknown" ? "recordRepeated" : "record"]({
        actor: { ...client, claimed: { id: result.row?.userId ?? null, username: null } },
        action: "auth.refresh",
        outcome: "failure",
        details: { reason: result.error, ...(result.row ? { family: result.row.familyId } : {}) },
      });
      throw new UnauthenticatedError(
        result.error === "expired" ? "The refresh token has expired" : "The refresh token is invalid",
      );
    }
    // The rotated token is no longer current: here at once, elsewhere when the NOTIFY arrives.
    this.forget(result.user.id);
    const { id: _id, ...tokens } = result.tokens;
    return { ...tokens, user: result.user };
  }

  /** Ends the session family of the given refresh token. Unknown tokens are ignored (logout is idempotent). */
  async logout(token: string, actor: UserActor): Promise<void> {
    const { user } = actor;
    const [row] = await this.db
      .select()
      .from(refreshTokens)
      .where(and(eq(refreshTokens.tokenHash, hashToken(token)), eq(refreshTokens.userId, user.id)));
    if (row) {
      await this.db
        .update(refreshTokens)
        .set({ revokedAt: new Date(), revokedReason: "logout" })
        .where(and(eq(refreshTokens.familyId, row.familyId), isNull(refreshTokens.revokedAt)));
      this.forget(user.id);
    }
    await this.audit.record({
      actor,
      action: "auth.logout",
      target: { type: "user", id: user.id },
    });
  }

  /** Ends every session of the signed-in user (the web's "Sign out everywhere"), audited. */
  async logoutEverywhere(actor: UserActor): Promise<void> {
    await this.db.transaction(async (db) => {
      await this.users.revokeAllSessions(db, actor.user.id, "logout_all");
      await this.audit.record(
        { actor, action: "auth.logout_all", target: { type: "user", id: actor.user.id } },
        db,
      );
    });
    this.forget(actor.user.id);
  }

  /**
   * Changes the password and revokes every other session. The caller's own session (the family of the
   * refresh token it presents, if any) stays valid.
   */
  async changePassword(
    actor: UserActor,
    current: string,
    next: string,
    keepRefreshToken: string | undefined,
  ): Promise<void> {
    const { user } = actor;
    const row = await this.users.findById(user.id);
    if (!row) throw new UnauthenticatedError();
    // The same limits as sign-in: a stolen access token must not become an unlimited password oracle.
    const keys = [`user:${row.username}`, `ip:${actor.ip}`];
    const attempt = this.admit(keys, `login:${row.username}`);
    const failure = {
      actor,
      action: "auth.change_password",
      target: { type: "user", id: user.id },
      outcome: "failure",
    } as const;
    if ("wait" in attempt) {
      await this.audit.recordRepeated({ ...failure, details: { reason: "rate_limited" } });
      throw new RateLimitedError(attempt.message, attempt.wait);
    }
    let ok: boolean;
    try {
      ok = await this.hasher.verify(current, row.passwordHash);
    } catch (err) {
      this.limiter.forgive(attempt.counted);
      throw err;
    } finally {
      this.verifying.leave(`login:${row.username}`);
    }
    if (!ok) {
      await this.audit.record({ ...failure, details: { reason: "bad_current_password" } });
      throw new ValidationError("The current password is wrong", [
        { field: "current_password", message: "does not match" },
      ]);
    }
    this.limiter.forgive(attempt.counted);
    assertPasswordAllowed(row.username, next);
    if (next === current) {
      throw new ValidationError("The new password is invalid", [
        { field: "new_password", message: "must differ from the current password" },
      ]);
    }
    const passwordHash = await this.hasher.hash(next);
    let keepFamily: string | undefined;
    if (keepRefreshToken) {
      const [keep] = await this.db
        .select()
        .from(refreshTokens)
        .where(
          and(eq(refreshTokens.tokenHash, hashToken(keepRefreshToken)), eq(refreshTokens.userId, user.id)),
        );
      keepFamily = keep?.familyId;
    }
    await this.db.transaction(async (tx) => {
      await tx.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, user.id));
      await tx
        .update(refreshTokens)
        .set({ revokedAt: new Date(), revokedReason: "password_changed" })
        .where(
          and(
            eq(refreshTokens.userId, user.id),
            isNull(refreshTokens.revokedAt),
            keepFamily ? ne(refreshTokens.familyId, keepFamily) : sql`true`,
          ),
        );
      await this.audit.record(
        {
          actor,
          action: "auth.change_password",
          target: { type: "user", id: user.id },
        },
        tx,
      );
    });
    this.forget(user.id);
  }

  /**
   * The browser session behind a refresh token (the web UI keeps it in an httpOnly cookie): its user, when
   * the token is current, unexpired and the user active — checked on every request, so logout, a password
   * change elsewhere, disabling the account and a demotion take effect at once. A token that was already
   * rotated is handled like the API handles its re-use: the whole family is revoked.
   *
   * A current token is kept in memory (by its hash) until the database announces a change to its user or
   * the end of any of the user's refresh tokens, rotation included, as authenticate() keeps API sessions:
   * what is not current (unknown, revoked, rotated, expired) is read from the database every time, so a
   * re-used token always reaches the re-use check below.
   */
  async resolveSession(
    token: string,
    client: ClientActor,
  ): Promise<{ user: AuthUser; issuedAt: Date; familyId: string } | undefined> {
    const hash = hashToken(token);
    const cached = this.webSessions?.get(hash);
    if (cached) return { user: { ...cached.user }, issuedAt: cached.issuedAt, familyId: cached.familyId };
    const epoch = this.webSessions?.begin() ?? 0;
    const [row] = await this.db
      .select({
        createdAt: refreshTokens.createdAt,
        expiresAt: refreshTokens.expiresAt,
        revokedAt: refreshTokens.revokedAt,
        revokedReason: refreshTokens.revokedReason,
        familyId: refreshTokens.familyId,
        user: users,
      })
      .from(refreshTokens)
      .innerJoin(users, eq(users.id, refreshTokens.userId))
      .where(eq(refreshTokens.tokenHash, hash));
    if (!row) return undefined;
    if (row.revokedAt) {
      if (row.revokedReason === "rotated") {
        // refresh() ends the whole session family and then refuses the token (UnauthenticatedError, audited):
        // that refusal is the expected outcome here. Anything else means the family may still be alive.
        await this.refresh(token, client).catch((err: unknown) => {
          if (!(err instanceof UnauthenticatedError)) log.error("Revoking a re-used session failed", { err });
        });
      }
      return undefined;
    }
    if (row.expiresAt.getTime() <= Date.now() || row.user.disabled) return undefined;
    const u = row.user;
    const session = {
      user: { id: u.id, username: u.username, email: u.email, role: u.role },
      issuedAt: row.createdAt,
      familyId: row.familyId,
    };
    this.webSessions?.set(epoch, hash, u.id, session, row.expiresAt.getTime());
    return { ...session, user: { ...session.user } };
  }

  /**
   * Whether a browser session is still alive, without touching it (for a long-lived page stream): the
   * token's family has a live token (the page's other requests may have rotated it meanwhile) and its user
   * is active. The user comes back as stored now (a demotion shows at once). Never rotates or revokes.
   */
  async sessionUser(token: string): Promise<AuthUser | undefined> {
    const [row] = await this.db
      .select({ familyId: refreshTokens.familyId, revokedReason: refreshTokens.revokedReason })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, hashToken(token)));
    if (!row || (row.revokedReason !== null && row.revokedReason !== "rotated")) return undefined;
    const [live] = await this.db
      .select({ user: users })
      .from(refreshTokens)
      .innerJoin(users, eq(users.id, refreshTokens.userId))
      .where(
        and(
          eq(refreshTokens.familyId, row.familyId),
          isNull(refreshTokens.revokedAt),
          sql`${refreshTokens.expiresAt} > now()`,
        ),
      )
      .limit(1);
    if (!live || live.user.disabled) return undefined;
    const u = live.user;
    return { id: u.id, username: u.username, email: u.email, role: u.role };
  }

  /**
   * Verifies a bearer token and loads the user: disabled or deleted users, and tokens whose session has
   * ended (logout, password change or reset, refresh-token reuse), are rejected immediately. A live session
   * is kept in memory until the database announces a change to its user or sessions (session-cache.ts), so
   * this holds on every instance at the user's next request.
   */
  async authenticate(bearer: string): Promise<AuthUser> {
    const claims = await verifyAccessToken(this.keys.jwt, bearer);
    const key = `${claims.sub} ${claims.sid}`;
    let row = this.sessions?.get(key);
    if (!row) {
      const epoch = this.sessions?.begin() ?? 0;
      // A malformed subject (not a UUID) fails the query: the same answer as an unknown user.
      const rows = (await this.userById.execute({ id: claims.sub, sid: claims.sid }).catch(() => [])) as {
        user: User;
        liveUntil: number | string | null;
      }[];
      const read = rows[0];
      row = read && { user: read.user, liveUntil: read.liveUntil === null ? null : Number(read.liveUntil) };
      if (row && !row.user.disabled && row.liveUntil !== null)
        this.sessions?.set(epoch, key, claims.sub, row, row.liveUntil);
    }
    if (!row || row.user.disabled) {
      throw new UnauthenticatedError("The account is disabled or no longer exists");
    }
    if (row.liveUntil === null || row.liveUntil <= Date.now())
      throw new UnauthenticatedError("The session has ended; sign in again");
    const account = row.user;
    const user: AuthUser = {
      id: account.id,
      username: account.username,
      email: account.email,
      role: account.role,
    };
    this.accounts.set(user, account);
    return user;
  }

  /** Drops the user's cached sessions, API and web, on this instance (the others hear it from the database). */
  private forget(userId: string): void {
    this.sessions?.dropUser(userId);
    this.webSessions?.dropUser(userId);
  }

  /** The user row authenticate() read for this very request (undefined for a user object from elsewhere). */
  accountOf(user: AuthUser): User | undefined {
    return this.accounts.get(user);
  }

  private async issue(
    db: Db,
    user: User,
    familyId: string,
    client: Actor,
  ): Promise<TokenPair & { id: string }> {
    const refresh = newRefreshToken();
    const [row] = await db
      .insert(refreshTokens)
      .values({
        userId: user.id,
        familyId,
        tokenHash: hashToken(refresh),
        expiresAt: new Date(Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000),
        ip: client.ip,
        userAgent: client.userAgent?.slice(0, 256) ?? null,
      })
      .returning({ id: refreshTokens.id });
    const access = await signAccessToken(this.keys.jwt, {
      sid: familyId,
      sub: user.id,
      username: user.username,
      role: user.role,
    });
    return {
      id: row!.id,
      access_token: access,
      refresh_token: refresh,
      token_type: "bearer",
      expires_in: ACCESS_TOKEN_TTL_SECONDS,
    };
  }
}
