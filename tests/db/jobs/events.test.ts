import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { connectDatabase, type Database } from "../../../src/db/connect.ts";
import { createEventBus, type ProximityEvent } from "../../../src/queue/events.ts";
import { getTestDatabase, testDatabaseUrl } from "../../helpers/db.ts";

describe("event bus", () => {
  test("an event published by one instance reaches the subscribers of another (LISTEN/NOTIFY on PostgreSQL)", async () => {
    const database = await getTestDatabase();
    let other: Database = database;
    if (testDatabaseUrl) {
      const [row] = (await database.db.execute(sql`select current_schema() as s`)) as unknown as {
        s: string;
      }[];
      other = await connectDatabase({ kind: "postgres", url: testDatabaseUrl }, { searchPath: row!.s });
    }
    const sender = createEventBus(database);
    const receiver = createEventBus(other);
    const got: ProximityEvent[] = [];
    receiver.subscribe((e) => got.push(e));
    await receiver.ready();
    try {
      const event: ProximityEvent = {
        type: "app.status",
        app_id: crypto.randomUUID(),
        status: "running",
        reason: null,
      };
      await sender.publish(event);
      const end = Date.now() + 5_000;
      while (!got.length && Date.now() < end) await Bun.sleep(10);
      expect(got).toEqual([event]);
      // Long log lines are cut to fit a NOTIFY payload.
      await sender.publish({
        type: "job.log",
        job_id: "j",
        app_id: null,
        level: "info",
        message: "x".repeat(10_000),
      });
      while (got.length < 2 && Date.now() < end) await Bun.sleep(10);
      expect((got[1] as { message: string }).message.length).toBeLessThan(2100);
    } finally {
      await receiver.close();
      if (other !== database) await other.close();
    }
  });
});
