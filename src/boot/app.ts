/**
 * createApp(services): the middleware chain and the routers. No I/O at import time, so tests build the
 * same app over PGlite or PostgreSQL and call it in-process or through Bun.serve.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import type { Config } from "../core/config.ts";
import { NotFoundError } from "../core/errors.ts";
import { appsRoutes } from "../features/apps/apps.routes.ts";
import { auditRoutes } from "../features/audit/audit.routes.ts";
import { authRoutes } from "../features/auth/auth.routes.ts";
import { backupsRoutes } from "../features/backups/backups.routes.ts";
import { catalogRoutes } from "../features/catalog/catalog.routes.ts";
import { hostsRoutes } from "../features/hosts/hosts.routes.ts";
import { jobsRoutes } from "../features/jobs/jobs.routes.ts";
import { countRequests, metricsRoutes } from "../features/metrics/metrics.routes.ts";
import { settingsRoutes } from "../features/settings/settings.routes.ts";
import { sentryRoutes } from "../features/system/sentry.routes.ts";
import { systemRoutes } from "../features/system/system.routes.ts";
import { usersRoutes } from "../features/users/users.routes.ts";
import { accessLog } from "../http/access-log.ts";
import { clientIp } from "../http/client-ip.ts";
import type { HttpEnv } from "../http/context.ts";
import { handleError } from "../http/error-handler.ts";
import { requestId } from "../http/request-id.ts";
import { instrumentApp } from "../observability/middleware.ts";
import type { Services } from "./container.ts";

/** The whole app: every router's services are a subset of the container. */
export type AppEnv = HttpEnv<Services>;
export type App = OpenAPIHono<AppEnv>;

/** The tags operations are grouped by, in the order the API reference shows them. */
const TAGS = [
  { name: "auth", description: "Accounts, sign-in and tokens" },
  { name: "users", description: "User management (administrators)" },
  { name: "settings", description: "Instance settings: network, storage and defaults for new apps" },
  { name: "audit", description: "The audit trail of who did what" },
  { name: "hosts", description: "Proxmox hosts and their nodes" },
  { name: "catalog", description: "The app catalog" },
  { name: "apps", description: "Deployed apps: deploy, change, start/stop, clone, delete, logs and events" },
  { name: "backups", description: "Backups, restores and backup schedules of apps" },
  { name: "jobs", description: "Background jobs (deploys, backups …) and their progress" },
  { name: "system", description: "Health, readiness, instance facts, metrics and error monitoring" },
];

/** Every router, mounted after the middleware; routers need no services to be described. */
function mountRoutes(app: App): void {
  app.route("/", systemRoutes());
  app.route("/", metricsRoutes());
  app.route("/", sentryRoutes());
  const api = new OpenAPIHono<AppEnv>()
    .route("/", authRoutes())
    .route("/", usersRoutes())
    .route("/", settingsRoutes())
    .route("/", auditRoutes())
    .route("/", hostsRoutes())
    .route("/", jobsRoutes())
    .route("/", catalogRoutes())
    .route("/", appsRoutes())
    .route("/", backupsRoutes());
  app.route("/api/v1", api);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "The access_token from POST /api/v1/auth/login",
  });
}

function documentHeader(config: Pick<Config, "version" | "PUBLIC_URL">) {
  return {
    openapi: "3.1.0",
    info: {
      title: "Proximity API",
      version: config.version,
      description: "A self-hosted app store for Proxmox VE. Errors always use the Error schema.",
    },
    servers: [{ url: config.PUBLIC_URL }],
    tags: TAGS,
  };
}

/**
 * The document GET /api/v1/openapi.json serves, built without services or a database, so
 * scripts/lint-openapi.ts can lint the real contract in a second.
 */
export function openApiDocument(config: Pick<Config, "version" | "PUBLIC_URL">) {
  const app: App = new OpenAPIHono<AppEnv>();
  mountRoutes(app);
  return app.getOpenAPI31Document(documentHeader(config));
}

export function createApp(services: Services): App {
  const app = new OpenAPIHono<AppEnv>();
  const { config } = services;

  // First: the Sentry layer (request scope, route-named transactions, capture of 5xx). No-op without a DSN.
  instrumentApp(app, { databaseScheme: services.database.scheme });
  app.use(requestId);
  app.use(accessLog);
  app.use(async (c, next) => {
    c.set("services", services);
    c.set("clientIp", clientIp(c, config.TRUST_PROXY));
    await next();
  });
  app.use(countRequests);
  app.use(
    secureHeaders({
      // The API reference page loads its script from a CDN; everything else is JSON.
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'", "https://cdn.jsdelivr.net"],
        styleSrc: ["'self'", "'unsafe-inline'", "https://cdn.jsdelivr.net", "https://fonts.googleapis.com"],
        fontSrc: ["'self'", "https://fonts.gstatic.com", "https://cdn.jsdelivr.net"],
        imgSrc: ["'self'", "data:", "https:"],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
      },
      strictTransportSecurity: config.PUBLIC_URL.startsWith("https:")
        ? "max-age=31536000; includeSubDomains"
        : false,
    }),
  );
  app.use(
    "/api/*",
    cors({
      origin: (origin) => (config.CORS_ORIGINS.includes(origin) ? origin : null),
      credentials: true,
      allowHeaders: ["authorization", "content-type", "x-request-id", "x-csrf-token"],
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
      exposeHeaders: ["x-request-id", "retry-after"],
      maxAge: 600,
    }),
  );

  mountRoutes(app);
  app.doc31("/api/v1/openapi.json", documentHeader(config));
  app.get("/api/v1/docs", Scalar({ url: "/api/v1/openapi.json", pageTitle: "Proximity API" }));

  app.notFound((c) => handleError(new NotFoundError(`Route ${c.req.method} ${c.req.path}`), c));
  app.onError(handleError);
  return app;
}
