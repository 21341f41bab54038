import { describe, expect, test } from "bun:test";
import { decodeJwt } from "jose";
import { appPerTest, t } from "../../helpers/admin-app.ts";
import { changePassword, login, logout, PASSWORD, refresh, setupAdmin } from "../../helpers/harness.ts";

appPerTest();

describe("auth: the happy paths", () => {
  test("the first registered user becomes admin; the username is stored lower-case", async () => {
    const res = await t.request("/api/v1/auth/register", {
      method: "POST",
      json: { username: "Admin.One", password: PASSWORD, email: "a@example.com" },
    });
    expect(res.status).toBe(201);
    const { user } = (await res.json()) as { user: Record<string, unknown> };
    expect(user).toMatchObject({
      username: "admin.one",
      role: "admin",
      email: "a@example.com",
      disabled: false,
    });
    expect(user).not.toHaveProperty("password_hash");
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  test("login returns a bearer pair with a 15-minute JWT carrying the documented claims", async () => {
    await setupAdmin(t);
    const res = await t.request("/api/v1/auth/login", {
      method: "POST",
      json: { username: "ADMIN", password: PASSWORD },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual([
      "access_token",
      "expires_in",
      "refresh_token",
      "token_type",
      "user",
    ]);
    expect(body.token_type).toBe("bearer");
    expect(body.expires_in).toBe(900);
    const claims = decodeJwt(body.access_token as string);
    expect(claims).toMatchObject({
      username: "admin",
      role: "admin",
      iss: "proximity",
      aud: "proximity-api",
    });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(typeof claims.jti).toBe("string");
  });

  test("me returns the signed-in user", async () => {
    const admin = await setupAdmin(t);
    const res = await t.request("/api/v1/auth/me", { token: admin.token });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { id: string } }).user.id).toBe(admin.id);
  });

  test("refresh rotates: the new pair works, the old refresh token is spent", async () => {
    const admin = await setupAdmin(t);
    const res = await refresh(t, admin.refreshToken);
    expect(res.status).toBe(200);
    const next = (await res.json()) as { access_token: string; refresh_token: string };
    expect(next.refresh_token).not.toBe(admin.refreshToken);
    expect((await t.request("/api/v1/auth/me", { token: next.access_token })).status).toBe(200);
    const again = await refresh(t, next.refresh_token);
    expect(again.status).toBe(200);
  });

  test("logout ends the session: its refresh token no longer works", async () => {
    const admin = await setupAdmin(t);
    const out = await logout(t, admin);
    expect(out.status).toBe(204);
    const res = await refresh(t, admin.refreshToken);
    expect(res.status).toBe(401);
  });

  test("change-password: new password works, other sessions end, the presenting session stays", async () => {
    await setupAdmin(t);
    const mine = await login(t, "admin");
    const other = await login(t, "admin");
    const res = await changePassword(t, mine, "another-long-password");
    expect(res.status).toBe(204);
    expect((await refresh(t, other.refreshToken)).status).toBe(401);
    expect((await refresh(t, mine.refreshToken)).status).toBe(200);
    await expect(login(t, "admin")).rejects.toThrow();
    await login(t, "admin", "another-long-password");
  });

  test("register is open to others only when the registration setting says open", async () => {
    const admin = await setupAdmin(t);
    const body = { username: "bob", password: PASSWORD };
    expect((await t.request("/api/v1/auth/register", { method: "POST", json: body })).status).toBe(403);
    const put = await t.request("/api/v1/settings", {
      method: "PUT",
      token: admin.token,
      json: { registration: "open" },
    });
    expect(put.status).toBe(200);
    const res = await t.request("/api/v1/auth/register", { method: "POST", json: body });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { user: { role: string } }).user.role).toBe("user");
  });

  test("auth events land in the audit log without passwords or tokens", async () => {
    const admin = await setupAdmin(t);
    await t.request("/api/v1/auth/login", {
      method: "POST",
      json: { username: "admin", password: "wrong-password-1" },
    });
    await logout(t, admin);
    // Logout ended that session's access token too: read the log from a new session.
    const reader = await login(t, "admin");
    const res = await t.request("/api/v1/audit?per_page=100", { token: reader.token });
    const raw = await res.text();
    const { items } = JSON.parse(raw) as {
      items: { action: string; outcome: string; actor_username: string }[];
    };
    const seen = items.map((i) => `${i.action}:${i.outcome}`);
    expect(seen).toContain("auth.register:success");
    expect(seen).toContain("auth.login:success");
    expect(seen).toContain("auth.login:failure");
    expect(seen).toContain("auth.logout:success");
    expect(raw).not.toContain(PASSWORD);
    expect(raw).not.toContain("wrong-password-1");
    expect(raw).not.toContain(admin.refreshToken);
    expect(raw).not.toContain(admin.token);
  });
});
