/**
 * The sessions of authenticated requests, kept in memory so that a request does not read its user and
 * session from the database every time (the one query per request cost /auth/me half its throughput, and a
 * web page view most of its time): the API's bearer sessions, and the browser's cookie tokens.
 *
 * The promise that made that query per request stays: a user disabled, demoted, deleted or given a new
 * password, and a session that ended (logout, password change, refresh-token re-use), lose access at once on
 * every instance, and a rotated cookie token stops being current. The database announces each such change
 * at commit on the event channel (drizzle/0011_session_notify.sql and 0015_rotation_notify.sql:
 * `auth.changed` with the user's id), and every instance drops that user's sessions when it arrives —
 * in-process on PGlite, through LISTEN/NOTIFY on PostgreSQL (tests/db/api/session-cache.test.ts and
 * tests/db/web/session-cache.test.ts measure the delay across two instances). When the LISTEN connection
 * comes back after a break everything is dropped (events may have been missed meanwhile); a safety limit
 * (`ttlMs`) bounds how long an entry lives even if the channel went silent without a break being noticed.
 *
 * A read that began before an invalidation is not stored (`begin()` / `set(epoch, …)`): otherwise a request
 * racing a logout could put the session it read just before back into the cache.
 *
 * An entry is found by its key (the caller's: the API's `<user id> <session id>`, the web's hash of its
 * cookie token) and dropped by its user's id, which it carries.
 */
import type { EventBus } from "../../queue/events.ts";

interface Entry<T> {
  userId: string;
  value: T;
  until: number;
}

export interface SessionCacheOptions {
  /** The longest an entry is trusted without a database read (a safety net; invalidation is by event). */
  ttlMs: number;
  /** At most this many sessions; the oldest goes first. */
  max: number;
  now?: () => number;
}

export class SessionCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly byUser = new Map<string, Set<string>>();
  private epoch = 0;
  private readonly now: () => number;

  constructor(private readonly options: SessionCacheOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Drops entries as `auth.changed` events arrive; returns the unsubscribe function. */
  attach(events: EventBus): () => void {
    return events.subscribe((event) => {
      if (event.type !== "auth.changed") return;
      if (event.user_id === null) this.dropAll();
      else this.dropUser(event.user_id);
    });
  }

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.delete(key, entry);
      return undefined;
    }
    return entry.value;
  }

  /** Call before reading what will be stored; hand the result to set(). */
  begin(): number {
    return this.epoch;
  }

  /**
   * Stores `value` under `key`, as a session of `userId`, until `until` (ms; capped by ttlMs), unless
   * something was invalidated since `epoch`.
   */
  set(epoch: number, key: string, userId: string, value: T, until: number): void {
    if (epoch !== this.epoch) return;
    const old = this.entries.get(key);
    if (old) this.delete(key, old);
    if (this.entries.size >= this.options.max) {
      const [oldestKey, oldest] = this.entries.entries().next().value!;
      this.delete(oldestKey, oldest);
    }
    this.entries.set(key, { userId, value, until: Math.min(until, this.now() + this.options.ttlMs) });
    const keys = this.byUser.get(userId);
    if (keys) keys.add(key);
    else this.byUser.set(userId, new Set([key]));
  }

  dropUser(userId: string): void {
    this.epoch++;
    const keys = this.byUser.get(userId);
    if (!keys) return;
    for (const key of keys) this.entries.delete(key);
    this.byUser.delete(userId);
  }

  dropAll(): void {
    this.epoch++;
    this.entries.clear();
    this.byUser.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private delete(key: string, entry: Entry<T>): void {
    this.entries.delete(key);
    const keys = this.byUser.get(entry.userId);
    keys?.delete(key);
    if (keys?.size === 0) this.byUser.delete(entry.userId);
  }
}
