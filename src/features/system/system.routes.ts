/** Liveness, readiness and instance information. /health and /ready are outside /api/v1 and need no token. */
import { createRoute, z } from "@hono/zod-openapi";
import type { Config } from "../../core/config.ts";
import type { Database } from "../../db/connect.ts";
import { migrationsApplied } from "../../db/migrate.ts";
import { authed, publicRoute } from "../../http/guards.ts";
import { createRouter, jsonResponse, routesFor } from "../../http/openapi.ts";

/** The services these routes reach through `c.get("services")`. */
export interface SystemRouteServices {
  config: Config;
  database: Database;
  /** The job worker of this instance, when it runs one: /ready reports whether it is alive. */
  worker: { alive(): boolean } | undefined;
  /** True when the built-in simulated cluster is in use. */
  demoMode: boolean;
}

const HealthSchema = z.object({ status: z.literal("ok") }).openapi("Health");
const ReadySchema = z
  .object({
    status: z.enum(["ready", "not_ready"]),
    checks: z.object({ database: z.boolean(), migrations: z.boolean(), worker: z.boolean() }),
  })
  .openapi("Ready");
const InfoSchema = z
  .object({
    name: z.literal("Proximity"),
    version: z.string(),
    database: z.enum(["pglite", "postgresql"]),
    demo_mode: z.boolean(),
    public_url: z.string(),
    uptime_seconds: z.number(),
  })
  .openapi("SystemInfo");

const health = createRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  ...publicRoute,
  tags: ["system"],
  summary: "Liveness: the process answers (no database access)",
  responses: { 200: jsonResponse(HealthSchema, "Alive") },
});

const ready = createRoute({
  method: "get",
  path: "/ready",
  operationId: "getReadiness",
  ...publicRoute,
  tags: ["system"],
  summary: "Readiness: database reachable, migrations applied, job worker alive",
  responses: { 200: jsonResponse(ReadySchema, "Ready"), 503: jsonResponse(ReadySchema, "Not ready") },
});

const user = routesFor(authed, "system");

const info = user.get("/api/v1/system/info", {
  operationId: "getSystemInfo",
  summary: "Version and runtime facts",
  responses: { 200: jsonResponse(InfoSchema, "Info") },
});

const startedAt = Date.now();

export function systemRoutes() {
  return createRouter<SystemRouteServices>()
    .openapi(health, (c) => c.json({ status: "ok" as const }, 200))
    .openapi(ready, async (c) => {
      const { database, worker } = c.get("services");
      const db = await database.ping().then(
        () => true,
        () => false,
      );
      const migrations = db && (await migrationsApplied(database.db));
      const workerAlive = worker ? worker.alive() : true;
      const ok = db && migrations && workerAlive;
      return c.json(
        {
          status: ok ? ("ready" as const) : ("not_ready" as const),
          checks: { database: db, migrations, worker: workerAlive },
        },
        ok ? 200 : 503,
      );
    })
    .openapi(info, (c) => {
      const { config, database, demoMode } = c.get("services");
      return c.json(
        {
          name: "Proximity" as const,
          version: config.version,
          database: database.scheme,
          demo_mode: demoMode,
          public_url: config.PUBLIC_URL,
          uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
        },
        200,
      );
    });
}
