import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { connectDatabase, type Database } from "../../../src/db/connect.ts";
import { channelFor, createEventBus, type ProximityEvent } from "../../../src/queue/events.ts";
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

  test("an installation in another schema of the same database hears none of them (PostgreSQL)", async () => {
    // NOTIFY channels are per database: each schema has its own channel (channelFor).
    expect(channelFor("public")).toBe("proximity_events");
    expect(channelFor("a")).not.toBe(channelFor("b"));
    expect(channelFor("x".repeat(63)).length).toBeLessThan(64);
    if (!testDatabaseUrl) return; // one process per embedded database: nothing else can share it
    const database = await getTestDatabase();
    const neighbour = `events_neighbour_${process.pid}`;
    await database.db.execute(sql.raw(`create schema if not exists "${neighbour}"`));
    const other = await connectDatabase(
      { kind: "postgres", url: testDatabaseUrl },
      { searchPath: neighbour },
    );
    const mine = createEventBus(database);
    const theirs = createEventBus(other);
    const heardHere: ProximityEvent[] = [];
    const heardThere: ProximityEvent[] = [];
    const mineToo = createEventBus(database);
    mineToo.subscribe((e) => heardHere.push(e));
    theirs.subscribe((e) => heardThere.push(e));
    await Promise.all([mineToo.ready(), theirs.ready()]);
    try {
      const event: ProximityEvent = { type: "app.status", app_id: crypto.randomUUID(), status: "running" };
      await mine.publish(event);
      const end = Date.now() + 5_000;
      while (!heardHere.length && Date.now() < end) await Bun.sleep(10);
      expect(heardHere).toEqual([event]);
      // The neighbour had as long to hear it, and did not.
      expect(heardThere).toEqual([]);
    } finally {
      await mineToo.close();
      await theirs.close();
      await other.close();
      await database.db.execute(sql.raw(`drop schema if exists "${neighbour}" cascade`));
    }
  });
});
