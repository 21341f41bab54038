/** The session cache's own rules (src/features/auth/session-cache.ts); its invalidation across instances is
 * tested in tests/db/api/session-cache.test.ts. */
import { describe, expect, test } from "bun:test";
import { SessionCache } from "../../../src/features/auth/session-cache.ts";

function cache(max = 10) {
  let now = 1_000;
  const c = new SessionCache<string>({ ttlMs: 60_000, max, now: () => now });
  return { c, advance: (ms: number) => (now += ms), at: () => now };
}

describe("session cache", () => {
  test("a session is kept until the earlier of its own end and the safety limit", () => {
    const { c, advance, at } = cache();
    c.set(c.begin(), "u1 s1", "u1", "row", at() + 10_000);
    c.set(c.begin(), "u1 s2", "u1", "row2", at() + 600_000);
    expect(c.get("u1 s1")).toBe("row");
    advance(10_000);
    expect(c.get("u1 s1")).toBeUndefined(); // the session's refresh tokens expired
    expect(c.get("u1 s2")).toBe("row2");
    advance(50_000);
    expect(c.get("u1 s2")).toBeUndefined(); // the safety limit
  });

  test("dropping a user drops every session of that user and no other", () => {
    const { c, at } = cache();
    c.set(c.begin(), "u1 s1", "u1", "a", at() + 10_000);
    c.set(c.begin(), "u1 s2", "u1", "b", at() + 10_000);
    c.set(c.begin(), "u2 s3", "u2", "c", at() + 10_000);
    c.dropUser("u1");
    expect([c.get("u1 s1"), c.get("u1 s2"), c.get("u2 s3")]).toEqual([undefined, undefined, "c"]);
    c.dropAll();
    expect(c.size).toBe(0);
  });

  test("a read that began before an invalidation is not stored", () => {
    const { c, at } = cache();
    const epoch = c.begin(); // the request starts reading…
    c.dropUser("u9"); // …a logout is announced meanwhile (any user: invalidations are rare)…
    c.set(epoch, "u1 s1", "u1", "what was read before", at() + 10_000);
    expect(c.get("u1 s1")).toBeUndefined(); // …so the next request reads again
  });

  test("beyond its size the oldest session goes first", () => {
    const { c, at } = cache(2);
    c.set(c.begin(), "u1 s1", "u1", "a", at() + 10_000);
    c.set(c.begin(), "u2 s2", "u2", "b", at() + 10_000);
    c.set(c.begin(), "u3 s3", "u3", "c", at() + 10_000);
    expect([c.get("u1 s1"), c.get("u2 s2"), c.get("u3 s3")]).toEqual([undefined, "b", "c"]);
    expect(c.size).toBe(2);
  });
});
