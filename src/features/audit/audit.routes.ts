/** /api/v1/audit: the audit trail, for administrators. */
import { z } from "@hono/zod-openapi";
import { adminOnly } from "../../http/guards.ts";
import { createRouter, jsonResponse, listSchema, PaginationQuery, routesFor } from "../../http/openapi.ts";
import type { AuditService } from "./audit.service.ts";

/** The services these routes reach through `c.get("services")`. */
export interface AuditRouteServices {
  audit: AuditService;
}

const AuditEntrySchema = z
  .object({
    id: z.number().int(),
    at: z.string().datetime(),
    actor_id: z.string().nullable(),
    actor_username: z.string().nullable(),
    action: z.string(),
    target_type: z.string().nullable(),
    target_id: z.string().nullable(),
    ip: z.string().nullable(),
    outcome: z.enum(["success", "failure"]),
    details: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi("AuditEntry");

const AuditQuery = PaginationQuery.extend({
  actor: z.string().max(64).optional().openapi({ description: "username" }),
  action: z.string().max(64).optional().openapi({ example: "auth.login" }),
  target: z.string().max(128).optional().openapi({ description: "target id" }),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

const admin = routesFor(adminOnly, "audit");

const list = admin.get("/audit", {
  operationId: "listAuditEvents",
  summary: "Search the audit trail (newest first)",
  request: { query: AuditQuery },
  responses: { 200: jsonResponse(listSchema(AuditEntrySchema, "AuditList"), "Entries") },
});

export function auditRoutes() {
  return createRouter<AuditRouteServices>().openapi(list, async (c) => {
    const q = c.req.valid("query");
    const { items, total } = await c.get("services").audit.list({
      actor: q.actor,
      action: q.action,
      target: q.target,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      page: q.page,
      perPage: q.per_page,
    });
    return c.json(
      {
        items: items.map((e) => ({
          id: e.id,
          at: e.at.toISOString(),
          actor_id: e.actorId,
          actor_username: e.actorUsername,
          action: e.action,
          target_type: e.targetType,
          target_id: e.targetId,
          ip: e.ip,
          outcome: e.outcome,
          details: e.details ?? null,
        })),
        total,
        page: q.page,
        per_page: q.per_page,
      },
      200,
    );
  });
}
