/**
 * What the server process does a second after listening (boot/server.ts, `releaseStartupCode`): a full
 * collection keeps the compiled code of functions that ran once; releasing start-up memory drops it (the
 * resident memory that saves is in docs/performance.md), and a dropped function still runs when called again.
 */
import { heapStats } from "bun:jsc";
import { expect, test } from "bun:test";
import { bunRuntime } from "../../../src/core/runtime/bun.ts";

const compiledFunctions = () => heapStats().objectTypeCounts.FunctionCodeBlock ?? 0;

/** Stands for start-up code: many small functions, each run once. */
function runOnce(n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += new Function("x", `return x + ${i};`)(1) as number;
  return sum;
}

test("a collection keeps the compiled code of functions that ran; releasing start-up memory drops it", async () => {
  const fresh = new Function("a", "b", "return a * b + 1;") as (a: number, b: number) => number;
  expect(fresh(6, 7)).toBe(43);
  expect(runOnce(200)).toBe(200 + (199 * 200) / 2);
  bunRuntime.collectGarbage();
  const kept = compiledFunctions();
  expect(kept).toBeGreaterThan(200);

  bunRuntime.releaseStartupMemory();
  // JSC drops the code the next time it is idle.
  let left = compiledFunctions();
  for (let i = 0; i < 30 && left > kept / 2; i++) {
    await Bun.sleep(100);
    left = compiledFunctions();
  }
  expect(left).toBeLessThan(kept / 2);
  // Compiled again when called.
  expect(fresh(6, 7)).toBe(43);
  expect(runOnce(3)).toBe(6);
});
