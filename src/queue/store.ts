/**
 * The queue's SQL on the `jobs` table, in one place: insert, claim, next-due, heartbeat, requeue and finish.
 * Every write after the claim is conditional on this worker still holding the lease (`lease_owner`), so a
 * worker whose lease expired and was taken over cannot overwrite the new owner's progress. Lease times come
 * from the database clock, so instances with skewed clocks agree. Same SQL on PGlite and PostgreSQL.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/connect.ts";
import { rowsOf } from "../db/rows.ts";
import { type Job, jobs } from "../db/schema.ts";
import type { Checkpoint } from "./context.ts";
import { type EnqueueOptions, JOB_SECRETS_KEY, type JobType } from "./define.ts";

/** The lease of one worker: who holds it and for how long a heartbeat extends it. */
export interface Lease {
  readonly workerId: string;
  readonly leaseMs: number;
}

function kindList(kinds: readonly string[]) {
  return sql.join(
    kinds.map((k) => sql`${k}`),
    sql`, `,
  );
}

/** Inserts a queued job; null when its dedupeKey is taken. The payload is parsed by the type's schema. */
export async function insertJob<P, S extends string>(
  db: Db,
  type: JobType<P, S>,
  input: EnqueueOptions<P>,
): Promise<Job | null> {
  const payload = type.payload.parse(input.payload) as Record<string, unknown>;
  const rows = await db
    .insert(jobs)
    .values({
      kind: type.kind,
      appId: input.appId ?? null,
      userId: input.userId ?? null,
      payload,
      dedupeKey: input.dedupeKey ?? null,
      runAfter: input.runAfter ?? sql`now()`,
      maxAttempts: input.maxAttempts ?? type.maxAttempts ?? 5,
    })
    .onConflictDoNothing()
    .returning();
  return rows[0] ?? null;
}

export async function getJob(db: Db, id: string): Promise<Job | undefined> {
  const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
  return row;
}

/**
 * Claims up to `limit` due jobs of `kinds` (queued and due, or running with an expired lease) for this
 * worker, and returns their ids. Skips rows another worker is claiming at the same moment.
 */
export async function claimJobs(
  db: Db,
  lease: Lease,
  kinds: readonly string[],
  limit: number,
): Promise<string[]> {
  const claimed = rowsOf<{ id: unknown }>(
    await db.execute(sql`
      update jobs set
        status = 'running',
        lease_owner = ${lease.workerId},
        lease_expires_at = now() + (${lease.leaseMs} * interval '1 millisecond'),
        attempts = attempts + 1,
        started_at = coalesce(started_at, now()),
        updated_at = now()
      where id in (
        -- Fair claiming: each user's due jobs take turns (their 1st, everyone's 1st, then 2nd …); a user with
        -- jobs already running waits that many turns, and on a tie the user served least recently goes
        -- first. One user's backlog cannot starve another's.
        select j.id from jobs j
        join (
          select id, row_number() over (partition by user_id order by run_after, created_at) as turn
          from jobs
          where kind in (${kindList(kinds)})
            and ((status = 'queued' and run_after <= now())
              or (status = 'running' and lease_expires_at < now()))
        ) due on due.id = j.id
        left join (
          select user_id, count(*) as n from jobs
          where status = 'running' and lease_expires_at >= now()
          group by user_id
        ) busy on busy.user_id is not distinct from j.user_id
        left join (
          select user_id, max(started_at) as at from jobs
          where started_at > now() - interval '1 hour'
          group by user_id
        ) served on served.user_id is not distinct from j.user_id
        -- Repeated on the locked row itself: under READ COMMITTED, PostgreSQL re-checks only the locked
        -- table's own conditions against a row another worker just committed, so without these a job that
        -- worker claimed a moment ago would pass again and run twice.
        where (j.status = 'queued' and j.run_after <= now())
          or (j.status = 'running' and j.lease_expires_at < now())
        order by due.turn + coalesce(busy.n, 0), served.at nulls first, j.run_after, j.created_at
        limit ${limit}
        for update of j skip locked
      )
      returning id`),
  );
  return claimed.map(({ id }) => String(id));
}

/**
 * Milliseconds until the next job of `kinds` becomes due (a retry's run_after, a lease that will expire),
 * or undefined when none is known. Both lookups use jobs_claim_idx (status, run_after) or touch only the
 * few running rows.
 */
export async function nextDueInMs(db: Db, kinds: readonly string[]): Promise<number | undefined> {
  const list = kindList(kinds);
  const [row] = rowsOf<{ ms: number | string | null }>(
    await db.execute(sql`
      select extract(epoch from (least(
        (select min(run_after) from jobs where status = 'queued' and kind in (${list})),
        (select min(lease_expires_at) from jobs where status = 'running' and kind in (${list}))
      ) - now())) * 1000 as ms`),
  );
  return row?.ms === null || row?.ms === undefined ? undefined : Number(row.ms);
}

/** Extends the lease; false when this worker no longer holds it (expired and taken over, or finished). */
export async function heartbeat(db: Db, lease: Lease, jobId: string): Promise<boolean> {
  const rows = rowsOf(
    await db.execute(
      sql`update jobs set lease_expires_at = now() + (${lease.leaseMs} * interval '1 millisecond'), updated_at = now()
        where id = ${jobId} and lease_owner = ${lease.workerId} and status = 'running' returning id`,
    ),
  );
  return rows.length > 0;
}

/** Writes the checkpoint (and any other columns given) while this worker holds the lease. */
export async function saveCheckpoint(
  db: Db,
  lease: Lease,
  jobId: string,
  checkpoint: Checkpoint,
  extra: Partial<typeof jobs.$inferInsert> = {},
): Promise<void> {
  await db
    .update(jobs)
    .set({ checkpoint: checkpoint as Record<string, unknown>, updatedAt: new Date(), ...extra })
    .where(and(eq(jobs.id, jobId), eq(jobs.leaseOwner, lease.workerId)));
}

/**
 * The one way a claimed job goes back to the queue (retry, compensation retry, or release on stop): only
 * while this worker still holds its lease. A release on stop refunds the attempt.
 */
export async function requeueJob(
  db: Db,
  lease: Lease,
  jobId: string,
  opts: { delayMs: number; error?: string; checkpoint?: Checkpoint; refundAttempt?: boolean },
): Promise<void> {
  await db
    .update(jobs)
    .set({
      status: "queued",
      leaseOwner: null,
      leaseExpiresAt: null,
      runAfter: sql`now() + (${Math.round(opts.delayMs)} * interval '1 millisecond')`,
      ...(opts.error !== undefined ? { error: opts.error } : {}),
      ...(opts.checkpoint ? { checkpoint: opts.checkpoint as Record<string, unknown> } : {}),
      ...(opts.refundAttempt ? { attempts: sql`greatest(${jobs.attempts} - 1, 0)` } : {}),
      updatedAt: new Date(),
    })
    .where(and(eq(jobs.id, jobId), eq(jobs.leaseOwner, lease.workerId)));
}

/**
 * Ends a job (succeeded or failed) and drops its secrets from the payload; false when this worker no
 * longer held the lease (nothing written).
 */
export async function finishJob(
  db: Db,
  lease: Lease,
  jobId: string,
  status: "succeeded" | "failed",
  error: string | null,
  checkpoint: Checkpoint,
): Promise<boolean> {
  const rows = await db
    .update(jobs)
    .set({
      status,
      error,
      payload: sql`${jobs.payload} - ${JOB_SECRETS_KEY}::text`,
      finishedAt: new Date(),
      leaseOwner: null,
      leaseExpiresAt: null,
      checkpoint: checkpoint as Record<string, unknown>,
      updatedAt: new Date(),
    })
    .where(and(eq(jobs.id, jobId), eq(jobs.leaseOwner, lease.workerId)))
    .returning({ id: jobs.id });
  return rows.length > 0;
}
