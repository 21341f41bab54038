import { beforeAll, describe, expect, test } from "bun:test";
import { createTestApp, createUser, type Session, setupAdmin, type TestApp } from "../../helpers/harness.ts";
import { checkOperation, documentedOperations, type Operation } from "../../helpers/route-security.ts";

let t: TestApp;
let ops: Operation[];
let sessions: { user: Session; disabled: Session };

beforeAll(async () => {
  t = await createTestApp();
  const admin = await setupAdmin(t);
  const user = await createUser(t, admin, "alice");
  const disabled = await createUser(t, admin, "mallory");
  const res = await t.request(`/api/v1/users/${disabled.id}`, {
    method: "PATCH",
    token: admin.token,
    json: { disabled: true },
  });
  expect(res.status).toBe(200);
  sessions = { user, disabled };
  ops = await documentedOperations(t);
});

describe("every documented route enforces authentication and roles", () => {
  test("the document lists the routes we expect", () => {
    const keys = ops.map((o) => `${o.method} ${o.path}`);
    for (const expected of [
      "POST /api/v1/auth/login",
      "GET /api/v1/auth/me",
      "GET /api/v1/users",
      "DELETE /api/v1/users/{user_id}",
      "PUT /api/v1/settings",
      "GET /api/v1/audit",
      "GET /api/v1/system/info",
    ]) {
      expect(keys).toContain(expected);
    }
  });

  test("each route: no token, expired, foreign key, alg none, tampered, disabled user, non-admin", async () => {
    expect(ops.length).toBeGreaterThan(10);
    for (const op of ops) await checkOperation(t, op, sessions);
  });
});
