import { afterEach, describe, expect, test } from "bun:test";
import { Chore } from "../../../src/core/chore.ts";

const chores: Chore[] = [];
afterEach(async () => {
  await Promise.all(chores.splice(0).map((c) => c.stop()));
});

/** Waits for `cond` (a loaded machine stretches every timer). */
async function until(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

function counted(periodMs: number, run: (n: number) => Promise<number | undefined>) {
  const times: number[] = [];
  const t0 = performance.now();
  const chore = new Chore("test chore", periodMs, async () => {
    times.push(performance.now() - t0);
    return run(times.length);
  });
  chores.push(chore);
  return { chore, times };
}

describe("Chore", () => {
  test("runs at once, then at its period while runs return nothing", async () => {
    const { chore, times } = counted(40, async () => undefined);
    chore.start();
    await until(() => times.length >= 3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(35);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(35);
  });

  test("sleeps as long as a run asks, and wake() brings the next run forward", async () => {
    const { chore, times } = counted(20, async () => 60_000);
    chore.start();
    await Bun.sleep(100);
    expect(times.length).toBe(1);
    chore.wake();
    await until(() => times.length === 2);
    await Bun.sleep(50);
    expect(times.length).toBe(2);
  });

  test("a wake-up during a run makes one more run after it, never two at once", async () => {
    let inFlight = 0;
    let most = 0;
    let release: () => void = () => {};
    const { chore, times } = counted(60_000, async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      if (times.length === 1) await new Promise<void>((r) => (release = r));
      inFlight--;
      return undefined;
    });
    chore.start();
    chore.wake();
    chore.wake();
    await Bun.sleep(10);
    expect(times.length).toBe(1);
    release();
    await until(() => times.length === 2);
    await Bun.sleep(50);
    expect(times.length).toBe(2);
    expect(most).toBe(1);
  });

  test("a failed run is followed by the next one at the period; nothing runs after stop()", async () => {
    const { chore, times } = counted(30, async (n) => {
      if (n === 1) throw new Error("boom");
      return undefined;
    });
    chore.start();
    await until(() => times.length === 2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(25);
    await chore.stop();
    const after = times.length;
    chore.wake();
    await Bun.sleep(80);
    expect(times.length).toBe(after);
  });
});
