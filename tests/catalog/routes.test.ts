/**
 * The catalog routes, mounted on a bare router with stand-in auth and audit services (the real app wiring
 * lives in createApp; this checks the handlers, validation and the OpenAPI definitions on their own).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { OpenAPIHono } from "@hono/zod-openapi";
import { BUILTIN_CATALOG_FILES } from "../../src/catalog/apps/index.ts";
import { catalogRoutes } from "../../src/catalog/catalog.routes.ts";
import { CatalogService } from "../../src/catalog/catalog.service.ts";
import { UnauthenticatedError } from "../../src/errors.ts";
import type { AppEnv, AuthUser } from "../../src/http/context.ts";
import { handleError } from "../../src/http/error-handler.ts";
import type { Services } from "../../src/services.ts";

const USERS: Record<string, AuthUser> = {
  "user-token": { id: "u1", username: "alice", email: null, role: "user" },
  "admin-token": { id: "a1", username: "root", email: null, role: "admin" },
};
const audited: unknown[] = [];

function buildApp(catalog: CatalogService | undefined) {
  const services = {
    auth: {
      authenticate: async (token: string) => {
        const user = USERS[token];
        if (!user) throw new UnauthenticatedError("bad token");
        return user;
      },
    },
    audit: { record: async (entry: unknown) => void audited.push(entry) },
    catalog,
  } as unknown as Services;
  const app = new OpenAPIHono<AppEnv>();
  app.use(async (c, next) => {
    c.set("requestId", "test-request");
    c.set("clientIp", "127.0.0.1");
    c.set("services", services);
    await next();
  });
  app.route("/api/v1", catalogRoutes());
  app.onError(handleError);
  return app;
}

const total = Object.keys(BUILTIN_CATALOG_FILES).length;
let app: ReturnType<typeof buildApp>;

async function get(path: string, token = "user-token") {
  const res = await app.request(path, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  const catalog = new CatalogService({ log: () => {} });
  await catalog.load();
  app = buildApp(catalog);
});

describe("GET /api/v1/catalog", () => {
  test("lists with pagination", async () => {
    const { status, body } = await get("/api/v1/catalog?per_page=100");
    expect(status).toBe(200);
    expect(body.total).toBe(total);
    expect((body.items as unknown[]).length).toBe(total);
    expect(body.page).toBe(1);
    const page2 = await get("/api/v1/catalog?per_page=10&page=2");
    expect((page2.body.items as unknown[]).length).toBe(10);
    expect(page2.body.total).toBe(total);
  });

  test("searches and filters", async () => {
    const { body } = await get("/api/v1/catalog?q=paperless&category=productivity");
    expect((body.items as { id: string }[]).map((e) => e.id)).toEqual(["paperless-ngx"]);
  });

  test("an unknown category is a 422 naming the field", async () => {
    const { status, body } = await get("/api/v1/catalog?category=games");
    expect(status).toBe(422);
    const error = body.error as { code: string; details: { field: string }[] };
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.details[0]!.field).toBe("query.category");
  });

  test("requires a signed-in user", async () => {
    const res = await app.request("/api/v1/catalog");
    expect(res.status).toBe(401);
  });
});

describe("GET /api/v1/catalog/categories and /{catalog_id}", () => {
  test("categories with counts", async () => {
    const { status, body } = await get("/api/v1/catalog/categories");
    expect(status).toBe(200);
    const items = body.items as { id: string; name: string; count: number }[];
    expect(items.reduce((n, c) => n + c.count, 0)).toBe(total);
    expect(body.total).toBe(items.length);
  });

  test("one entry", async () => {
    const { status, body } = await get("/api/v1/catalog/gitea");
    expect(status).toBe(200);
    expect(body.id).toBe("gitea");
    expect(body.compose).toBeString();
  });

  test("unknown id → 404, malformed id → 422", async () => {
    const missing = await get("/api/v1/catalog/does-not-exist");
    expect(missing.status).toBe(404);
    expect((missing.body.error as { message: string }).message).toBe(
      "Catalog app 'does-not-exist' not found",
    );
    expect((await get("/api/v1/catalog/Bad_Id")).status).toBe(422);
  });
});

describe("POST /api/v1/catalog/reload", () => {
  test("admin only; returns the load report and audits it", async () => {
    const asUser = await app.request("/api/v1/catalog/reload", {
      method: "POST",
      headers: { authorization: "Bearer user-token" },
    });
    expect(asUser.status).toBe(403);
    const res = await app.request("/api/v1/catalog/reload", {
      method: "POST",
      headers: { authorization: "Bearer admin-token" },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ loaded: total, skipped: [], overridden: [] });
    expect(audited).toContainEqual(expect.objectContaining({ action: "catalog.reload" }));
  });

  test("a missing catalog service is an INTERNAL error, not a crash", async () => {
    const bare = buildApp(undefined);
    const res = await bare.request("/api/v1/catalog", { headers: { authorization: "Bearer user-token" } });
    expect(res.status).toBe(500);
  });
});

test("the OpenAPI document names CatalogEntry and the four routes", () => {
  const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
  expect(Object.keys(doc.paths ?? {}).sort()).toEqual([
    "/api/v1/catalog",
    "/api/v1/catalog/categories",
    "/api/v1/catalog/reload",
    "/api/v1/catalog/{catalog_id}",
  ]);
  expect(doc.components?.schemas?.CatalogEntry).toBeDefined();
});
