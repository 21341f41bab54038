/** /api/v1/catalog: browse the app catalog (any signed-in user) and reload it (admin). */
import { z } from "@hono/zod-openapi";
import type { Config } from "../../core/config.ts";
import { NotFoundError } from "../../core/errors.ts";
import { actorOf } from "../../http/context.ts";
import { adminOnly, authed } from "../../http/guards.ts";
import { createRouter, jsonResponse, routesFor } from "../../http/openapi.ts";
import { listSchema, PaginationQuery } from "../../http/paging.ts";
import { CATEGORY_IDS, type CatalogEntry, catalogEntryObjectSchema } from "./catalog.schemas.ts";
import type { CatalogService } from "./catalog.service.ts";
import { fileBytes } from "./entry-files.ts";

/** A catalog entry as the API returns it (the validated YAML, defaults applied). */

/** The services these routes reach through `c.get("services")`. */
export interface CatalogRouteServices {
  catalog: CatalogService;
  /** PUBLIC_URL: entries' `icon` is an absolute URL on this server. */
  config: Pick<Config, "PUBLIC_URL">;
}

export const CatalogEntrySchema = catalogEntryObjectSchema
  .extend({
    trust: z.enum(["verified", "community"]).openapi({
      description:
        "verified: built-in or the operator's own; community: imported from a third-party store, not checked by Proximity",
    }),
    source: z
      .string()
      .nullable()
      .openapi({ description: "The store a community entry was imported from (null when verified)" }),
    files: z
      .array(
        z.object({
          volume: z.string(),
          path: z.string(),
          bytes: z.number().int().openapi({ description: "The file's size" }),
        }),
      )
      .openapi({
        description:
          "Files the deploy writes into the app's named volumes before its first start (their content is not listed)",
      }),
  })
  .openapi("CatalogEntry");

/** A built-in id (`gitea`) or a store entry's namespaced id (`runtipi/vaultwarden`, written %2F in a path). */
export const CATALOG_ENTRY_ID_PATTERN =
  /^(?:[a-z0-9](?:[a-z0-9]|-(?!-)){0,28}[a-z0-9]\/)?[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])$/;

export const CatalogListSchema = listSchema(CatalogEntrySchema, "CatalogList");

export const CatalogCategorySchema = z
  .object({
    id: z.enum(CATEGORY_IDS),
    name: z.string().openapi({ example: "Home Automation" }),
    count: z.number().int().openapi({ description: "Apps in this category" }),
  })
  .openapi("CatalogCategory");

export const CatalogCategoryListSchema = z
  .object({ items: z.array(CatalogCategorySchema), total: z.number().int() })
  .openapi("CatalogCategoryList");

export const CatalogLoadReportSchema = z
  .object({
    loaded: z.number().int().openapi({ description: "Entries in the catalog after the reload" }),
    skipped: z
      .array(z.object({ file: z.string(), reason: z.string() }))
      .openapi({ description: "Invalid or unreadable files, with their first validation issue" }),
    overridden: z
      .array(z.string())
      .openapi({ description: "Built-in ids replaced by a file in $DATA_DIR/catalog" }),
  })
  .openapi("CatalogLoadReport");

export const CatalogListQuery = PaginationQuery.extend({
  q: z.string().max(200).optional().openapi({
    description: "Words matched (case-insensitively, all of them) in name, description and tags",
  }),
  category: z.enum(CATEGORY_IDS).optional(),
  source: z.string().max(40).optional().openapi({
    description: "A store's name (its entries only), or verified (built-in and operator entries only)",
  }),
});

export const CatalogIdParams = z.object({
  catalog_id: z
    .string()
    .max(80)
    .regex(CATALOG_ENTRY_ID_PATTERN, "catalog_id is not a valid catalog id")
    .openapi({ param: { name: "catalog_id", in: "path" }, example: "gitea" }),
});

const user = routesFor(authed, "catalog");
const admin = routesFor(adminOnly, "catalog");

export const listCatalogRoute = user.get("/catalog", {
  operationId: "listCatalogApps",
  summary: "List and search catalog apps",
  request: { query: CatalogListQuery },
  responses: { 200: jsonResponse(CatalogListSchema, "Catalog apps sorted by name") },
});

export const listCatalogCategoriesRoute = user.get("/catalog/categories", {
  operationId: "listCatalogCategories",
  summary: "Categories that have apps, with counts",
  responses: { 200: jsonResponse(CatalogCategoryListSchema, "Categories") },
});

export const getCatalogEntryRoute = user.get("/catalog/{catalog_id}", {
  operationId: "getCatalogApp",
  summary: "Get one catalog app",
  request: { params: CatalogIdParams },
  responses: { 200: jsonResponse(CatalogEntrySchema, "The catalog app") },
});

export const reloadCatalogRoute = admin.post("/catalog/reload", {
  operationId: "reloadCatalog",
  summary: "Reload the built-in catalog and $DATA_DIR/catalog",
  responses: { 200: jsonResponse(CatalogLoadReportSchema, "What was loaded and skipped") },
});

/**
 * An entry as the API returns it: `icon` points at the icon this server ships (no other origin), `trust` and
 * `source` say who vouches for it.
 */
function publicEntry(entry: CatalogEntry, catalog: CatalogService, publicUrl: string) {
  return {
    ...entry,
    icon: new URL(catalog.iconPath(entry.id), publicUrl).toString(),
    trust: catalog.trust(entry.id),
    source: catalog.storeOf(entry.id),
    files: entry.files.map((f) => ({ volume: f.volume, path: f.path, bytes: fileBytes(f).length })),
  };
}

/** The CatalogService from the request's services (see the wiring note at the top). */
export function catalogRoutes() {
  return createRouter<CatalogRouteServices>()
    .openapi(listCatalogRoute, (c) => {
      const { q, category, source, page, per_page } = c.req.valid("query");
      const { catalog, config } = c.get("services");
      const all = catalog.list({ q, category, source });
      const items = all
        .slice((page - 1) * per_page, page * per_page)
        .map((e) => publicEntry(e, catalog, config.PUBLIC_URL));
      return c.json({ items, total: all.length, page, per_page }, 200);
    })
    .openapi(listCatalogCategoriesRoute, (c) => {
      const items = c.get("services").catalog.categories();
      return c.json({ items, total: items.length }, 200);
    })
    .openapi(getCatalogEntryRoute, (c) => {
      const { catalog_id } = c.req.valid("param");
      const { catalog, config } = c.get("services");
      const found = catalog.get(catalog_id);
      const entry = found?.system ? undefined : found;
      if (!entry) throw new NotFoundError(`Catalog app '${catalog_id}'`);
      return c.json(publicEntry(entry, catalog, config.PUBLIC_URL), 200);
    })
    .openapi(reloadCatalogRoute, async (c) => {
      return c.json(await c.get("services").catalog.reload(actorOf(c)), 200);
    });
}
