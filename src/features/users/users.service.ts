/**
 * Users: creation (registration and admin-created), listing and admin changes. The two invariants that
 * need the database's help — exactly one first admin, and never zero admins — are enforced inside a
 * transaction holding an advisory lock, so concurrent requests on PostgreSQL cannot race past them.
 */

import { and, count, eq, ne, sql } from "drizzle-orm";
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  ValidationError,
} from "../../core/errors.ts";
import type { Actor, ClientActor } from "../../core/identity.ts";
import { FailureLimiter } from "../../core/rate-limit.ts";
import type { PasswordHasher } from "../../crypto/passwords.ts";
import type { Db } from "../../db/connect.ts";
import { isForeignKeyViolation, isUniqueViolation } from "../../db/errors.ts";
import { namesById } from "../../db/lookup.ts";
import { selectPage } from "../../db/paging.ts";
import { refreshTokens, type User, users } from "../../db/schema.ts";
import type { AuditService } from "../audit/audit.service.ts";
import type { SettingsService } from "../settings/settings.service.ts";

/** Serialises user-table invariants (first admin, last admin). */
const USERS_LOCK_KEY = "7340010423195650049";

export function assertPasswordAllowed(username: string, password: string): void {
  if (password.toLowerCase() === username.toLowerCase()) {
    throw new ValidationError("The password is invalid", [
      { field: "password", message: "must not be the same as the username" },
    ]);
  }
}

/** Self-registrations per client address: enough for a household, too few to farm accounts or CPU. */
const REGISTRATIONS_PER_ADDRESS = { max: 10, windowMs: 60 * 60 * 1000 };

export class UsersService {
  private readonly registrations = new FailureLimiter([{ prefix: "ip:", rule: REGISTRATIONS_PER_ADDRESS }]);

  constructor(
    private readonly db: Db,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly settings: SettingsService,
  ) {}

  /**
   * Called with a user's id after a change to that user commits (role, disabled, password, deletion), so
   * that this instance's caches drop it before the answer goes out. Other instances hear of it from the
   * database's `auth.changed` NOTIFY, which on PostgreSQL arrives a moment after the commit.
   */
  private readonly changeListeners = new Set<(userId: string) => void>();

  onUserChanged(listener: (userId: string) => void): void {
    this.changeListeners.add(listener);
  }

  private changed(userId: string): void {
    for (const listener of this.changeListeners) listener(userId);
  }

  /**
   * Self-registration: the very first user becomes admin; after that the `registration` setting decides.
   */
  async register(
    input: { username: string; password: string; email?: string | null },
    client: ClientActor,
  ): Promise<User> {
    const { ip } = client;
    // Every attempt counts (not only failures): registration is open to anonymous clients.
    const wait = this.registrations.retryAfter([`ip:${ip}`]);
    if (wait > 0) {
      await this.audit.recordRepeated({
        actor: client,
        action: "auth.register",
        outcome: "failure",
        details: { reason: "rate_limited" },
      });
      throw new RateLimitedError("Too many registrations from this address; try again later", wait);
    }
    this.registrations.attempt([`ip:${ip}`]);
    assertPasswordAllowed(input.username, input.password);
    // Cheap checks first, the memory-hard hash last: a closed instance never hashes for strangers.
    await this.assertRegistrationOpen(this.db);
    const passwordHash = await this.hasher.hash(input.password);
    const user = await this.db.transaction(async (db) => {
      await db.execute(sql`select pg_advisory_xact_lock(${USERS_LOCK_KEY}::bigint)`);
      // Again under the lock: the first-admin decision and the policy may have changed while hashing.
      const first = await this.assertRegistrationOpen(db);
      const created = await this.insert(db, { ...input, passwordHash, role: first ? "admin" : "user" });
      await this.audit.record(
        {
          actor: { ...client, claimed: { id: created.id, username: created.username } },
          action: "auth.register",
          target: { type: "user", id: created.id },
          details: { role: created.role },
        },
        db,
      );
      return created;
    });
    return user;
  }

  /** True when there is no user yet (this one becomes admin); throws when registration is closed. */
  private async assertRegistrationOpen(db: Db): Promise<boolean> {
    const [existing] = await db.select({ n: count() }).from(users);
    const first = (existing?.n ?? 0) === 0;
    if (!first && (await this.settings.get(db)).registration !== "open") {
      throw new ForbiddenError("Registration is closed; ask an administrator to create your account");
    }
    return first;
  }

  async create(
    input: { username: string; password: string; email?: string | null; role: "admin" | "user" },
    actor: Actor,
  ): Promise<User> {
    assertPasswordAllowed(input.username, input.password);
    const passwordHash = await this.hasher.hash(input.password);
    return this.db.transaction(async (db) => {
      const created = await this.insert(db, { ...input, passwordHash });
      await this.audit.record(
        {
          actor,
          action: "user.create",
          target: { type: "user", id: created.id },
          details: { role: created.role },
        },
        db,
      );
      return created;
    });
  }

  private async insert(
    db: Db,
    input: {
      username: string;
      passwordHash: string;
      email?: string | null | undefined;
      role: "admin" | "user";
    },
  ): Promise<User> {
    try {
      const [created] = await db
        .insert(users)
        .values({
          username: input.username.toLowerCase(),
          email: input.email ?? null,
          passwordHash: input.passwordHash,
          role: input.role,
        })
        .returning();
      return created!;
    } catch (err) {
      if (isUniqueViolation(err))
        throw new ConflictError(`The username "${input.username.toLowerCase()}" is taken`);
      throw err;
    }
  }

  async findById(id: string, db: Db = this.db): Promise<User | undefined> {
    const [u] = await db.select().from(users).where(eq(users.id, id));
    return u;
  }

  async findByUsername(username: string): Promise<User | undefined> {
    const [u] = await this.db
      .select()
      .from(users)
      .where(sql`lower(${users.username}) = ${username.toLowerCase()}`);
    return u;
  }

  async get(id: string): Promise<User> {
    const u = await this.findById(id);
    if (!u) throw new NotFoundError("User");
    return u;
  }

  /** Usernames of the given users, in one query (owners shown beside apps). */
  usernames(ids: string[]): Promise<Map<string, string>> {
    return namesById(this.db, users.id, users.username, ids);
  }

  async list(page: number, perPage: number): Promise<{ items: User[]; total: number }> {
    return selectPage(this.db, users, [], [users.createdAt, users.username], { page, perPage });
  }

  async update(
    id: string,
    patch: { role?: "admin" | "user"; disabled?: boolean; email?: string | null; password?: string },
    actor: Actor,
  ): Promise<User> {
    const passwordHash = patch.password === undefined ? undefined : await this.hasher.hash(patch.password);
    const updated = await this.db.transaction(async (db) => {
      await db.execute(sql`select pg_advisory_xact_lock(${USERS_LOCK_KEY}::bigint)`);
      const current = await this.findById(id, db);
      if (!current) throw new NotFoundError("User");
      if (patch.password !== undefined) assertPasswordAllowed(current.username, patch.password);
      const losesAdmin =
        current.role === "admin" && !current.disabled && (patch.role === "user" || patch.disabled === true);
      if (losesAdmin) await this.assertAnotherActiveAdmin(db, id, "demote or disable");
      const [updated] = await db
        .update(users)
        .set({
          ...(patch.role !== undefined ? { role: patch.role } : {}),
          ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
          ...(patch.email !== undefined ? { email: patch.email } : {}),
          ...(passwordHash !== undefined ? { passwordHash } : {}),
          updatedAt: new Date(),
        })
        .where(eq(users.id, id))
        .returning();
      // A disabled user or a reset password ends every session of that user.
      if (patch.disabled === true || passwordHash !== undefined)
        await this.revokeAllSessions(db, id, "admin");
      await this.audit.record(
        {
          actor,
          action: "user.update",
          target: { type: "user", id },
          details: {
            fields: Object.keys(patch).filter((k) => k !== "password"),
            password_reset: passwordHash !== undefined,
            ...(patch.role !== undefined ? { role: patch.role } : {}),
            ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
          },
        },
        db,
      );
      return updated!;
    });
    this.changed(id);
    return updated;
  }

  async remove(id: string, actor: Actor): Promise<void> {
    await this.db.transaction(async (db) => {
      await db.execute(sql`select pg_advisory_xact_lock(${USERS_LOCK_KEY}::bigint)`);
      const current = await this.findById(id, db);
      if (!current) throw new NotFoundError("User");
      if (current.role === "admin" && !current.disabled)
        await this.assertAnotherActiveAdmin(db, id, "remove");
      try {
        await db.delete(users).where(eq(users.id, id));
      } catch (err) {
        if (isForeignKeyViolation(err)) {
          throw new ConflictError(
            `${current.username} still owns apps or backups; delete them or give them to another user first`,
          );
        }
        throw err;
      }
      await this.audit.record(
        {
          actor,
          action: "user.delete",
          target: { type: "user", id },
          details: { username: current.username },
        },
        db,
      );
    });
    this.changed(id);
  }

  private async assertAnotherActiveAdmin(db: Db, exceptId: string, verb: string): Promise<void> {
    const [row] = await db
      .select({ n: count() })
      .from(users)
      .where(and(eq(users.role, "admin"), eq(users.disabled, false), ne(users.id, exceptId)));
    if ((row?.n ?? 0) === 0) throw new ConflictError(`Cannot ${verb} the last active administrator`);
  }

  async revokeAllSessions(db: Db, userId: string, reason: string): Promise<void> {
    await db
      .update(refreshTokens)
      .set({ revokedAt: new Date(), revokedReason: reason })
      .where(and(eq(refreshTokens.userId, userId), sql`${refreshTokens.revokedAt} is null`));
  }
}
