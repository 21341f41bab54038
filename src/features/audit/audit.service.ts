/**
 * The audit trail: who did what to which target, from where. Callers pass only identifiers and harmless
 * details; passwords and tokens never go in (the record() signature has no place for them, and
 * scrubDetails drops any key that looks secret as a second line of defence).
 */
import { and, count, desc, eq, gte, lte, type SQL } from "drizzle-orm";
import type { Db } from "../../db/connect.ts";
import { type AuditEntry, auditLog } from "../../db/schema.ts";

export interface AuditActor {
  id: string | null;
  username: string | null;
}

export interface AuditRecord {
  actor: AuditActor;
  action: string;
  target?: { type: string; id: string };
  ip?: string | null;
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

export class AuditService {
  constructor(private readonly db: Db) {}

  async record(entry: AuditRecord, db: Db = this.db): Promise<void> {
    await db.insert(auditLog).values({
      actorId: entry.actor.id,
      actorUsername: entry.actor.username,
      action: entry.action,
      targetType: entry.target?.type ?? null,
      targetId: entry.target?.id ?? null,
      ip: entry.ip ?? null,
      outcome: entry.outcome ?? "success",
      details: scrubDetails(entry.details),
    });
  }

  async list(q: AuditQuery): Promise<{ items: AuditEntry[]; total: number }> {
    const filters: SQL[] = [];
    if (q.actor) filters.push(eq(auditLog.actorUsername, q.actor.toLowerCase()));
    if (q.action) filters.push(eq(auditLog.action, q.action));
    if (q.target) filters.push(eq(auditLog.targetId, q.target));
    if (q.from) filters.push(gte(auditLog.at, q.from));
    if (q.to) filters.push(lte(auditLog.at, q.to));
    const where = filters.length ? and(...filters) : undefined;
    const [items, [totalRow]] = await Promise.all([
      this.db
        .select()
        .from(auditLog)
        .where(where)
        .orderBy(desc(auditLog.at), desc(auditLog.id))
        .limit(q.perPage)
        .offset((q.page - 1) * q.perPage),
      this.db.select({ n: count() }).from(auditLog).where(where),
    ]);
    return { items, total: totalRow?.n ?? 0 };
  }
}
