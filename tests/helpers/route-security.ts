/**
 * The shared security harness: walks every operation in the generated OpenAPI document and checks the
 * common auth rules on each. A route that forgets its guard, or is missing from the document, fails here.
 */
import { expect } from "bun:test";
import { SignJWT } from "jose";
import { JWT_AUDIENCE, JWT_ISSUER } from "../../src/features/auth/tokens.ts";
import type { Session, TestApp } from "./harness.ts";

export interface Operation {
  method: string;
  path: string;
  secured: boolean;
  adminOnly: boolean;
}

/** Routes anyone may call. Everything else must declare bearer security. */
export const PUBLIC_ROUTES = new Set([
  "GET /health",
  "GET /ready",
  "POST /api/v1/auth/register",
  "POST /api/v1/auth/login",
  "POST /api/v1/auth/refresh",
  // The internal CA's root certificate: public by nature, fetched by phones that have no token.
  "GET /api/v1/access/ca.pem",
  // The sign-in gate's questions from the proxy: they answer only for a valid pass or one-time code.
  "GET /api/v1/access/gate/verify",
  "GET /api/v1/access/gate/callback",
]);

export async function documentedOperations(t: TestApp): Promise<Operation[]> {
  const doc = (await (await t.request("/api/v1/openapi.json")).json()) as {
    paths: Record<string, Record<string, { security?: unknown[]; "x-proximity-role"?: string }>>;
  };
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      ops.push({
        method: method.toUpperCase(),
        path,
        secured: Array.isArray(op.security) && op.security.length > 0,
        adminOnly: op["x-proximity-role"] === "admin",
      });
    }
  }
  return ops;
}

/** A concrete URL for a documented path: every {param} becomes a random UUID. */
export function concretePath(path: string): string {
  return path.replace(/\{[^}]+\}/g, () => crypto.randomUUID());
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

export async function badTokens(valid: string, userId: string): Promise<Record<string, string>> {
  const now = Math.floor(Date.now() / 1000);
  const claims = { username: "admin", role: "admin" };
  const otherKey = crypto.getRandomValues(new Uint8Array(32));
  const [, payload, signature] = valid.split(".");
  const decoded = JSON.parse(Buffer.from(payload!, "base64url").toString()) as Record<string, unknown>;
  return {
    expired: await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(userId)
      .setJti(crypto.randomUUID())
      .setIssuedAt(now - 3600)
      .setExpirationTime(now - 120)
      .setIssuer(JWT_ISSUER)
      .setAudience(JWT_AUDIENCE)
      .sign(new Uint8Array(32)),
    "signed with another key": await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(userId)
      .setJti(crypto.randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .setIssuer(JWT_ISSUER)
      .setAudience(JWT_AUDIENCE)
      .sign(otherKey),
    "alg none": `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ ...decoded, role: "admin" })}.`,
    "tampered payload": `${valid.split(".")[0]}.${b64url({ ...decoded, role: "admin", username: "admin" })}.${signature}`,
    "not a jwt": "hello",
  };
}

/** Runs the common checks on one operation. `user` is a non-admin; `disabled` a user who was disabled. */
export async function checkOperation(
  t: TestApp,
  op: Operation,
  sessions: { user: Session; disabled: Session },
): Promise<void> {
  const key = `${op.method} ${op.path}`;
  if (!op.secured) {
    expect(PUBLIC_ROUTES.has(key), `${key} is public but not in PUBLIC_ROUTES`).toBe(true);
    return;
  }
  const url = concretePath(op.path);
  const body = ["POST", "PUT", "PATCH"].includes(op.method) ? {} : undefined;
  const call = (token?: string) =>
    t.request(url, { method: op.method, ...(token ? { token } : {}), ...(body ? { json: body } : {}) });

  const anonymous = await call();
  expect(anonymous.status, `${key} without a token`).toBe(401);
  expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe("UNAUTHENTICATED");

  for (const [name, token] of Object.entries(await badTokens(sessions.user.token, sessions.user.id))) {
    const res = await call(token);
    expect(res.status, `${key} with a token ${name}`).toBe(401);
  }
  expect((await call(sessions.disabled.token)).status, `${key} as a disabled user`).toBe(401);
  if (op.adminOnly) {
    const res = await call(sessions.user.token);
    expect(res.status, `${key} as a non-admin`).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
  }
}
