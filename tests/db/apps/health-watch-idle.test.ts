/**
 * An idle health watcher (no running app, no host) does not tick: it sleeps until an app starts running or a
 * host is added, and either wakes it at once (docs/performance.md, "Idle").
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Database } from "../../../src/db/connect.ts";
import { HealthWatcher } from "../../../src/features/apps/watch.ts";
import type { SettingsService } from "../../../src/features/settings/settings.service.ts";
import type { ProximityEvent } from "../../../src/queue/events.ts";
import { getTestDatabase, resetDatabase } from "../../helpers/db.ts";

setDefaultTimeout(60_000);

let database: Database;
beforeAll(async () => {
  database = await getTestDatabase();
  await resetDatabase();
});
afterAll(() => resetDatabase());

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(10);
  }
}

describe("idle health watcher", () => {
  test("sleeps with nothing to watch; an app starting or a host added wakes it", async () => {
    let ticks = 0;
    const listeners: ((event: ProximityEvent) => void)[] = [];
    const added: (() => void)[] = [];
    const settings = {
      get: async () => {
        ticks++;
        return { health: { interval_seconds: 60, failures: 3, storage_low_percent: 90 } };
      },
    } as unknown as Pick<SettingsService, "get">;
    const watcher = new HealthWatcher(
      {
        db: database.db,
        hosts: {
          client: () => {
            throw new Error("no host");
          },
          onAdded: (listener) => {
            added.push(listener);
            return () => {};
          },
        },
        catalog: { get: () => undefined },
        settings,
        notify: async () => {},
        events: {
          publish: async () => {},
          subscribe: (listener) => {
            listeners.push(listener);
            return () => {};
          },
        },
        instanceId: "idle-test",
      },
      // A watcher with something to watch would tick every 50 ms.
      { tickMs: 50 },
    );
    watcher.start();
    try {
      await until(() => ticks === 1);
      await Bun.sleep(400);
      expect(ticks).toBe(1);

      // Another app's status is not a reason to look; an app that runs is.
      for (const l of listeners) l({ type: "app.status", app_id: "a", status: "stopped" });
      await Bun.sleep(200);
      expect(ticks).toBe(1);
      for (const l of listeners) l({ type: "app.status", app_id: "a", status: "running" });
      await until(() => ticks === 2);

      for (const l of added) l();
      await until(() => ticks === 3);
      await Bun.sleep(300);
      expect(ticks).toBe(3);
    } finally {
      await watcher.stop();
    }
  });
});
