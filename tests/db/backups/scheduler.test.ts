/**
 * Exactly-once scheduling: two Proximity instances (own scheduler, own job queue and worker) on one database
 * tick at the same moments; every slot of every schedule becomes exactly one job, run exactly once. On
 * PostgreSQL the second instance has its own connection pool (as a second process would); on PGlite both
 * share the embedded database.
 */

import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { sql } from "drizzle-orm";
import type { Database } from "../../../src/db/connect.ts";
import { rowsOf } from "../../../src/db/rows.ts";
import { applications, backupSchedules, backups, jobs, users } from "../../../src/db/schema.ts";
import { BackupAppJob } from "../../../src/features/backups/job-types.ts";
import { BackupScheduler, slotKey } from "../../../src/features/backups/scheduler.ts";
import { implementJob } from "../../../src/queue/define.ts";
import { createEventBus } from "../../../src/queue/events.ts";
import { JobQueue } from "../../../src/queue/queue.ts";
import { getTestDatabase, hostRow, resetDatabase, secondInstance } from "../../helpers/db.ts";

// Real sockets and processes on a 2-core machine: Bun's 5 s default is too tight (set per file: a
// preload's setDefaultTimeout only reaches the first file).
setDefaultTimeout(60_000);

let first: Database;
let second: Database;
const T0 = new Date("2026-06-01T00:00:00Z").getTime();
const MIN = 60_000;

beforeAll(async () => {
  await resetDatabase();
  first = await getTestDatabase();
  second = await secondInstance(first);
});
afterAll(async () => {
  if (second !== first) await second.close();
});

async function seed(db: Database["db"], apps: number): Promise<string[]> {
  const [user] = await db.insert(users).values({ username: "owner", passwordHash: "x" }).returning();
  const host = await hostRow(db);
  const ids: string[] = [];
  for (let i = 0; i < apps; i++) {
    const [app] = await db
      .insert(applications)
      .values({
        ownerId: user!.id,
        hostId: host.id,
        name: `App ${i}`,
        hostname: `app${i}`,
        status: "running",
        node: "pve1",
        vmid: 100 + i,
        resources: { cores: 1, memory_mb: 512, disk_gb: 4 },
      })
      .returning();
    ids.push(app!.id);
    await db
      .insert(backupSchedules)
      .values({ appId: app!.id, cron: "*/5 * * * *", lastSlotAt: new Date(T0) });
  }
  return ids;
}

describe("two instances, one database", () => {
  test("every slot is enqueued exactly once and each job runs exactly once", async () => {
    const appIds = await seed(first.db, 3);
    const ran: string[] = [];
    const buses: { close(): Promise<void> }[] = [];
    const instance = (database: Database, name: string) => {
      const bus = createEventBus(database);
      buses.push(bus);
      const queue = new JobQueue(database.db, bus, {
        workerId: name,
        pollMs: 10,
        leaseMs: 2_000,
        concurrency: 4,
      });
      // The real job type, with a handler that only records what it was given.
      queue.register(
        implementJob(BackupAppJob, {
          run: async (ctx) => {
            ran.push(String(ctx.payload.slot) + ctx.payload.app_id);
            await Bun.sleep(5);
          },
        }),
      );
      let now = new Date(T0);
      const scheduler = new BackupScheduler(database.db, queue, () => now);
      return {
        queue,
        scheduler,
        tickAt: (at: number) => {
          now = new Date(at);
          return scheduler.tick();
        },
      };
    };
    const a = instance(first, "instance-a");
    const b = instance(second, "instance-b");
    a.queue.start();
    b.queue.start();
    const slots = 10;
    let enqueuedByA = 0;
    let enqueuedByB = 0;
    try {
      for (let k = 1; k <= slots; k++) {
        const at = T0 + k * 5 * MIN + 1_000;
        // Both instances tick at once, twice (a timer firing again must not duplicate either).
        const [ra, rb, ra2, rb2] = await Promise.all([
          a.tickAt(at),
          b.tickAt(at),
          a.tickAt(at),
          b.tickAt(at),
        ]);
        enqueuedByA += ra.enqueued.length + ra2.enqueued.length;
        enqueuedByB += rb.enqueued.length + rb2.enqueued.length;
      }
      const deadline = Date.now() + 20_000;
      for (;;) {
        const open = rowsOf<{ n: number }>(
          await first.db.execute(
            sql`select count(*)::int as n from jobs where status in ('queued', 'running')`,
          ),
        )[0]!.n;
        if (Number(open) === 0) break;
        if (Date.now() > deadline) throw new Error("jobs did not finish");
        await Bun.sleep(20);
      }
    } finally {
      await Promise.all([a.queue.stop(1_000), b.queue.stop(1_000)]);
      await Promise.all(buses.map((bus) => bus.close()));
    }

    const rows = await first.db.select().from(jobs);
    expect(rows.length).toBe(appIds.length * slots);
    expect(enqueuedByA + enqueuedByB).toBe(appIds.length * slots);
    const expectedKeys = appIds.flatMap((id) =>
      Array.from({ length: slots }, (_, i) => slotKey(id, new Date(T0 + (i + 1) * 5 * MIN))),
    );
    expect(rows.map((r) => r.dedupeKey).sort()).toEqual(expectedKeys.sort());
    expect(rows.every((r) => r.status === "succeeded" && r.attempts === 1)).toBe(true);
    expect(ran.length).toBe(appIds.length * slots);
    expect(new Set(ran).size).toBe(ran.length);
    // Each schedule remembers the last slot it handled.
    const schedules = await first.db.select().from(backupSchedules);
    expect(schedules.every((s) => s.lastSlotAt.getTime() === T0 + slots * 5 * MIN)).toBe(true);
  });

  test("a tick with nothing due enqueues nothing; a backup left creating by a dead job is failed", async () => {
    await resetDatabase();
    const [appId] = await seed(first.db, 1);
    const bus = createEventBus(first);
    const queue = new JobQueue(first.db, bus);
    const scheduler = new BackupScheduler(first.db, queue, () => new Date(T0 + 2 * MIN));
    const [job] = await first.db
      .insert(jobs)
      .values({ kind: "backup_app", status: "failed", appId: appId! })
      .returning();
    const [row] = await first.db
      .insert(backups)
      .values({
        appId: appId!,
        appHostname: "app0",
        node: "pve1",
        vmid: 100,
        storage: "local",
        mode: "snapshot",
        compress: "zstd",
        jobId: job!.id,
      })
      .returning();
    const result = await scheduler.tick();
    expect(result.enqueued).toEqual([]);
    expect(result.orphansFailed).toBe(1);
    const [after] = await first.db.select().from(backups);
    expect(after).toMatchObject({ id: row!.id, status: "failed" });
    expect(after!.error).toContain("ended without");
    await bus.close();
  });
});

describe("between ticks", () => {
  test("with no enabled schedule it sleeps; a saved schedule wakes it; it knows the next slot", async () => {
    await resetDatabase();
    const bus = createEventBus(first);
    const queue = new JobQueue(first.db, bus);
    const scheduler = new BackupScheduler(first.db, queue, () => new Date(T0 + 2 * MIN), { intervalMs: 50 });
    let ticks = 0;
    const tick = scheduler.tick.bind(scheduler);
    scheduler.tick = (now?: Date) => {
      ticks++;
      return tick(now);
    };
    scheduler.start();
    try {
      const deadline = Date.now() + 10_000;
      while (ticks < 1 && Date.now() < deadline) await Bun.sleep(10);
      await Bun.sleep(500);
      // At its 50 ms interval it would have ticked ten times by now.
      expect(ticks).toBe(1);
      await seed(first.db, 1);
      scheduler.wake();
      while (ticks < 2 && Date.now() < deadline) await Bun.sleep(10);
      expect(ticks).toBe(2);
      // The schedule is every 5 minutes: the next slot after T0 + 2 min is T0 + 5 min.
      expect((await tick()).nextSlotAt).toEqual(new Date(T0 + 5 * MIN));
    } finally {
      await scheduler.stop();
      await bus.close();
    }
  });
});
