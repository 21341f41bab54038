/** Fair claiming: one user's backlog cannot starve another user's job (docs/security.md: "Quotas"). */

import { beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { z } from "zod";
import type { Database } from "../../../src/db/connect.ts";
import { defineJob, implementJob } from "../../../src/queue/define.ts";
import { createEventBus, type EventBus } from "../../../src/queue/events.ts";
import { JobQueue } from "../../../src/queue/queue.ts";
import { getTestDatabase, resetDatabase } from "../../helpers/db.ts";

setDefaultTimeout(300_000);

const Work = defineJob({ kind: "work", payload: z.object({ who: z.string() }), steps: ["do"] });

let database: Database;
let bus: EventBus;
beforeEach(async () => {
  await resetDatabase();
  database = await getTestDatabase();
  bus = createEventBus(database);
  await bus.ready();
});

describe("fair claiming across users", () => {
  test("a job queued after another user's 20 runs second, not 21st", async () => {
    const queue = new JobQueue(database.db, bus, { pollMs: 20, leaseMs: 5_000, concurrency: 1 });
    const order: string[] = [];
    queue.register(
      implementJob(Work, {
        run: async (ctx) => {
          order.push(ctx.payload.who);
        },
      }),
    );
    const hog = crypto.randomUUID();
    const other = crypto.randomUUID();
    for (let i = 0; i < 20; i++) await queue.enqueue(Work, { userId: hog, payload: { who: `hog${i}` } });
    await queue.enqueue(Work, { userId: other, payload: { who: "other" } });
    for (let i = 0; i < 21; i++) {
      await queue.tick();
      await queue.idle();
    }
    console.log("claim order:", order.slice(0, 4).join(", "), "…");
    expect(order).toHaveLength(21);
    expect(order.indexOf("other")).toBeLessThanOrEqual(1);
    // The hog's own jobs still run in the order they were queued.
    expect(order.filter((w) => w !== "other")).toEqual(Array.from({ length: 20 }, (_, i) => `hog${i}`));
  });

  test("a user with jobs running yields the next free slot to a user with none", async () => {
    const started: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const worker = (concurrency: number) => {
      const queue = new JobQueue(database.db, bus, { pollMs: 20, leaseMs: 5_000, concurrency });
      queue.register(
        implementJob(Work, {
          run: async (ctx) => {
            started.push(ctx.payload.who);
            await gate;
          },
        }),
      );
      return queue;
    };
    const busy = worker(3);
    const free = worker(1);
    const hog = crypto.randomUUID();
    for (let i = 0; i < 6; i++) await busy.enqueue(Work, { userId: hog, payload: { who: `hog${i}` } });
    expect(await busy.tick()).toBe(3); // three of the hog's jobs run and hold their slots
    await free.enqueue(Work, { userId: crypto.randomUUID(), payload: { who: "other" } });
    expect(await free.tick()).toBe(1); // one slot frees up elsewhere: who gets it?
    release();
    await Promise.all([busy.idle(), free.idle()]);
    console.log("start order:", started.join(", "));
    expect(started.slice(0, 3).sort()).toEqual(["hog0", "hog1", "hog2"]);
    expect(started[3]).toBe("other");
  });
});
