/**
 * The durable job queue on the `jobs` table. Workers claim with `FOR UPDATE SKIP LOCKED`, hold a lease they
 * heartbeat, and record a checkpoint after every step, so a job whose worker died (crash, kill -9) is
 * reclaimed when its lease expires and resumes after its last completed step. This module is the worker's
 * loop and a job's run (retry, compensation, release); the SQL is in store.ts, a job's context in
 * context.ts, the kinds it runs in registry.ts. Same code on PGlite and PostgreSQL.
 */
import { type Logger, log } from "../core/log.ts";
import { runtime } from "../core/runtime/index.ts";
import type { Db } from "../db/connect.ts";
import type { Job } from "../db/schema.ts";
import { buildJobContext, type Checkpoint, elapsedMs, LeaseLostError } from "./context.ts";
import type { EnqueueOptions, JobImplementation, JobType } from "./define.ts";
import type { EventBus } from "./events.ts";
import { JobRegistry } from "./registry.ts";
import {
  claimJobs,
  finishJob,
  getJob,
  heartbeat,
  insertJob,
  type Lease,
  nextDueInMs,
  requeueJob,
  saveCheckpoint,
} from "./store.ts";

export interface QueueOptions {
  workerId?: string;
  concurrency?: number;
  leaseMs?: number;
  /**
   * Longest sleep between two polls (default 30 s on PostgreSQL, 5 min on the embedded database). The worker
   * is woken by a `job.status: queued` event (NOTIFY on PostgreSQL, in-process on PGlite) and sleeps until
   * the next run_after or lease expiry it knows of, so this is only the safety net for a missed wake-up —
   * which a lossless bus (PGlite: one process) cannot have.
   */
  pollMs?: number;
  /** Base of the exponential retry backoff (default 2 s). */
  retryBaseMs?: number;
  /** Wraps each job run (the Sentry layer gives each job its own scope and transaction). */
  wrap?: <T>(job: Job, fn: () => Promise<T>) => Promise<T>;
  /** Reports a job that failed for good (Sentry capture). */
  onFailed?: (job: Job, error: unknown) => void;
}

/** Errors marked retryable (network, PVE lock contention, SSH drop) are retried; everything else is final. */
export function isTransient(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { retryable?: unknown }).retryable === true;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The safety poll on a lossless event bus (QueueOptions.pollMs). */
const LOSSLESS_POLL_MS = 5 * 60_000;

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

export class JobQueue {
  /** The kinds this queue runs; the container registers every feature's implementations at start. */
  readonly registry = new JobRegistry();
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly lease: Lease;
  private readonly concurrency: number;
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
    this.lease = {
      workerId: options.workerId ?? `${process.pid}-${crypto.randomUUID().slice(0, 8)}`,
      leaseMs: options.leaseMs ?? 30_000,
    };
    this.concurrency = options.concurrency ?? 4;
    this.pollMs = options.pollMs ?? (events.lossless ? LOSSLESS_POLL_MS : 30_000);
    this.retryBaseMs = options.retryBaseMs ?? 2_000;
  }

  /** Adds a kind this queue runs; a kind registered twice throws (JobRegistry). */
  register(implementation: JobImplementation): void {
    this.registry.register(implementation);
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
    const job = await insertJob(db, type, input);
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
    return getJob(this.db, id);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    // Jobs enqueued by this or another instance wake the worker at once instead of at the next poll.
    this.unsubscribe = this.events.subscribe((event) => {
      if (event.type === "job.status" && event.status === "queued" && this.registry.has(event.kind)) {
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
    if (free <= 0 || this.registry.size === 0) return 0;
    const claimed = await claimJobs(this.db, this.lease, this.registry.kinds(), free);
    for (const id of claimed) {
      const job = await this.get(id);
      if (job) this.launch(job);
    }
    return claimed.length;
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
      if (this.running.size < this.concurrency && this.registry.size > 0) {
        const due = await nextDueInMs(this.db, this.registry.kinds());
        // A due job we could not claim is locked by another instance claiming it: look again shortly.
        if (due !== undefined) delay = Math.min(this.pollMs, Math.max(MIN_RECHECK_MS, Math.ceil(due)));
      }
    })().then(
      () => {},
      (err) => log.error("Job queue poll failed", { worker: this.lease.workerId, err }),
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

  /** Keeps the lease while the job runs; a lost lease aborts the job (another worker resumes it). */
  private keepLease(job: Job, controller: AbortController, jlog: Logger): ReturnType<typeof setInterval> {
    return setInterval(
      () => {
        heartbeat(this.db, this.lease, job.id).then(
          (held) => {
            if (!held) controller.abort(new LeaseLostError("lease lost"));
          },
          // A missed heartbeat is not fatal: the lease outlives two more tries (every leaseMs / 3). If the
          // database stays unreachable the lease expires and the job is resumed elsewhere; say so meanwhile.
          (err) => jlog.warn("Job heartbeat failed; the lease is kept by the next one", { err }),
        );
      },
      Math.max(50, Math.floor(this.lease.leaseMs / 3)),
    );
  }

  private async execute(job: Job, controller: AbortController): Promise<void> {
    const definition = this.registry.get(job.kind);
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
    const stored = (job.checkpoint ?? {}) as Checkpoint;
    const checkpoint = { ...stored, steps: stored.steps ?? {}, data: stored.data ?? {} };
    const heartbeatTimer = this.keepLease(job, controller, jlog);
    const persist = (extra: { progress?: Job["progress"] } = {}) =>
      saveCheckpoint(this.db, this.lease, job.id, checkpoint, extra);
    const ctx = buildJobContext({
      job,
      payload: parsed.data,
      steps: definition.type.steps,
      checkpoint,
      signal: controller.signal,
      events: this.events,
      log: jlog,
      persist,
    });

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
        jlog.warn("Job lease lost: another worker resumes it", { step: ctx.currentStep });
        return;
      }
      if (controller.signal.aborted && !this.started) {
        jlog.info("Job released: the worker is stopping and the job resumes after its last step", {
          step: ctx.currentStep,
        });
        // Stopping: release the lease so the job resumes right away elsewhere; not an attempt lost.
        await requeueJob(this.db, this.lease, job.id, { delayMs: 0, refundAttempt: true });
        return;
      }
      const message = errorMessage(err);
      if (!checkpoint.compensating && isTransient(err) && job.attempts < job.maxAttempts) {
        const delay = this.retryBaseMs * 2 ** (job.attempts - 1) * (0.5 + Math.random());
        await requeueJob(this.db, this.lease, job.id, { delayMs: delay, error: message, checkpoint });
        jlog.warn("Job failed with a transient error and will be retried", {
          step: ctx.currentStep,
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
        jlog.warn("Job failed: compensating", { step: ctx.currentStep, error: message });
        try {
          await definition.compensate(ctx, err);
          checkpoint.compensated = true;
        } catch (compErr) {
          await ctx.log(`Compensation failed: ${errorMessage(compErr)}`, "error");
          if (isTransient(compErr) && job.attempts < job.maxAttempts) {
            // Try the compensation again later rather than leaving things half undone.
            await requeueJob(this.db, this.lease, job.id, { delayMs: this.retryBaseMs, checkpoint });
            return;
          }
        }
      }
      this.options.onFailed?.(job, err);
      await this.finish(job, "failed", checkpoint.failure ?? message, checkpoint);
      jlog.error("Job failed", {
        step: ctx.currentStep,
        duration_ms: elapsedMs(started),
        compensated: checkpoint.compensated === true,
        error: checkpoint.failure ?? message,
        err,
      });
    } finally {
      clearInterval(heartbeatTimer);
    }
  }

  /** Ends the job and tells subscribers, when this worker still held its lease. */
  private async finish(
    job: Job,
    status: "succeeded" | "failed",
    error: string | null,
    checkpoint: Checkpoint,
  ) {
    if (await finishJob(this.db, this.lease, job.id, status, error, checkpoint)) {
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
