/**
 * The audit trail: who did what to which target, from where. Callers pass only identifiers and harmless
 * details; passwords and tokens never go in (the record() signature has no place for them, and
 * scrubDetails drops any key that looks secret as a second line of defence).
 */
import { desc, eq, gte, lte, type SQL } from "drizzle-orm";
import { type Actor, principalOf } from "../../core/identity.ts";
import type { Db } from "../../db/connect.ts";
import { selectPage } from "../../db/paging.ts";
import { type AuditEntry, auditLog } from "../../db/schema.ts";

export interface AuditRecord {
  /** Who, and from which address (the row's actor columns and ip). */
  actor: Actor;
  action: string;
  target?: { type: string; id: string };
  outcome?: "success" | "failure";
  details?: Record<string, unknown>;
}

const SECRET_KEY = /pass|secret|token|key|auth|cookie/i;

function scrubDetails(details: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (!details) return null;
  return Object.fromEntries(Object.entries(details).filter(([k]) => !SECRET_KEY.test(k)));
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  target?: string;
  from?: Date;
  to?: Date;
  page: number;
  perPage: number;
}

/** Repeats of one noisy event (same action, reason and address) this close together share one row. */
const BURST_WINDOW_MS = 60_000;

interface Burst {
  row: Promise<number | undefined>;
  count: number;
  written: number;
  lastAt: number;
  flushing: Promise<void> | undefined;
}

export class AuditService {
  /** Open bursts by key; pruned as they go quiet, so the map only holds the last minute's sources. */
  private readonly bursts = new Map<string, Burst>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Records an event that anonymous traffic can repeat at will (rate-limited attempts, unknown tokens): the
   * first one of a burst inserts a row with `details.count = 1`; repeats within BURST_WINDOW_MS of the last
   * one raise that row's count instead of adding rows, so a flood costs one row per source and minute.
   */
  async recordRepeated(entry: AuditRecord): Promise<void> {
    const at = this.now();
    for (const [k, b] of this.bursts) if (at - b.lastAt > BURST_WINDOW_MS) this.bursts.delete(k);
    const key = JSON.stringify([
      entry.action,
      entry.outcome ?? "success",
      entry.details?.reason,
      entry.actor.ip,
    ]);
    const open = this.bursts.get(key);
    if (!open) {
      const row = this.db
        .insert(auditLog)
        .values(this.values({ ...entry, details: { ...entry.details, count: 1 } }))
        .returning({ id: auditLog.id })
        .then((rows) => rows[0]?.id);
      const burst: Burst = { row, count: 1, written: 1, lastAt: at, flushing: undefined };
      this.bursts.set(key, burst);
      await row.catch((err) => {
        this.bursts.delete(key);
        throw err;
      });
      return;
    }
    open.count++;
    open.lastAt = at;
    await this.flush(open, entry);
  }

  /** Writes the burst's count; concurrent callers share one write loop that ends with the latest count. */
  private flush(burst: Burst, entry: AuditRecord): Promise<void> {
    burst.flushing ??= (async () => {
      try {
        const id = await burst.row;
        while (id !== undefined && burst.written < burst.count) {
          const count = burst.count;
          await this.db
            .update(auditLog)
            .set({ details: scrubDetails({ ...entry.details, count }), at: new Date() })
            .where(eq(auditLog.id, id));
          burst.written = count;
        }
      } finally {
        burst.flushing = undefined;
      }
    })();
    return burst.flushing;
  }

  async record(entry: AuditRecord, db: Db = this.db): Promise<void> {
    await db.insert(auditLog).values(this.values(entry));
  }

  private values(entry: AuditRecord): typeof auditLog.$inferInsert {
    const who = principalOf(entry.actor);
    return {
      actorId: who.id,
      actorUsername: who.username,
      action: entry.action,
      targetType: entry.target?.type ?? null,
      targetId: entry.target?.id ?? null,
      ip: entry.actor.ip,
      outcome: entry.outcome ?? "success",
      details: scrubDetails(entry.details),
    };
  }

  async list(q: AuditQuery): Promise<{ items: AuditEntry[]; total: number }> {
    const filters: SQL[] = [];
    if (q.actor) filters.push(eq(auditLog.actorUsername, q.actor.toLowerCase()));
    if (q.action) filters.push(eq(auditLog.action, q.action));
    if (q.target) filters.push(eq(auditLog.targetId, q.target));
    if (q.from) filters.push(gte(auditLog.at, q.from));
    if (q.to) filters.push(lte(auditLog.at, q.to));
    return selectPage(this.db, auditLog, filters, [desc(auditLog.at), desc(auditLog.id)], q);
  }
}
