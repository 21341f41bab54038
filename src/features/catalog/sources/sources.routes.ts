/** /api/v1/catalog/sources (admin): third-party stores whose apps the catalog imports. */
import { z } from "@hono/zod-openapi";
import type { CatalogSourceRow } from "../../../db/schema.ts";
import { actorOf } from "../../../http/context.ts";
import { adminOnly } from "../../../http/guards.ts";
import { idParams, itemResponse, jsonResponse, routesFor } from "../../../http/openapi.ts";
import { resourceRoutes } from "../../../http/resource.ts";
import { REPORT_STATUSES } from "./report.ts";
import { SOURCE_NAME_PATTERN, type SourcesService } from "./sources.service.ts";

export interface SourcesRouteServices {
  sources: SourcesService;
}

const FORMATS = ["auto", "runtipi", "casaos", "umbrel"] as const;

export const CatalogSourceSchema = z
  .object({
    id: z.uuid(),
    name: z.string().openapi({
      example: "runtipi",
      description: "The namespace of its entries' ids (runtipi/vaultwarden)",
    }),
    url: z.string().openapi({ example: "https://github.com/runtipi/runtipi-appstore" }),
    requested_format: z.enum(FORMATS),
    format: z
      .enum(FORMATS)
      .openapi({ description: "The detected (or given) format of the last import; auto before it" }),
    status: z.enum(["importing", "ready", "failed"]),
    error: z
      .string()
      .nullable()
      .openapi({ description: "Why the last import failed (its previous entries stay)" }),
    imported: z.number().int(),
    refused: z.number().int(),
    fetched_at: z.string().nullable(),
  })
  .openapi("CatalogSource");

export const CreateSourceBody = z
  .object({
    name: z
      .string()
      .regex(SOURCE_NAME_PATTERN, "must be 2–30 characters of a-z, 0-9 and single '-'")
      .openapi({ example: "runtipi" }),
    url: z.string().min(1).max(2000).openapi({
      description:
        "A .tar.gz URL, a forge repository URL (GitHub, GitLab, Codeberg/Forgejo/Gitea) or an absolute directory path",
      example: "https://github.com/runtipi/runtipi-appstore",
    }),
    format: z.enum(FORMATS).default("auto"),
  })
  .strict()
  .openapi("CreateCatalogSource");

export const UpdateSourceBody = z
  .object({ url: CreateSourceBody.shape.url.optional(), format: z.enum(FORMATS).optional() })
  .strict()
  .openapi("UpdateCatalogSource");

const ReportEntrySchema = z.object({
  id: z.string().openapi({ example: "runtipi/vaultwarden" }),
  name: z.string(),
  status: z.enum(["imported", "refused"]),
  reasons: z
    .array(z.string())
    .openapi({ description: "Why it was refused; for an imported entry, what was changed on the way" }),
});

const RefusalGroupSchema = z
  .object({
    key: z
      .string()
      .openapi({ example: "a-host-path", description: "What `reason` takes to list these apps" }),
    label: z.string().openapi({ example: "a host path" }),
    count: z.number().int().openapi({ example: 11 }),
  })
  .openapi("CatalogSourceRefusalGroup");

const ReportSchema = z
  .object({
    entries: z.array(ReportEntrySchema).openapi({
      description:
        "The entries the filter keeps, sorted by id: all of them, or one page when `page` or `per_page` is given",
    }),
    total: z.number().int().openapi({ description: "How many entries the filter keeps, over every page" }),
    page: z.number().int().optional().openapi({ description: "The page shown (only when paged)" }),
    per_page: z.number().int().optional().openapi({ description: "Only when paged" }),
    refusals: z.array(RefusalGroupSchema).openapi({
      description:
        "Every refusal of the import grouped by its first reason (each refused app counts once), the biggest group first; independent of the filter",
    }),
  })
  .openapi("CatalogSourceReport");

const ReportQuerySchema = z.object({
  status: z.enum(REPORT_STATUSES).default("all").openapi({ description: "Which entries (default all)" }),
  reason: z
    .string()
    .regex(/^[a-z0-9-]{1,60}$/, "must be the key of a refusal group (a-z, 0-9 and '-')")
    .optional()
    .openapi({
      example: "a-host-path",
      description:
        "Only the refused entries of this group (a `refusals[].key`); an unknown key keeps none. Implies status refused",
    }),
  page: z.coerce.number().int().min(1).optional().openapi({ description: "Pages the answer (1-based)" }),
  per_page: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: "Pages the answer (default 25 when `page` is given)" }),
});

export function toPublicSource(row: CatalogSourceRow): z.infer<typeof CatalogSourceSchema> {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    requested_format: row.requestedFormat,
    format: row.format ?? row.requestedFormat,
    status: row.status,
    error: row.error,
    imported: row.imported,
    refused: row.refused,
    fetched_at: row.fetchedAt?.toISOString() ?? null,
  };
}

const Params = idParams("source_id");

const admin = routesFor(adminOnly, "catalog");

const refresh = admin.post("/catalog/sources/{source_id}/refresh", {
  operationId: "refreshCatalogSource",
  summary: "Import a store again now (its entries are replaced at once when it succeeds)",
  request: { params: Params },
  responses: { 202: itemResponse("source", CatalogSourceSchema, "Importing") },
  errors: [409],
});

const report = admin.get("/catalog/sources/{source_id}/report", {
  operationId: "getCatalogSourceReport",
  summary: "Every app of the last import: imported or refused, with the reasons",
  description:
    "Without a query, every entry (as before paging existed). `status` and `reason` filter, `page` and `per_page` page; `refusals` groups the refusals by reason whatever the filter.",
  request: { params: Params, query: ReportQuerySchema },
  responses: { 200: jsonResponse(ReportSchema, "The report") },
});

export function sourcesRoutes() {
  return resourceRoutes(admin, {
    path: "/catalog/sources",
    id: "source_id",
    item: "source",
    schema: CatalogSourceSchema,
    toPublic: toPublicSource,
    service: (s: SourcesRouteServices) => s.sources,
    list: {
      operationId: "listCatalogSources",
      summary: "Third-party stores the catalog imports",
      answer: "Sources",
      total: true,
      call: (sources) => sources.list(),
    },
    create: {
      operationId: "createCatalogSource",
      summary: "Add a store; its first import starts at once (status importing)",
      body: CreateSourceBody,
      status: 202,
      answer: "Added, importing",
      errors: [409],
      call: (sources, body, actor) => sources.create(body, actor),
    },
    get: {
      operationId: "getCatalogSource",
      summary: "One store and the state of its last import",
      answer: "The source",
      call: (sources, id) => sources.get(id),
    },
    update: {
      operationId: "updateCatalogSource",
      summary: "Change a store's URL or format, and import it again",
      body: UpdateSourceBody,
      status: 202,
      answer: "Changed, importing",
      errors: [409],
      call: (sources, id, body, actor) => sources.update(id, body, actor),
    },
    delete: {
      operationId: "deleteCatalogSource",
      summary: "Remove a store and its entries (apps installed from them keep running)",
      answer: "Removed",
      errors: [409],
      call: (sources, id, actor) => sources.delete(id, actor),
    },
  })
    .openapi(refresh, async (c) => {
      const row = await c.get("services").sources.refresh(c.req.valid("param").source_id, actorOf(c));
      return c.json({ source: toPublicSource(row) }, 202);
    })
    .openapi(report, async (c) => {
      const q = c.req.valid("query");
      const paged = q.page !== undefined || q.per_page !== undefined;
      const perPage = q.per_page ?? 25;
      const view = await c.get("services").sources.reportView(c.req.valid("param").source_id, {
        status: q.status,
        reason: q.reason,
        ...(paged ? { page: q.page ?? 1, perPage } : {}),
      });
      return c.json(
        {
          entries: view.entries,
          total: view.total,
          ...(paged ? { page: view.page, per_page: perPage } : {}),
          refusals: view.groups,
        },
        200,
      );
    });
}
