import { beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { connectDatabase, type Database } from "../../src/db/connect.ts";
import { jobs } from "../../src/db/schema.ts";
import { createEventBus, type EventBus, type ProximityEvent } from "../../src/queue/events.ts";
import { type JobDefinition, JobQueue } from "../../src/queue/queue.ts";
import { getTestDatabase, resetDatabase, testDatabaseUrl } from "../helpers/db.ts";

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

const fast = { pollMs: 20, retryBaseMs: 10, leaseMs: 1_000 };

describe("job queue", () => {
  test("runs the steps in order, reports progress and succeeds", async () => {
    const queue = new JobQueue(database.db, bus, fast);
    const ran: string[] = [];
    queue.register({
      kind: "demo",
      steps: ["one", "two", "three"],
      run: async (ctx) => {
        for (const s of ["one", "two", "three"]) await ctx.step(s, async () => ran.push(s));
      },
    });
    const job = await queue.enqueue({ kind: "demo", payload: { x: 1 } });
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
    queue.register({
      kind: "flaky",
      steps: ["first", "second"],
      run: async (ctx) => {
        await ctx.step("first", async () => ++firstRuns);
        await ctx.step("second", async () => {
          if (++secondTries < 3) throw transient("CT is locked (backup)");
        });
      },
    });
    const job = await queue.enqueue({ kind: "flaky" });
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
    queue.register({
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
    const job = await queue.enqueue({ kind: "doomed" });
    await queue.tick();
    await queue.idle();
    expect(undone).toEqual(["destroy 101"]);
    const row = await queue.get(job!.id);
    expect(row).toMatchObject({ status: "failed", attempts: 1 });
    expect(row!.error).toContain("101.conf' does not exist");
  });

  test("transient errors stop being retried after maxAttempts", async () => {
    const queue = new JobQueue(database.db, bus, fast);
    queue.register({
      kind: "always-flaky",
      steps: ["s"],
      maxAttempts: 3,
      run: async (ctx) => {
        await ctx.step("s", async () => {
          throw transient("got timeout");
        });
      },
    });
    const job = await queue.enqueue({ kind: "always-flaky" });
    queue.start();
    await until(async () => (await queue.get(job!.id))!.status === "failed");
    await queue.stop();
    expect((await queue.get(job!.id))!.attempts).toBe(3);
  });

  test("a job whose worker died is reclaimed after its lease and resumes after its last checkpoint", async () => {
    const queue = new JobQueue(database.db, bus, fast);
    const ran: string[] = [];
    queue.register({
      kind: "resumable",
      steps: ["a", "b", "c"],
      run: async (ctx) => {
        for (const s of ["a", "b", "c"]) await ctx.step(s, async () => ran.push(s));
      },
    });
    const job = await queue.enqueue({ kind: "resumable" });
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
    queue.register({ kind: "held", steps: ["s"], run: async () => {} });
    const job = await queue.enqueue({ kind: "held" });
    await database.db
      .update(jobs)
      .set({ status: "running", leaseOwner: "other", leaseExpiresAt: sql`now() + interval '1 minute'` })
      .where(eq(jobs.id, job!.id));
    expect(await queue.tick()).toBe(0);
  });

  test("the dedupe key makes an enqueue happen once", async () => {
    const queue = new JobQueue(database.db, bus, fast);
    queue.register({ kind: "scheduled", steps: ["s"], run: async () => {} });
    const a = await queue.enqueue({ kind: "scheduled", dedupeKey: "backup:app1:2026-11-28T03:00" });
    const b = await queue.enqueue({ kind: "scheduled", dedupeKey: "backup:app1:2026-11-28T03:00" });
    expect(a).not.toBeNull();
    expect(b).toBeNull();
  });

  test("the concurrency limit caps jobs running at once", async () => {
    const queue = new JobQueue(database.db, bus, { ...fast, concurrency: 2 });
    let now = 0;
    let peak = 0;
    queue.register({
      kind: "slow",
      steps: ["s"],
      run: async (ctx) => {
        await ctx.step("s", async () => {
          peak = Math.max(peak, ++now);
          await Bun.sleep(30);
          now--;
        });
      },
    });
    for (let i = 0; i < 6; i++) await queue.enqueue({ kind: "slow" });
    queue.start();
    await until(async () => (await queue.list({ status: "succeeded", page: 1, perPage: 10 })).total === 6);
    await queue.stop();
    expect(peak).toBe(2);
  });

  test("two workers on one database never run the same job", async () => {
    // On PostgreSQL: two connections pools, as two instances would have. On PGlite: two queues, one database.
    let other: Database = database;
    if (testDatabaseUrl) {
      const schema = (await database.db.execute(sql`select current_schema() as s`)) as unknown as {
        s: string;
      }[];
      other = await connectDatabase({ kind: "postgres", url: testDatabaseUrl }, { searchPath: schema[0]!.s });
    }
    const runs = new Map<string, number>();
    const def: JobDefinition = {
      kind: "count",
      steps: ["s"],
      run: async (ctx) => {
        await ctx.step("s", async () => {
          runs.set(ctx.job.id, (runs.get(ctx.job.id) ?? 0) + 1);
          await Bun.sleep(5);
        });
      },
    };
    const a = new JobQueue(database.db, bus, { ...fast, workerId: "a", concurrency: 3 });
    const b = new JobQueue(other.db, createEventBus(other), { ...fast, workerId: "b", concurrency: 3 });
    a.register(def);
    b.register(def);
    for (let i = 0; i < 40; i++) await a.enqueue({ kind: "count" });
    a.start();
    b.start();
    try {
      await until(
        async () => (await a.list({ status: "succeeded", page: 1, perPage: 1 })).total === 40,
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
    queue.register({
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
    const job = await queue.enqueue({ kind: "long" });
    await queue.tick();
    await until(async () => (await queue.get(job!.id))!.status === "running");
    await queue.stop(50);
    release();
    expect(await queue.get(job!.id)).toMatchObject({ status: "queued", leaseOwner: null, attempts: 0 });
  });
  test("an idle worker is woken by a job enqueued on another instance, not by its poll", async () => {
    let other: Database = database;
    if (testDatabaseUrl) {
      const schema = (await database.db.execute(sql`select current_schema() as s`)) as unknown as {
        s: string;
      }[];
      other = await connectDatabase({ kind: "postgres", url: testDatabaseUrl }, { searchPath: schema[0]!.s });
    }
    const def: JobDefinition = {
      kind: "woken",
      steps: ["s"],
      run: async (ctx) => {
        await ctx.step("s", async () => 1);
      },
    };
    // The safety poll is an hour away: only the wake-up (NOTIFY / in-process event) can start the job.
    const worker = new JobQueue(database.db, bus, { pollMs: 3_600_000, leaseMs: 1_000 });
    worker.register(def);
    const otherBus = createEventBus(other);
    const producer = new JobQueue(other.db, otherBus);
    producer.register(def);
    worker.start();
    try {
      await until(() => worker.alive());
      await Bun.sleep(100); // the first poll found nothing and the worker went to sleep
      const job = await producer.enqueue({ kind: "woken" });
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
    queue.register({
      kind: "retry-later",
      steps: ["s"],
      run: async (ctx) => {
        await ctx.step("s", async () => {
          tries++;
          if (tries === 1) throw transient("not yet");
        });
      },
    });
    queue.start();
    try {
      const job = await queue.enqueue({ kind: "retry-later" });
      await until(async () => (await queue.get(job!.id))?.status === "succeeded");
      expect(tries).toBe(2);
    } finally {
      await queue.stop();
    }
  });
});
