import { beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../../../src/db/connect.ts";
import { jobs } from "../../../src/db/schema.ts";
import { JobsService } from "../../../src/features/jobs/jobs.service.ts";
import { defineJob, implementJob, type JobContext, type JobType } from "../../../src/queue/define.ts";
import { createEventBus, type EventBus, type ProximityEvent } from "../../../src/queue/events.ts";
import { JobQueue } from "../../../src/queue/queue.ts";
import { getTestDatabase, resetDatabase, secondInstance } from "../../helpers/db.ts";

// Real sockets and processes on a 2-core machine: Bun's 5 s default is too tight (set per file: a
// preload's setDefaultTimeout only reaches the first file).
setDefaultTimeout(60_000);

let database: Database;
let bus: EventBus;
let events: ProximityEvent[];

beforeEach(async () => {
  await resetDatabase();
  database = await getTestDatabase();
  bus = createEventBus(database);
  events = [];
  bus.subscribe((e) => events.push(e));
  await bus.ready();
});

function transient(message: string) {
  return Object.assign(new Error(message), { retryable: true });
}

async function until(cond: () => Promise<boolean> | boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(10);
  }
}

/** A page of jobs as the /jobs routes list them. */
const listJobs = (filter: Parameters<JobsService["list"]>[0]) => new JobsService(database.db).list(filter);

const fast = { pollMs: 20, retryBaseMs: 10, leaseMs: 1_000 };

/** A test job: any payload, the given steps. */
interface TestJob {
  kind: string;
  steps: readonly string[];
  maxAttempts?: number;
  run(ctx: JobContext<Record<string, unknown>>): Promise<void>;
  compensate?(ctx: JobContext<Record<string, unknown>>, error: unknown): Promise<void>;
}
const types = new Map<string, JobType<Record<string, unknown>>>();
function typeOf(def: TestJob): JobType<Record<string, unknown>> {
  const type = defineJob({
    kind: def.kind,
    payload: z.record(z.string(), z.unknown()),
    steps: def.steps,
    ...(def.maxAttempts ? { maxAttempts: def.maxAttempts } : {}),
  });
  types.set(def.kind, type);
  return type;
}
/** A job that only runs its steps, each adding its name to `ran`. */
function recording(kind: string, steps: string[], ran: string[]): TestJob {
  return {
    kind,
    steps,
    run: async (ctx) => {
      for (const s of steps) await ctx.step(s, async () => ran.push(s));
    },
  };
}
/** A job of one step, "s", that runs `body`. */
function oneStep(
  kind: string,
  body: (ctx: JobContext<Record<string, unknown>>) => Promise<unknown>,
  maxAttempts?: number,
): TestJob {
  return {
    kind,
    steps: ["s"],
    ...(maxAttempts ? { maxAttempts } : {}),
    run: async (ctx) => {
      await ctx.step("s", () => body(ctx));
    },
  };
}
function register(queue: JobQueue, def: TestJob): void {
  queue.register(implementJob(typeOf(def), def));
}
function enqueue(
  queue: JobQueue,
  kind: string,
  opts: { payload?: Record<string, unknown>; dedupeKey?: string } = {},
) {
  return queue.enqueue(types.get(kind)!, { ...opts, payload: opts.payload ?? {} });
}

describe("job queue", () => {
  test("runs the steps in order, reports progress and succeeds", async () => {
    const queue = new JobQueue(database.db, bus, fast);
    const ran: string[] = [];
    register(queue, recording("demo", ["one", "two", "three"], ran));
    const job = await enqueue(queue, "demo", { payload: { x: 1 } });
    await queue.tick();
    await queue.idle();
    const done = await queue.get(job!.id);
    expect(ran).toEqual(["one", "two", "three"]);
    expect(done).toMatchObject({ status: "succeeded", attempts: 1, error: null, leaseOwner: null });
    expect(done!.progress).toEqual({ step: "three", step_index: 3, total_steps: 3 });
    expect(done!.finishedAt).toBeInstanceOf(Date);
    // On PostgreSQL events travel through LISTEN/NOTIFY and may arrive a moment after the job finished.
    await until(() => events.some((e) => e.type === "job.status" && e.status === "succeeded"));
    const kinds = events
      .filter((e) => e.type !== "job.log")
      .map((e) => (e.type === "job.status" ? e.status : `${e.type}:${"step" in e ? e.step : ""}`));
    expect(kinds).toEqual([
      "queued",
      "running",
      "job.progress:one",
      "job.progress:two",
      "job.progress:three",
      "succeeded",
    ]);
  });

  test("a transient error is retried with backoff; completed steps are not run again", async () => {
    const queue = new JobQueue(database.db, bus, fast);
    let firstRuns = 0;
    let secondTries = 0;
    register(queue, {
      kind: "flaky",
      steps: ["first", "second"],
      run: async (ctx) => {
        await ctx.step("first", async () => ++firstRuns);
        await ctx.step("second", async () => {
          if (++secondTries < 3) throw transient("CT is locked (backup)");
        });
      },
    });
    const job = await enqueue(queue, "flaky");
    queue.start();
    await until(async () => (await queue.get(job!.id))!.status === "succeeded");
    await queue.stop();
    expect(firstRuns).toBe(1);
    expect(secondTries).toBe(3);
    expect((await queue.get(job!.id))!.attempts).toBe(3);
  });

  test("a permanent error runs the compensation once and fails with the reason", async () => {
    const queue = new JobQueue(database.db, bus, fast);
    const undone: string[] = [];
    register(queue, {
      kind: "doomed",
      steps: ["create", "break"],
      run: async (ctx) => {
        await ctx.step("create", async () => ctx.save({ created: 101 }));
        await ctx.step("break", async () => {
          throw new Error("Configuration file 'nodes/pve1/lxc/101.conf' does not exist");
        });
      },
      compensate: async (ctx) => {
        undone.push(`destroy ${ctx.data.created}`);
      },
    });
    const job = await enqueue(queue, "doomed");
    await queue.tick();
    await queue.idle();
    expect(undone).toEqual(["destroy 101"]);
    const row = await queue.get(job!.id);
    expect(row).toMatchObject({ status: "failed", attempts: 1 });
    expect(row!.error).toContain("101.conf' does not exist");
  });

  test("transient errors stop being retried after maxAttempts", async () => {
    const queue = new JobQueue(database.db, bus, fast);
    register(
      queue,
      oneStep(
        "always-flaky",
        async () => {
          throw transient("got timeout");
        },
        3,
      ),
    );
    const job = await enqueue(queue, "always-flaky");
    queue.start();
    await until(async () => (await queue.get(job!.id))!.status === "failed");
    await queue.stop();
    expect((await queue.get(job!.id))!.attempts).toBe(3);
  });

  test("a job whose worker died is reclaimed after its lease and resumes after its last checkpoint", async () => {
    const queue = new JobQueue(database.db, bus, fast);
    const ran: string[] = [];
    register(queue, recording("resumable", ["a", "b", "c"], ran));
    const job = await enqueue(queue, "resumable");
    // What a crashed worker leaves behind: running, someone else's lease (expired), step "a" checkpointed.
    await database.db
      .update(jobs)
      .set({
        status: "running",
        leaseOwner: "dead-worker",
        leaseExpiresAt: sql`now() - interval '1 second'`,
        attempts: 1,
        checkpoint: { steps: { a: { done: true, value: 1 } }, data: {} },
      })
      .where(eq(jobs.id, job!.id));
    expect(await queue.tick()).toBe(1);
    await queue.idle();
    expect(ran).toEqual(["b", "c"]);
    expect(await queue.get(job!.id)).toMatchObject({ status: "succeeded", attempts: 2 });
  });

  test("a job with a live lease elsewhere is not taken", async () => {
    const queue = new JobQueue(database.db, bus, fast);
    register(queue, { kind: "held", steps: ["s"], run: async () => {} });
    const job = await enqueue(queue, "held");
    await database.db
      .update(jobs)
      .set({ status: "running", leaseOwner: "other", leaseExpiresAt: sql`now() + interval '1 minute'` })
      .where(eq(jobs.id, job!.id));
    expect(await queue.tick()).toBe(0);
  });

  test("the dedupe key makes an enqueue happen once", async () => {
    const queue = new JobQueue(database.db, bus, fast);
    register(queue, { kind: "scheduled", steps: ["s"], run: async () => {} });
    const a = await enqueue(queue, "scheduled", { dedupeKey: "backup:app1:2026-11-28T03:00" });
    const b = await enqueue(queue, "scheduled", { dedupeKey: "backup:app1:2026-11-28T03:00" });
    expect(a).not.toBeNull();
    expect(b).toBeNull();
  });

  test("the concurrency limit caps jobs running at once", async () => {
    const queue = new JobQueue(database.db, bus, { ...fast, concurrency: 2 });
    let now = 0;
    let peak = 0;
    register(
      queue,
      oneStep("slow", async () => {
        peak = Math.max(peak, ++now);
        await Bun.sleep(30);
        now--;
      }),
    );
    for (let i = 0; i < 6; i++) await enqueue(queue, "slow");
    queue.start();
    await until(async () => (await listJobs({ status: "succeeded", page: 1, perPage: 10 })).total === 6);
    await queue.stop();
    expect(peak).toBe(2);
  });

  test("two workers on one database never run the same job", async () => {
    const other = await secondInstance(database);
    const runs = new Map<string, number>();
    const def = oneStep("count", async (ctx) => {
      runs.set(ctx.job.id, (runs.get(ctx.job.id) ?? 0) + 1);
      await Bun.sleep(5);
    });
    const a = new JobQueue(database.db, bus, { ...fast, workerId: "a", concurrency: 3 });
    const b = new JobQueue(other.db, createEventBus(other), { ...fast, workerId: "b", concurrency: 3 });
    register(a, def);
    register(b, def);
    for (let i = 0; i < 40; i++) await enqueue(a, "count");
    a.start();
    b.start();
    try {
      await until(
        async () => (await listJobs({ status: "succeeded", page: 1, perPage: 1 })).total === 40,
        30_000,
      );
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      if (other !== database) await other.close();
    }
    expect(runs.size).toBe(40);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });

  test("stopping releases the lease of an unfinished job so it resumes at once elsewhere", async () => {
    const queue = new JobQueue(database.db, bus, fast);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    register(queue, {
      kind: "long",
      steps: ["wait", "after"],
      run: async (ctx) => {
        await ctx.step("wait", async () => {
          await Promise.race([
            gate,
            new Promise((_, rej) => ctx.signal.addEventListener("abort", () => rej(ctx.signal.reason))),
          ]);
        });
        await ctx.step("after", async () => {});
      },
    });
    const job = await enqueue(queue, "long");
    await queue.tick();
    await until(async () => (await queue.get(job!.id))!.status === "running");
    await queue.stop(50);
    release();
    expect(await queue.get(job!.id)).toMatchObject({ status: "queued", leaseOwner: null, attempts: 0 });
  });
  test("an idle worker is woken by a job enqueued on another instance, not by its poll", async () => {
    const other = await secondInstance(database);
    const def = oneStep("woken", async () => 1);
    // The safety poll is an hour away: only the wake-up (NOTIFY / in-process event) can start the job.
    const worker = new JobQueue(database.db, bus, { pollMs: 3_600_000, leaseMs: 1_000 });
    register(worker, def);
    const otherBus = createEventBus(other);
    const producer = new JobQueue(other.db, otherBus);
    register(producer, def);
    worker.start();
    try {
      await until(() => worker.alive());
      await Bun.sleep(100); // the first poll found nothing and the worker went to sleep
      const job = await enqueue(producer, "woken");
      await until(async () => (await worker.get(job!.id))?.status === "succeeded");
    } finally {
      await worker.stop();
      await otherBus.close();
      if (other !== database) await other.close();
    }
  });

  test("a retry runs when its backoff ends without waiting for the safety poll", async () => {
    const queue = new JobQueue(database.db, bus, { pollMs: 3_600_000, retryBaseMs: 200, leaseMs: 1_000 });
    let tries = 0;
    register(
      queue,
      oneStep("retry-later", async () => {
        tries++;
        if (tries === 1) throw transient("not yet");
      }),
    );
    queue.start();
    try {
      const job = await enqueue(queue, "retry-later");
      await until(async () => (await queue.get(job!.id))?.status === "succeeded");
      expect(tries).toBe(2);
    } finally {
      await queue.stop();
    }
  });
});

describe("typed job definitions", () => {
  const Greet = defineJob({
    kind: "greet",
    payload: z.object({ name: z.string().min(1) }),
    steps: ["hello", "bye"],
  });

  test("a row whose payload does not match its type fails once with the reason and is not retried", async () => {
    const queue = new JobQueue(database.db, bus, fast);
    let ran = false;
    queue.register(
      implementJob(Greet, {
        run: async (ctx) => {
          await ctx.step("hello", async () => {
            ran = true;
          });
        },
      }),
    );
    // Written around the types (by hand, or by an incompatible version): no name.
    const [row] = await database.db
      .insert(jobs)
      .values({ kind: "greet", payload: { nom: "x" }, maxAttempts: 5 })
      .returning();
    await queue.tick();
    await queue.idle();
    const done = await queue.get(row!.id);
    expect(ran).toBe(false);
    expect(done).toMatchObject({ status: "failed", attempts: 1, leaseOwner: null });
    expect(done!.error).toContain("payload is invalid");
    expect(done!.error).toContain("name");
    await queue.tick();
    expect((await queue.get(row!.id))!.attempts).toBe(1);
  });

  test("the payload is checked when enqueued, and the handler gets it typed", async () => {
    const queue = new JobQueue(database.db, bus, fast);
    const seen: string[] = [];
    queue.register(
      implementJob(Greet, {
        run: async (ctx) => {
          await ctx.step("hello", async () => seen.push(ctx.payload.name));
          await ctx.step("bye", async () => seen.push("bye"));
        },
      }),
    );
    await expect(queue.enqueue(Greet, { payload: { name: "" } })).rejects.toThrow();
    expect((await listJobs({ page: 1, perPage: 10 })).total).toBe(0);
    const job = await queue.enqueue(Greet, { payload: { name: "ada" } });
    await queue.tick();
    await queue.idle();
    expect(seen).toEqual(["ada", "bye"]);
    expect((await queue.get(job!.id))!.progress).toEqual({ step: "bye", step_index: 2, total_steps: 2 });
  });

  test("unknown steps and wrong payloads do not compile", () => {
    // These lines are checked by `bun run typecheck`: each @ts-expect-error must stay an error.
    const check = (queue: JobQueue) => {
      implementJob(Greet, {
        run: async (ctx) => {
          // @ts-expect-error "nework" is not a step of greet
          await ctx.step("nework", async () => {});
          // @ts-expect-error greet's payload has no `age`
          ctx.payload.age;
        },
      });
      // @ts-expect-error `name` must be a string
      void queue.enqueue(Greet, { payload: { name: 42 } });
      // @ts-expect-error a kind is enqueued through its type, not a string
      void queue.enqueue("greet", { payload: { name: "x" } });
    };
    expect(typeof check).toBe("function");
  });
});
