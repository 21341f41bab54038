/**
 * Both runtime adapters' argon2id, in one process: Bun.password (the Bun adapter) and hash-wasm (the Deno
 * adapter, whose password functions use no Deno API) verify each other's PHC strings. The same exchange
 * across real processes on one data directory is in tests/e2e/deno.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { bunRuntime } from "../../../src/core/runtime/bun.ts";
import { denoRuntime } from "../../../src/core/runtime/deno.ts";

const COST = { memoryCost: 4096, timeCost: 2 };
const PASSWORD = "correct-horse-battery";

describe("argon2id across runtimes", () => {
  for (const [from, to] of [
    [bunRuntime, denoRuntime],
    [denoRuntime, bunRuntime],
  ] as const) {
    test(`a hash made on ${from.name} is verified on ${to.name}; a wrong password is not`, async () => {
      const hash = await from.hashPassword(PASSWORD, COST);
      expect(hash).toMatch(/^\$argon2id\$v=19\$m=4096,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
      expect(await to.verifyPassword(PASSWORD, hash)).toBe(true);
      expect(await to.verifyPassword(`${PASSWORD}!`, hash)).toBe(false);
    });
  }

  test("two hashes of one password differ (random salt) on both", async () => {
    for (const rt of [bunRuntime, denoRuntime]) {
      expect(await rt.hashPassword(PASSWORD, COST)).not.toBe(await rt.hashPassword(PASSWORD, COST));
    }
  });

  test("a string that is not an argon2 hash verifies as false, not as an error", async () => {
    for (const rt of [bunRuntime, denoRuntime]) {
      expect(await rt.verifyPassword(PASSWORD, "not-a-hash")).toBe(false);
      expect(await rt.verifyPassword(PASSWORD, "$argon2id$v=19$m=4096,t=2,p=1$AAAA$")).toBe(false);
    }
  });
});
