/** The catalog routes in the real app (real auth, audit and catalog service). */
import { beforeAll, describe, expect, test } from "bun:test";
import { BUILTIN_CATALOG_FILES } from "../../../src/features/catalog/entries/index.ts";
import { appWithAdmin, auditTotal, createUser, type Session, type TestApp } from "../../helpers/harness.ts";

// System entries (the managed proxy) are never listed.
const total = Object.values(BUILTIN_CATALOG_FILES).filter((t) => !/^system: true$/m.test(t)).length;
let t: TestApp;
let admin: Session;
let user: Session;
const tokens: Record<string, string> = {};

async function get(path: string, token = "user-token") {
  const res = await t.request(path, { token: tokens[token] ?? token });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  ({ t, admin } = await appWithAdmin());
  user = await createUser(t, admin, "alice");
  tokens["user-token"] = user.token;
  tokens["admin-token"] = admin.token;
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
    const res = await t.request("/api/v1/catalog");
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
    const asUser = await t.request("/api/v1/catalog/reload", { method: "POST", token: user.token });
    expect(asUser.status).toBe(403);
    const res = await t.request("/api/v1/catalog/reload", { method: "POST", token: admin.token });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ loaded: total, skipped: [], overridden: [] });
    expect(await auditTotal(t, admin, "catalog.reload")).toBe(1);
  });
});

test("the OpenAPI document names CatalogEntry, the four routes and the sources'", async () => {
  const doc = (await (await t.request("/api/v1/openapi.json")).json()) as {
    paths: Record<string, unknown>;
    components: { schemas: Record<string, unknown> };
  };
  expect(
    Object.keys(doc.paths)
      .filter((p) => p.startsWith("/api/v1/catalog"))
      .sort(),
  ).toEqual([
    "/api/v1/catalog",
    "/api/v1/catalog/categories",
    "/api/v1/catalog/reload",
    "/api/v1/catalog/sources",
    "/api/v1/catalog/sources/{source_id}",
    "/api/v1/catalog/sources/{source_id}/refresh",
    "/api/v1/catalog/sources/{source_id}/report",
    "/api/v1/catalog/{catalog_id}",
  ]);
  expect(doc.components.schemas.CatalogEntry).toBeDefined();
});
