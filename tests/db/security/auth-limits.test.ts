/**
 * Login limiter, registration and hashing limits, body limit, change-password limit and audit bursts, all
 * through a real Bun.serve with real parallel requests (docs/security.md).
 */
import { afterEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { and, eq } from "drizzle-orm";
import { auditLog } from "../../../src/db/schema.ts";
import { createTestApp, createUser, PASSWORD, setupAdmin, type TestApp } from "../../helpers/harness.ts";
import { type Served, serve, tally } from "../../helpers/serve.ts";

setDefaultTimeout(300_000);

let t: TestApp;
let s: Served;
afterEach(async () => {
  await s?.stop();
});

async function start(env: Record<string, string> = {}) {
  t = await createTestApp(env);
  s = serve(t);
}

const loginBody = (username: string, password: string) => ({
  method: "POST",
  json: { username, password },
});

describe("login limiter under concurrency", () => {
  test("60 simultaneous guesses for one user (one right): at most 5 checked, the rest 429", async () => {
    await start();
    const admin = await setupAdmin(t);
    await createUser(t, admin, "victim");
    const guesses = Array.from({ length: 60 }, (_, i) => (i === 59 ? PASSWORD : `wrong-guess-${i}`));
    const statuses = await Promise.all(
      guesses.map((p) => s.fetch("/api/v1/auth/login", loginBody("victim", p)).then((r) => r.status)),
    );
    const counts = tally(statuses);
    console.log("60 concurrent guesses for one user:", counts);
    expect((counts[401] ?? 0) + (counts[200] ?? 0)).toBeLessThanOrEqual(5);
    expect(counts[429] ?? 0).toBeGreaterThanOrEqual(55);
  });

  test("100 simultaneous guesses from one address: at most 20 checked, the rest 429", async () => {
    await start();
    const statuses = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        s.fetch("/api/v1/auth/login", loginBody(`nobody${i}`, "wrong-password")).then((r) => r.status),
      ),
    );
    const counts = tally(statuses);
    console.log("100 concurrent guesses from one address:", counts);
    expect(counts[401] ?? 0).toBeLessThanOrEqual(20);
    expect(counts[429] ?? 0).toBeGreaterThanOrEqual(80);
  });

  test("change-password has the same limit: after 5 wrong current passwords the right one is 429", async () => {
    await start();
    const admin = await setupAdmin(t);
    const user = await createUser(t, admin, "mallory");
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await s.fetch("/api/v1/auth/change-password", {
        method: "POST",
        token: user.token,
        json: { current_password: `not-it-${i}`, new_password: "a-brand-new-passphrase" },
      });
      statuses.push(res.status);
    }
    const right = await s.fetch("/api/v1/auth/change-password", {
      method: "POST",
      token: user.token,
      json: { current_password: PASSWORD, new_password: "a-brand-new-passphrase" },
    });
    console.log("change-password, 30 wrong then right:", tally(statuses), "right:", right.status);
    expect(tally(statuses)).toEqual({ 422: 5, 429: 25 });
    expect(right.status).toBe(429);
    expect(right.headers.get("retry-after")).toBeTruthy();
    // The password did not change.
    expect(
      (await s.fetch("/api/v1/auth/login", loginBody("mallory", "a-brand-new-passphrase"))).status,
    ).not.toBe(200);
  });
});

describe("anonymous CPU: registration and the hashing queue", () => {
  test("200 simultaneous registrations while closed: nothing hashed, 10×403 then 429, sign-in unaffected", async () => {
    // One hash at a time and one waiting: any hashing for the 200 strangers would overflow into 503s.
    await start({ PASSWORD_HASH_CONCURRENCY: "1", PASSWORD_HASH_QUEUE: "1" });
    await setupAdmin(t);
    const registrations = Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        s
          .fetch("/api/v1/auth/register", {
            method: "POST",
            json: { username: `bot${i}`, password: PASSWORD },
          })
          .then((r) => r.status),
      ),
    );
    const signIn = s.fetch("/api/v1/auth/login", loginBody("admin", PASSWORD));
    const counts = tally(await registrations);
    console.log("200 concurrent registrations while closed:", counts);
    expect(counts).toEqual({ 403: 10, 429: 190 });
    expect((await signIn).status).toBe(200);
    expect((await t.services.users.list(1, 10)).total).toBe(1);
  });

  test("a full hashing queue answers 503 BUSY with retry-after instead of piling up work", async () => {
    await start({
      PASSWORD_HASH_CONCURRENCY: "1",
      PASSWORD_HASH_QUEUE: "2",
      PASSWORD_HASH_MEMORY_KIB: "65536",
    });
    const responses = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        s.fetch("/api/v1/auth/login", loginBody(`ghost${i}`, "wrong-password")),
      ),
    );
    const counts = tally(responses.map((r) => r.status));
    console.log("15 concurrent sign-ins, 1 hashing + 2 waiting:", counts);
    expect(counts[503] ?? 0).toBeGreaterThan(0);
    expect((counts[401] ?? 0) + (counts[503] ?? 0)).toBe(15);
    const busy = responses.find((r) => r.status === 503)!;
    expect(busy.headers.get("retry-after")).toBeTruthy();
    expect(((await busy.json()) as { error: { code: string } }).error.code).toBe("BUSY");
    // Refused attempts were never checked, so they do not count against the address.
    const after = await s.fetch("/api/v1/auth/login", loginBody("ghost-late", "wrong-password"));
    expect(after.status).toBe(401);
  });
});

describe("request body limit", () => {
  test("a 100 MB streamed body is refused with 413 in the standard shape, and memory stays flat", async () => {
    await start();
    const chunk = new Uint8Array(1024 * 1024).fill(0x61);
    const body = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"username":"'));
        },
        pull(controller) {
          controller.enqueue(chunk);
        },
      });
    Bun.gc(true);
    const before = process.memoryUsage().rss;
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetch(`${s.url}/api/v1/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: body(),
        }),
      ),
    );
    Bun.gc(true);
    const grownMb = (process.memoryUsage().rss - before) / 1024 / 1024;
    console.log(
      `5 concurrent unbounded bodies: ${responses.map((r) => r.status)}, RSS +${grownMb.toFixed(0)} MB`,
    );
    for (const res of responses) {
      expect(res.status).toBe(413);
      const error = ((await res.json()) as { error: { code: string; message: string; request_id: string } })
        .error;
      expect(error.code).toBe("PAYLOAD_TOO_LARGE");
      expect(error.message).toContain("1 MiB");
      expect(error.request_id).toBeTruthy();
    }
    expect(grownMb).toBeLessThan(200);
  });

  test("a declared 100 MB body is refused from its content-length, without reading it", async () => {
    await start();
    const { port } = new URL(s.url);
    const answer = await new Promise<string>((resolve, reject) => {
      let text = "";
      Bun.connect({
        hostname: "127.0.0.1",
        port: Number(port),
        socket: {
          open(socket) {
            socket.write(
              "POST /api/v1/auth/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n" +
                `content-length: ${100 * 1024 * 1024}\r\n\r\n{"username":"`,
            );
          },
          data(_socket, data) {
            text += new TextDecoder().decode(data);
            if (text.includes("\r\n\r\n")) resolve(text);
          },
          close: () => resolve(text),
          error: (_s, err) => reject(err),
        },
      }).catch(reject);
    });
    // Above Bun.serve's backstop (the limit + 1 MiB) Bun itself refuses it: same status, plain body.
    expect(answer.split("\r\n")[0]).toStartWith("HTTP/1.1 413");
  });

  test("a declared body just over the limit gets the standard error shape", async () => {
    await start();
    const res = await fetch(`${s.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"username":"${"a".repeat(1024 * 1024 + 10)}","password":"x"}`,
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  test("headers over 16 KB: Bun answers 431 before the app (documented in docs/security.md)", async () => {
    await start();
    const res = await fetch(`${s.url}/health`, { headers: { "x-padding": "a".repeat(20 * 1024) } });
    expect(res.status).toBe(431);
  });
});

describe("audit log under anonymous floods", () => {
  test("400 bogus refreshes and rate-limited sign-ins add a handful of rows, with counts", async () => {
    await start();
    const refreshes = Array.from({ length: 200 }, (_, i) =>
      s.fetch("/api/v1/auth/refresh", { method: "POST", json: { refresh_token: `prt_bogus${i}` } }),
    );
    // 20 failures lock the address; the 200 after them are rate-limited.
    for (let i = 0; i < 20; i++)
      await s.fetch("/api/v1/auth/login", loginBody(`nobody${i}`, "wrong-password"));
    const limited = Array.from({ length: 200 }, (_, i) =>
      s.fetch("/api/v1/auth/login", loginBody(`nobody${i}`, "wrong-password")),
    );
    const statuses = (await Promise.all([...refreshes, ...limited])).map((r) => r.status);
    expect(tally(statuses)).toEqual({ 401: 200, 429: 200 });
    const db = t.services.database.db;
    const unknown = await db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "auth.refresh"), eq(auditLog.outcome, "failure")));
    const throttled = (await db.select().from(auditLog).where(eq(auditLog.action, "auth.login"))).filter(
      (r) => r.details?.reason === "rate_limited",
    );
    console.log(`400 anonymous requests → ${unknown.length + throttled.length} audit rows`);
    expect(unknown.length).toBe(1);
    expect(throttled.length).toBe(1);
    expect(unknown[0]!.details).toMatchObject({ reason: "unknown", count: 200 });
    expect(throttled[0]!.details).toMatchObject({ reason: "rate_limited", count: 200 });
  });
});
