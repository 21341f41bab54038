import { beforeEach, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { createTestApp, errorOf, setupAdmin, type TestApp } from "../../helpers/harness.ts";
import { captureLogs } from "../../helpers/logs.ts";

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp({ CORS_ORIGINS: "https://ui.example.com" });
});

describe("system routes", () => {
  test("health answers without auth", async () => {
    const res = await t.request("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  test("ready reports database, migrations and worker", async () => {
    const res = await t.request("/ready");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: "ready",
      checks: { database: true, migrations: true, worker: true },
    });
  });

  test("ready is 503 when a migration is missing", async () => {
    const { db } = t.services.database;
    await db.execute(sql`delete from proximity_migrations`);
    try {
      const res = await t.request("/ready");
      expect(res.status).toBe(503);
      expect(((await res.json()) as { checks: { migrations: boolean } }).checks.migrations).toBe(false);
    } finally {
      const { migrations } = await import("../../../src/db/migrations.ts");
      for (const m of migrations) {
        const hash = new Bun.CryptoHasher("sha256").update(m.sql).digest("hex");
        await db.execute(sql`insert into proximity_migrations (tag, hash) values (${m.tag}, ${hash})`);
      }
    }
  });

  test("system info needs a token and tells version and database", async () => {
    expect((await t.request("/api/v1/system/info")).status).toBe(401);
    const admin = await setupAdmin(t);
    const res = await t.request("/api/v1/system/info", { token: admin.token });
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ name: "Proximity", version: "0.1.0", demo_mode: false });
    expect(["pglite", "postgresql"]).toContain(body.database as string);
  });

  test("the OpenAPI 3.1 document documents errors and bearer security on every secured route", async () => {
    const doc = (await (await t.request("/api/v1/openapi.json")).json()) as {
      openapi: string;
      components: { securitySchemes: Record<string, { scheme: string }>; schemas: Record<string, unknown> };
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.securitySchemes.bearer!.scheme).toBe("bearer");
    expect(doc.components.schemas.Error).toBeDefined();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (path === "/health" || path === "/ready") continue;
        expect(Object.keys(op.responses), `${method} ${path}`).toContain("500");
        // Public routes declare `security: []`; secured ones list the bearer scheme.
        if (Array.isArray(op.security) && op.security.length > 0)
          expect(Object.keys(op.responses), `${method} ${path}`).toContain("401");
      }
    }
  });

  test("the API reference page is served", async () => {
    const res = await t.request("/api/v1/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain("/api/v1/openapi.json");
  });
});

describe("HTTP conventions", () => {
  test("unknown routes are 404 in the error shape with the request id", async () => {
    const res = await t.request("/api/v1/nope", { headers: { "x-request-id": "req-12345678" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-request-id")).toBe("req-12345678");
    expect(await res.json()).toEqual({
      error: { code: "NOT_FOUND", message: "Route GET /api/v1/nope not found", request_id: "req-12345678" },
    });
  });

  test("an unsafe incoming request id is replaced", async () => {
    const res = await t.request("/health", { headers: { "x-request-id": "bad id <script>" } });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("an internal error answers INTERNAL without stack or SQL", async () => {
    const fresh = await createTestApp();
    fresh.app.get("/api/v1/boom", () => {
      throw new Error('relation "users" does not exist at SELECT password_hash FROM users');
    });
    const logs = captureLogs("error");
    try {
      const res = await fresh.request("/api/v1/boom", { headers: { "x-request-id": "req-boom-0001" } });
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(JSON.parse(text).error.code).toBe("INTERNAL");
      expect(text).not.toContain("SELECT");
      expect(text).not.toContain("password_hash");
      expect(text).not.toContain(".ts:");
      // The operator gets the whole error, under the request id the client was given.
      const [line] = logs.entries();
      expect(line).toMatchObject({ level: "error", request_id: "req-boom-0001" });
      expect((line!.err as { message: string; stack: string }).message).toContain("SELECT password_hash");
      expect((line!.err as { stack: string }).stack).toContain(".ts:");
    } finally {
      logs.restore();
    }
  });

  test("security headers are set", async () => {
    const res = await t.request("/health");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    // same-origin: our own form posts keep their Origin (CSRF check); other sites get no referrer.
    expect(res.headers.get("referrer-policy")).toBe("same-origin");
    // Nothing may load from another origin or run inline.
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toMatch(/https:|unsafe-inline|unsafe-eval/);
    // Pico's select chevrons are data: SVG images: data: is allowed for images and nowhere else.
    const directives = new Map(
      csp.split(";").map((d) => {
        const [name = "", ...values] = d.trim().split(/\s+/);
        return [name, values] as const;
      }),
    );
    expect(directives.get("img-src")).toEqual(["'self'", "data:"]);
    for (const [name, values] of directives) if (name !== "img-src") expect(values).not.toContain("data:");
  });

  test("CORS allows listed origins with credentials and nothing else", async () => {
    const pre = (origin: string) =>
      t.request("/api/v1/auth/login", {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST" },
      });
    const ok = await pre("https://ui.example.com");
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://ui.example.com");
    expect(ok.headers.get("access-control-allow-credentials")).toBe("true");
    const evil = await pre("https://evil.example.com");
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("a wrong content type is a validation error", async () => {
    const res = await t.app.request("/api/v1/auth/login", { method: "POST", body: "username=a&password=b" });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).code).toBe("VALIDATION_FAILED");
  });
});
