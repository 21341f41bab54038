/** /api/v1/audit: the audit trail, for administrators. */
import { z } from "@hono/zod-openapi";
import type { AuditEntry } from "../../db/schema.ts";
import { adminOnly } from "../../http/guards.ts";
import { createRouter, jsonResponse, routesFor } from "../../http/openapi.ts";
import { listSchema, PaginationQuery, pageOf } from "../../http/paging.ts";
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

function toAuditEntry(e: AuditEntry): z.infer<typeof AuditEntrySchema> {
  return {
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
  };
}

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
    const found = await c.get("services").audit.list({
      actor: q.actor,
      action: q.action,
      target: q.target,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      page: q.page,
      perPage: q.per_page,
    });
    return c.json(pageOf(q, found, toAuditEntry), 200);
  });
}
