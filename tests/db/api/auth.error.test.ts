import { describe, expect, test } from "bun:test";
import { appPerTest, t } from "../../helpers/admin-app.ts";
import { errorOf, login, PASSWORD, refresh, setupAdmin } from "../../helpers/harness.ts";

appPerTest();

const register = (body: unknown) => t.request("/api/v1/auth/register", { method: "POST", json: body });

describe("auth: bad input gets a clear error and changes nothing", () => {
  test.each([
    [{ username: "ab", password: PASSWORD }, "username"],
    [{ username: "a".repeat(33), password: PASSWORD }, "username"],
    [{ username: "bad name!", password: PASSWORD }, "username"],
    [{ username: "alice", password: "short" }, "password"],
    [{ username: "alice", password: PASSWORD, email: "not-an-email" }, "email"],
    [{ username: "alice", password: PASSWORD, role: "admin" }, ""],
    [{ password: PASSWORD }, "username"],
  ])("register %j → 422 naming %s", async (body, field) => {
    const res = await register(body);
    expect(res.status).toBe(422);
    const error = await errorOf(res);
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.details!.length).toBeGreaterThan(0);
    if (field) expect(error.details!.map((d) => d.field)).toContain(field);
    const count = await t.services.users.list(1, 10);
    expect(count.total).toBe(0);
  });

  test("a password equal to the username is refused", async () => {
    const res = await register({ username: "longusername1", password: "LongUserName1" });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details).toEqual([
      { field: "password", message: "must not be the same as the username" },
    ]);
  });

  test("usernames are unique regardless of case", async () => {
    const admin = await setupAdmin(t, "carol");
    const res = await t.request("/api/v1/users", {
      method: "POST",
      token: admin.token,
      json: { username: "CAROL", password: PASSWORD },
    });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe("CONFLICT");
  });

  test("malformed JSON is a validation error, not a 500", async () => {
    const res = await t.app.request("/api/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).code).toBe("VALIDATION_FAILED");
  });

  test("wrong password and unknown user get the same answer", async () => {
    await setupAdmin(t);
    const a = await t.request("/api/v1/auth/login", {
      method: "POST",
      json: { username: "admin", password: "wrong-password" },
    });
    const b = await t.request("/api/v1/auth/login", {
      method: "POST",
      json: { username: "nobody", password: "wrong-password" },
    });
    expect(a.status).toBe(401);
    expect(b.status).toBe(401);
    expect((await errorOf(a)).message).toBe((await errorOf(b)).message);
  });

  test("a disabled user cannot log in", async () => {
    const admin = await setupAdmin(t);
    const res = await t.request("/api/v1/users", {
      method: "POST",
      token: admin.token,
      json: { username: "dave", password: PASSWORD },
    });
    const { user } = (await res.json()) as { user: { id: string } };
    await t.request(`/api/v1/users/${user.id}`, {
      method: "PATCH",
      token: admin.token,
      json: { disabled: true },
    });
    await expect(login(t, "dave")).rejects.toThrow(/401/);
  });

  test("re-using a rotated refresh token revokes the whole family", async () => {
    const admin = await setupAdmin(t);
    const first = await refresh(t, admin.refreshToken);
    const { refresh_token: rotated } = (await first.json()) as { refresh_token: string };
    // The stolen, already-rotated token comes back:
    expect((await refresh(t, admin.refreshToken)).status).toBe(401);
    // …and the legitimate successor is now dead too.
    expect((await refresh(t, rotated)).status).toBe(401);
    // Another login (another family) is unaffected.
    const fresh = await login(t, "admin");
    expect((await refresh(t, fresh.refreshToken)).status).toBe(200);
  });

  test("an unknown refresh token is 401", async () => {
    const res = await refresh(t, "prt_nope");
    expect(res.status).toBe(401);
  });

  test("change-password with a wrong current password is refused and the old password still works", async () => {
    const admin = await setupAdmin(t);
    const res = await t.request("/api/v1/auth/change-password", {
      method: "POST",
      token: admin.token,
      json: { current_password: "not-my-password", new_password: "another-long-password" },
    });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details![0]!.field).toBe("current_password");
    await login(t, "admin");
  });
});

describe("auth: login rate limit", () => {
  test("5 failures for one username → 429 with retry-after, even with the right password", async () => {
    await setupAdmin(t);
    for (let i = 0; i < 5; i++) {
      const res = await t.request("/api/v1/auth/login", {
        method: "POST",
        json: { username: "admin", password: `wrong-${i}-password` },
      });
      expect(res.status).toBe(401);
    }
    const res = await t.request("/api/v1/auth/login", {
      method: "POST",
      json: { username: "admin", password: PASSWORD },
    });
    expect(res.status).toBe(429);
    expect((await errorOf(res)).code).toBe("RATE_LIMITED");
    const retry = Number(res.headers.get("retry-after"));
    expect(retry).toBeGreaterThan(800);
    expect(retry).toBeLessThanOrEqual(900);
  });

  test("20 failures from one address block that address for every username", async () => {
    await setupAdmin(t);
    for (let i = 0; i < 20; i++) {
      await t.request("/api/v1/auth/login", {
        method: "POST",
        json: { username: `user${i}`, password: "wrong-password" },
      });
    }
    const res = await t.request("/api/v1/auth/login", {
      method: "POST",
      json: { username: "admin", password: PASSWORD },
    });
    expect(res.status).toBe(429);
  });
});
