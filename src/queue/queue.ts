/**
 * The durable job queue on the `jobs` table. Workers claim with `FOR UPDATE SKIP LOCKED`, hold a lease they
 * heartbeat, and record a checkpoint after every step, so a job whose worker died (crash, kill -9) is
 * reclaimed when its lease expires and resumes after its last completed step. Lease times come from the
 * database clock, so instances with skewed clocks agree. Same code on PGlite and PostgreSQL.
 */
import { and, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import { type Logger, log } from "../core/log.ts";
import { runtime } from "../core/runtime/index.ts";
import type { Db } from "../db/connect.ts";
import { selectPage } from "../db/paging.ts";
import { rowsOf } from "../db/rows.ts";
import { type Job, type JobStatus, jobs } from "../db/schema.ts";
import type { EnqueueOptions, JobContext, JobImplementation, JobType } from "./define.ts";
import type { EventBus } from "./events.ts";

/**
 * Payload key for ciphertext a job needs only while it runs (secret values, sealed by the caller). The row
 * loses it when the job ends, so finished jobs keep no secrets, not even encrypted ones.
 */
export const JOB_SECRETS_KEY = "secrets";

export interface QueueOptions {
  workerId?: string;
  concurrency?: number;
  leaseMs?: number;
  /**
   * Longest sleep between two polls (default 30 s). The worker is woken by a `job.status: queued` event
   * (NOTIFY on PostgreSQL, in-process on PGlite) and sleeps until the next run_after or lease expiry it
   * knows of, so this is only the safety net for a missed wake-up.
   */
  pollMs?: number;
  /** Base of the exponential retry backoff (default 2 s). */
  retryBaseMs?: number;
  /** Wraps each job run (the Sentry layer gives each job its own scope and transaction). */
  wrap?: <T>(job: Job, fn: () => Promise<T>) => Promise<T>;
  /** Reports a job that failed for good (Sentry capture). */
  onFailed?: (job: Job, error: unknown) => void;
}

interface Checkpoint {
  steps?: Record<string, { done: true; value: unknown }>;
  data?: Record<string, unknown>;
  compensating?: boolean;
  compensated?: boolean;
  failure?: string;
}

/** Errors marked retryable (network, PVE lock contention, SSH drop) are retried; everything else is final. */
export function isTransient(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { retryable?: unknown }).retryable === true;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Shortest sleep before looking again at a job that is due but was not ours to claim. */
const MIN_RECHECK_MS = 250;

/** Lines about one job carry its id, kind and app. */
function jobLogger(job: Job): Logger {
  return log.child({
    job_id: job.id,
    kind: job.kind,
    ...(job.appId ? { app_id: job.appId } : {}),
    ...(job.userId ? { user_id: job.userId } : {}),
  });
}

function elapsedMs(since: number): number {
  return Math.round(performance.now() - since);
}

class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

export class JobQueue {
  private readonly definitions = new Map<string, JobImplementation>();
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly workerId: string;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly retryBaseMs: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private started = false;
  private lastTick = 0;
  private ticking: Promise<void> | undefined;
  private again = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly db: Db,
    private readonly events: EventBus,
    private readonly options: QueueOptions = {},
  ) {
    this.workerId = options.workerId ?? `${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
    this.concurrency = options.concurrency ?? 4;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 30_000;
    this.retryBaseMs = options.retryBaseMs ?? 2_000;
  }

  register(implementation: JobImplementation): void {
    this.definitions.set(implementation.type.kind, implementation);
  }

  /**
   * Inserts a queued job of `type` (inside the caller's transaction when given one). A duplicate dedupeKey
   * returns null. The payload is checked against the type's schema here too: a bad one is a programming
   * error and never reaches the table.
   */
  async enqueue<P, S extends string>(
    type: JobType<P, S>,
    input: EnqueueOptions<P>,
    db: Db = this.db,
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
    const job = rows[0] ?? null;
    if (job) {
      await this.events.publish(
        { type: "job.status", job_id: job.id, app_id: job.appId, kind: job.kind, status: "queued" },
        // Inside the caller's transaction: delivered at commit, on the connection it already holds.
        db === this.db ? undefined : db,
      );
      this.wake();
    }
    return job;
  }

  async get(id: string): Promise<Job | undefined> {
    const [row] = await this.db.select().from(jobs).where(eq(jobs.id, id));
    return row;
  }

  async list(filter: {
    userId?: string;
    appIds?: string[];
    status?: JobStatus;
    kind?: string;
    appId?: string;
    page: number;
    perPage: number;
  }): Promise<{ items: Job[]; total: number }> {
    const where: SQL[] = [];
    if (filter.userId && filter.appIds) {
      where.push(
        filter.appIds.length
          ? sql`(${jobs.userId} = ${filter.userId} or ${inArray(jobs.appId, filter.appIds)})`
          : eq(jobs.userId, filter.userId),
      );
    } else if (filter.userId) where.push(eq(jobs.userId, filter.userId));
    if (filter.status) where.push(eq(jobs.status, filter.status));
    if (filter.kind) where.push(eq(jobs.kind, filter.kind));
    if (filter.appId) where.push(eq(jobs.appId, filter.appId));
    return selectPage(this.db, jobs, where, [desc(jobs.createdAt), desc(jobs.id)], filter);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    // Jobs enqueued by this or another instance wake the worker at once instead of at the next poll.
    this.unsubscribe = this.events.subscribe((event) => {
      if (event.type === "job.status" && event.status === "queued" && this.definitions.has(event.kind)) {
        this.wake();
      }
    });
    this.schedule(0);
  }

  /** True while the poll loop is running and has ticked recently (readiness). */
  alive(): boolean {
    return this.started && Date.now() - this.lastTick < Math.max(10_000, this.pollMs * 10);
  }

  /**
   * Stops claiming, then waits for running jobs up to `graceMs`; jobs still running are aborted and their
   * leases released, so another instance (or the next start) resumes them at once.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.started = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    const all = [...this.running.values()].map((r) => r.done);
    const timedOut = await Promise.race([
      Promise.all(all).then(() => false),
      runtime.sleep(graceMs).then(() => true),
    ]);
    if (timedOut) {
      for (const r of this.running.values()) r.controller.abort(new Error("worker stopping"));
      await Promise.all(all);
    }
  }

  /** Claims and runs due jobs once (tests drive the queue step by step with this). */
  async tick(): Promise<number> {
    this.lastTick = Date.now();
    const free = this.concurrency - this.running.size;
    if (free <= 0 || this.definitions.size === 0) return 0;
    const kinds = [...this.definitions.keys()];
    const claimed = rowsOf<Record<string, unknown>>(
      await this.db.execute(sql`
        update jobs set
          status = 'running',
          lease_owner = ${this.workerId},
          lease_expires_at = now() + (${this.leaseMs} * interval '1 millisecond'),
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
            where kind in (${sql.join(
              kinds.map((k) => sql`${k}`),
              sql`, `,
            )})
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
          limit ${free}
          for update of j skip locked
        )
        returning id`),
    );
    for (const { id } of claimed) {
      const job = await this.get(String(id));
      if (job) this.launch(job);
    }
    return claimed.length;
  }

  /**
   * Milliseconds until the next job of ours becomes due (a retry's run_after, a lease that will expire),
   * or undefined when none is known. Both lookups use jobs_claim_idx (status, run_after) or touch only the
   * few running rows.
   */
  private async nextDueInMs(): Promise<number | undefined> {
    const kinds = sql.join(
      [...this.definitions.keys()].map((k) => sql`${k}`),
      sql`, `,
    );
    const [row] = rowsOf<{ ms: number | string | null }>(
      await this.db.execute(sql`
        select extract(epoch from (least(
          (select min(run_after) from jobs where status = 'queued' and kind in (${kinds})),
          (select min(lease_expires_at) from jobs where status = 'running' and kind in (${kinds}))
        ) - now())) * 1000 as ms`),
    );
    return row?.ms === null || row?.ms === undefined ? undefined : Number(row.ms);
  }

  /** Resolves when no job of this queue is running (tests). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  private wake(): void {
    if (this.started) this.schedule(0);
  }

  private schedule(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.loop(), delay);
  }

  /** One poll at a time: a wake-up during a poll runs another right after it instead of alongside it. */
  private loop(): void {
    if (!this.started) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    let delay = this.pollMs;
    this.ticking = (async () => {
      await this.tick();
      // With every slot busy, a finishing job wakes the loop; otherwise sleep until the next due job.
      if (this.running.size < this.concurrency && this.definitions.size > 0) {
        const due = await this.nextDueInMs();
        // A due job we could not claim is locked by another instance claiming it: look again shortly.
        if (due !== undefined) delay = Math.min(this.pollMs, Math.max(MIN_RECHECK_MS, Math.ceil(due)));
      }
    })().then(
      () => {},
      (err) => log.error("Job queue poll failed", { worker: this.workerId, err }),
    );
    void this.ticking.finally(() => {
      this.ticking = undefined;
      const soon = this.again;
      this.again = false;
      if (this.started) this.schedule(soon ? 0 : delay);
    });
  }

  private launch(job: Job): void {
    const controller = new AbortController();
    const run = async () => {
      const wrap = this.options.wrap ?? (<T>(_job: Job, fn: () => Promise<T>) => fn());
      await wrap(job, () => this.execute(job, controller));
    };
    const done = run()
      .catch((err) => jobLogger(job).error("Job crashed the worker loop", { err }))
      .finally(() => {
        this.running.delete(job.id);
        this.wake();
      });
    this.running.set(job.id, { controller, done });
  }

  private async execute(job: Job, controller: AbortController): Promise<void> {
    const definition = this.definitions.get(job.kind);
    if (!definition) return;
    const jlog = jobLogger(job);
    const started = performance.now();
    const parsed = definition.type.payload.safeParse(job.payload);
    if (!parsed.success) {
      // A corrupt row (edited by hand, or written by an incompatible version): retrying cannot help.
      const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "payload"}: ${i.message}`);
      const reason = `The job's payload is invalid (${problems.join("; ")}); it was not run`;
      this.options.onFailed?.(job, new Error(reason));
      await this.finish(job, "failed", reason, (job.checkpoint ?? {}) as Checkpoint);
      jlog.error("Job failed: invalid payload", { error: reason });
      return;
    }
    const steps = definition.type.steps;
    const checkpoint = (job.checkpoint ?? {}) as Checkpoint;
    checkpoint.steps ??= {};
    checkpoint.data ??= {};
    const heartbeat = setInterval(
      () => {
        void this.db
          .execute(
            sql`update jobs set lease_expires_at = now() + (${this.leaseMs} * interval '1 millisecond'), updated_at = now()
              where id = ${job.id} and lease_owner = ${this.workerId} and status = 'running' returning id`,
          )
          .then((r) => {
            if (rowsOf(r).length === 0) controller.abort(new LeaseLostError("lease lost"));
          })
          .catch(() => {});
      },
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );

    const persist = async (extra: Partial<typeof jobs.$inferInsert> = {}) => {
      await this.db
        .update(jobs)
        .set({ checkpoint: checkpoint as Record<string, unknown>, updatedAt: new Date(), ...extra })
        .where(and(eq(jobs.id, job.id), eq(jobs.leaseOwner, this.workerId)));
    };
    let currentStep: string | undefined = job.progress?.step;
    const ctx: JobContext = {
      job,
      payload: parsed.data,
      get currentStep() {
        return currentStep;
      },
      signal: controller.signal,
      data: checkpoint.data,
      step: async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
        const done = checkpoint.steps![name];
        if (done) return done.value as T;
        if (controller.signal.aborted) throw controller.signal.reason ?? new LeaseLostError("aborted");
        currentStep = name;
        const index = steps.indexOf(name);
        // Step names are checked at compile time; this guards a definition built around the types.
        if (index < 0) throw new Error(`Job ${job.kind} has no step "${name}"`);
        const progress = { step: name, step_index: index + 1, total_steps: steps.length };
        jlog.info("Job step started", progress);
        const stepStarted = performance.now();
        await persist({ progress });
        await this.events.publish({
          type: "job.progress",
          job_id: job.id,
          app_id: job.appId,
          kind: job.kind,
          ...progress,
        });
        const value = await fn();
        checkpoint.steps![name] = { done: true, value: value ?? null };
        await persist();
        jlog.debug("Job step finished", { step: name, duration_ms: elapsedMs(stepStarted) });
        return value;
      },
      save: async (patch) => {
        Object.assign(checkpoint.data!, patch);
        await persist();
      },
      log: async (message, level = "info") => {
        // The job's own log (shown to users) is mirrored: info lines at debug, since the step lines above
        // already say where a job is; warnings and errors at their level.
        jlog[level === "info" ? "debug" : level](message, { step: currentStep });
        await this.events.publish({ type: "job.log", job_id: job.id, app_id: job.appId, level, message });
      },
    };

    await this.events.publish({
      type: "job.status",
      job_id: job.id,
      app_id: job.appId,
      kind: job.kind,
      status: "running",
    });
    const resumed = Object.keys(checkpoint.steps).length > 0 || checkpoint.compensating === true;
    jlog.info("Job started", { attempt: job.attempts, max_attempts: job.maxAttempts, resumed });
    try {
      if (checkpoint.compensating) throw new Error(checkpoint.failure ?? "compensation interrupted");
      await definition.run(ctx);
      await this.finish(job, "succeeded", null, checkpoint);
      jlog.info("Job succeeded", { duration_ms: elapsedMs(started) });
    } catch (err) {
      if (controller.signal.aborted && controller.signal.reason instanceof LeaseLostError) {
        jlog.warn("Job lease lost: another worker resumes it", { step: currentStep });
        return;
      }
      if (controller.signal.aborted && !this.started) {
        jlog.info("Job released: the worker is stopping and the job resumes after its last step", {
          step: currentStep,
        });
        // Stopping: release the lease so the job resumes right away elsewhere; not an attempt lost.
        await this.requeue(job, { delayMs: 0, refundAttempt: true });
        return;
      }
      const message = errorMessage(err);
      if (!checkpoint.compensating && isTransient(err) && job.attempts < job.maxAttempts) {
        const delay = this.retryBaseMs * 2 ** (job.attempts - 1) * (0.5 + Math.random());
        await this.requeue(job, { delayMs: delay, error: message, checkpoint });
        jlog.warn("Job failed with a transient error and will be retried", {
          step: currentStep,
          attempt: job.attempts,
          retry_in_ms: Math.round(delay),
          error: message,
        });
        await ctx.log(`Transient failure, retrying in ${Math.round(delay / 1000)} s: ${message}`, "warn");
        await this.events.publish({
          type: "job.status",
          job_id: job.id,
          app_id: job.appId,
          kind: job.kind,
          status: "queued",
        });
        return;
      }
      if (definition.compensate && !checkpoint.compensated) {
        checkpoint.compensating = true;
        checkpoint.failure ??= message;
        await persist();
        jlog.warn("Job failed: compensating", { step: currentStep, error: message });
        try {
          await definition.compensate(ctx, err);
          checkpoint.compensated = true;
        } catch (compErr) {
          await ctx.log(`Compensation failed: ${errorMessage(compErr)}`, "error");
          if (isTransient(compErr) && job.attempts < job.maxAttempts) {
            // Try the compensation again later rather than leaving things half undone.
            await this.requeue(job, { delayMs: this.retryBaseMs, checkpoint });
            return;
          }
        }
      }
      this.options.onFailed?.(job, err);
      await this.finish(job, "failed", checkpoint.failure ?? message, checkpoint);
      jlog.error("Job failed", {
        step: currentStep,
        duration_ms: elapsedMs(started),
        compensated: checkpoint.compensated === true,
        error: checkpoint.failure ?? message,
        err,
      });
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * The one way a claimed job goes back to the queue (retry, compensation retry, or release on stop): only
   * while this worker still holds its lease. A release on stop refunds the attempt.
   */
  private async requeue(
    job: Job,
    opts: { delayMs: number; error?: string; checkpoint?: Checkpoint; refundAttempt?: boolean },
  ): Promise<void> {
    await this.db
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
      .where(and(eq(jobs.id, job.id), eq(jobs.leaseOwner, this.workerId)));
  }

  private async finish(
    job: Job,
    status: "succeeded" | "failed",
    error: string | null,
    checkpoint: Checkpoint,
  ) {
    const rows = await this.db
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
      .where(and(eq(jobs.id, job.id), eq(jobs.leaseOwner, this.workerId)))
      .returning({ id: jobs.id });
    if (rows.length) {
      await this.events.publish({
        type: "job.status",
        job_id: job.id,
        app_id: job.appId,
        kind: job.kind,
        status,
        error,
      });
    }
  }
}
