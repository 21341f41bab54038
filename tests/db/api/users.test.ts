import { describe, expect, test } from "bun:test";
import { admin, adminAppPerTest, t } from "../../helpers/admin-app.ts";
import { createTestApp, createUser, errorOf, login, PASSWORD, refresh } from "../../helpers/harness.ts";

adminAppPerTest();

const patch = (id: string, json: unknown, token = admin.token) =>
  t.request(`/api/v1/users/${id}`, { method: "PATCH", token, json });

describe("users: admin management", () => {
  test("create, list (paginated), get, update, delete", async () => {
    const created = await t.request("/api/v1/users", {
      method: "POST",
      token: admin.token,
      json: { username: "Erin", password: PASSWORD, email: "erin@example.com" },
    });
    expect(created.status).toBe(201);
    const { user } = (await created.json()) as { user: { id: string; role: string; username: string } };
    expect(user).toMatchObject({ username: "erin", role: "user" });

    const page = await t.request("/api/v1/users?page=1&per_page=1", { token: admin.token });
    expect(await page.json()).toMatchObject({
      total: 2,
      page: 1,
      per_page: 1,
      items: [{ username: "admin" }],
    });
    const page2 = (await (
      await t.request("/api/v1/users?page=2&per_page=1", { token: admin.token })
    ).json()) as {
      items: { username: string }[];
    };
    expect(page2.items.map((u) => u.username)).toEqual(["erin"]);

    const got = await t.request(`/api/v1/users/${user.id}`, { token: admin.token });
    expect(((await got.json()) as { user: { email: string } }).user.email).toBe("erin@example.com");

    const promoted = await patch(user.id, { role: "admin" });
    expect(((await promoted.json()) as { user: { role: string } }).user.role).toBe("admin");

    expect(
      (await t.request(`/api/v1/users/${user.id}`, { method: "DELETE", token: admin.token })).status,
    ).toBe(204);
    expect((await t.request(`/api/v1/users/${user.id}`, { token: admin.token })).status).toBe(404);
  });

  test("per_page above 100 is refused", async () => {
    const res = await t.request("/api/v1/users?per_page=101", { token: admin.token });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).details![0]!.field).toBe("query.per_page");
  });

  test("an admin password reset ends the user's sessions and sets the new password", async () => {
    const erin = await createUser(t, admin, "erin");
    expect((await patch(erin.id, { password: "a-brand-new-password" })).status).toBe(200);
    const res = await refresh(t, erin.refreshToken);
    expect(res.status).toBe(401);
    await login(t, "erin", "a-brand-new-password");
  });

  test("disabling a user takes effect on their very next request", async () => {
    const erin = await createUser(t, admin, "erin");
    expect((await t.request("/api/v1/auth/me", { token: erin.token })).status).toBe(200);
    await patch(erin.id, { disabled: true });
    expect((await t.request("/api/v1/auth/me", { token: erin.token })).status).toBe(401);
  });

  test("demoting a user takes effect immediately, whatever the token says", async () => {
    const other = await createUser(t, admin, "root2", "admin");
    expect((await t.request("/api/v1/users", { token: other.token })).status).toBe(200);
    await patch(other.id, { role: "user" });
    expect((await t.request("/api/v1/users", { token: other.token })).status).toBe(403);
  });

  test("the last admin cannot be demoted, disabled or removed", async () => {
    for (const body of [{ role: "user" }, { disabled: true }]) {
      const res = await patch(admin.id, body);
      expect(res.status).toBe(409);
      expect((await errorOf(res)).message).toContain("last active administrator");
    }
    const del = await t.request(`/api/v1/users/${admin.id}`, { method: "DELETE", token: admin.token });
    expect(del.status).toBe(409);
    expect((await t.request("/api/v1/auth/me", { token: admin.token })).status).toBe(200);
  });

  test("with a second admin, the first can step down", async () => {
    await createUser(t, admin, "second", "admin");
    expect((await patch(admin.id, { role: "user" })).status).toBe(200);
  });

  test("unknown ids are 404 and malformed ids 422", async () => {
    expect((await t.request(`/api/v1/users/${crypto.randomUUID()}`, { token: admin.token })).status).toBe(
      404,
    );
    const bad = await t.request("/api/v1/users/not-a-uuid", { token: admin.token });
    expect(bad.status).toBe(422);
    expect((await errorOf(bad)).details![0]!.field).toBe("path.user_id");
  });

  test("an empty PATCH is refused", async () => {
    const res = await patch(admin.id, {});
    expect(res.status).toBe(422);
  });

  test("admin actions are audited with the actor", async () => {
    const erin = await createUser(t, admin, "erin");
    await patch(erin.id, { disabled: true });
    const res = await t.request(`/api/v1/audit?action=user.update&target=${erin.id}`, { token: admin.token });
    const body = (await res.json()) as {
      total: number;
      items: { actor_username: string; details: Record<string, unknown> }[];
    };
    expect(body.total).toBe(1);
    expect(body.items[0]).toMatchObject({ actor_username: "admin", details: { disabled: true } });
  });
});

describe("users: first-user-admin is race-free", () => {
  test("10 concurrent registrations on an empty database yield exactly one admin", async () => {
    const fresh = await createTestApp();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        fresh.request("/api/v1/auth/register", {
          method: "POST",
          json: { username: `racer${i}`, password: PASSWORD },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    // One admin; the others hit the closed registration.
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 403)).toHaveLength(9);
    const { items } = await fresh.services.users.list(1, 100);
    expect(items.filter((u) => u.role === "admin")).toHaveLength(1);
  });

  test("with open registration, 10 concurrent registrations still yield exactly one admin", async () => {
    const fresh = await createTestApp();
    // Registration policy is stored before any user exists.
    await fresh.services.settings.update(
      { registration: "open" },
      { user: null, ip: "127.0.0.1", claimed: { id: crypto.randomUUID(), username: "setup" } },
    );
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        fresh.request("/api/v1/auth/register", {
          method: "POST",
          json: { username: `racer${i}`, password: PASSWORD },
        }),
      ),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    const { items } = await fresh.services.users.list(1, 100);
    expect(items).toHaveLength(10);
    expect(items.filter((u) => u.role === "admin")).toHaveLength(1);
  });
});
