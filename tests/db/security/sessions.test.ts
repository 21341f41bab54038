/** Access tokens end with the session that issued them (docs/security.md: "Sessions"). */
import { describe, expect, test } from "bun:test";
import { admin, adminAppPerTest, t } from "../../helpers/admin-app.ts";
import { changePassword, createUser, login, logout, type Session } from "../../helpers/harness.ts";

adminAppPerTest();

const me = (s: Session | string) =>
  t.request("/api/v1/auth/me", { token: typeof s === "string" ? s : s.token }).then((r) => r.status);

/** A new user signed in twice: the session createUser made and another one. */
async function twoSessions(username: string) {
  const user = await createUser(t, admin, username);
  return { user, other: await login(t, username) };
}

describe("an access token dies with its session", () => {
  test("logout: that session's access token is refused at once, the other session is not", async () => {
    const { user, other } = await twoSessions("dora");
    expect(await me(user)).toBe(200);
    const res = await logout(t, user);
    expect(res.status).toBe(204);
    expect(await me(user)).toBe(401);
    expect(await me(other)).toBe(200);
  });

  test("change-password: other sessions' access tokens are refused, the kept session still works", async () => {
    const { user, other } = await twoSessions("erin");
    const res = await changePassword(t, user, "a-brand-new-passphrase");
    expect(res.status).toBe(204);
    expect(await me(other)).toBe(401);
    expect(await me(user)).toBe(200);
  });

  test("an admin password reset or disabling ends every session's access tokens", async () => {
    const { user, other } = await twoSessions("fred");
    const reset = await t.request(`/api/v1/users/${user.id}`, {
      method: "PATCH",
      token: admin.token,
      json: { password: "reset-by-the-admin-1" },
    });
    expect(reset.status).toBe(200);
    expect(await me(user)).toBe(401);
    expect(await me(other)).toBe(401);
    expect(await me(admin)).toBe(200);
  });

  test("refresh-token reuse: every access token of that session family is refused", async () => {
    const user = await createUser(t, admin, "gina");
    const rotate = (refresh_token: string) =>
      t.request("/api/v1/auth/refresh", { method: "POST", json: { refresh_token } });
    const first = await rotate(user.refreshToken);
    expect(first.status).toBe(200);
    const rotated = (await first.json()) as { access_token: string };
    expect(await me(rotated.access_token)).toBe(200);
    // The old refresh token comes back: someone holds a copy.
    expect((await rotate(user.refreshToken)).status).toBe(401);
    expect(await me(rotated.access_token)).toBe(401);
    expect(await me(user)).toBe(401);
  });
});
