/**
 * createApp(services): the middleware chain and the routers. No I/O at import time, so tests build the
 * same app over PGlite or PostgreSQL and call it in-process or through Bun.serve.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { secureHeaders } from "hono/secure-headers";
import type { Config } from "../core/config.ts";
import { NotFoundError, PayloadTooLargeError } from "../core/errors.ts";
import { accessRoutes } from "../features/access/access.routes.ts";
import { appsRoutes } from "../features/apps/apps.routes.ts";
import { updatesRoutes } from "../features/apps/updates.routes.ts";
import { auditRoutes } from "../features/audit/audit.routes.ts";
import { authRoutes } from "../features/auth/auth.routes.ts";
import { backupsRoutes } from "../features/backups/backups.routes.ts";
import { catalogRoutes } from "../features/catalog/catalog.routes.ts";
import { sourcesRoutes } from "../features/catalog/sources/sources.routes.ts";
import { hostsRoutes } from "../features/hosts/hosts.routes.ts";
import { jobsRoutes } from "../features/jobs/jobs.routes.ts";
import { countRequests, metricsRoutes } from "../features/metrics/metrics.routes.ts";
import { notificationsRoutes } from "../features/notifications/notifications.routes.ts";
import { settingsRoutes } from "../features/settings/settings.routes.ts";
import { sentryRoutes } from "../features/system/sentry.routes.ts";
import { systemRoutes } from "../features/system/system.routes.ts";
import { usersRoutes } from "../features/users/users.routes.ts";
import { accessLog } from "../http/access-log.ts";
import type { HttpEnv } from "../http/context.ts";
import { drainBody } from "../http/drain.ts";
import { handleError } from "../http/error-handler.ts";
import { requestId } from "../http/request-id.ts";
import { rejectUnsafeText } from "../http/safe-text.ts";
import { instrumentApp } from "../observability/middleware.ts";
import { apiDocsPage } from "../web/api-docs.tsx";
import { webRoutes } from "../web/app.tsx";
import { browserNotFound } from "../web/kit/index.ts";
import type { Services } from "./container.ts";

/** The whole app: every router's services are a subset of the container. */
export type AppEnv = HttpEnv<Services>;
export type App = OpenAPIHono<AppEnv>;

/** The tags operations are grouped by, in the order the API reference shows them. */
const TAGS = [
  { name: "auth", description: "Accounts, sign-in and tokens" },
  { name: "users", description: "User management (administrators)" },
  { name: "settings", description: "Instance settings: network, storage and defaults for new apps" },
  {
    name: "access",
    description: "HTTPS names for apps through the managed reverse proxy: domain, certificates, exposure",
  },
  { name: "audit", description: "The audit trail of who did what" },
  { name: "hosts", description: "Proxmox hosts and their nodes" },
  { name: "catalog", description: "The app catalog" },
  { name: "apps", description: "Deployed apps: deploy, change, start/stop, clone, delete, logs and events" },
  { name: "backups", description: "Backups, restores and backup schedules of apps" },
  {
    name: "notifications",
    description:
      "Notification channels (webhook, ntfy, Gotify, email) and subscriptions to your apps' events",
  },
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
    // Before the catalog's /catalog/{catalog_id}, which "sources" would otherwise match.
    .route("/", sourcesRoutes())
    .route("/", catalogRoutes())
    .route("/", appsRoutes())
    .route("/", updatesRoutes())
    .route("/", notificationsRoutes())
    .route("/", backupsRoutes())
    .route("/", accessRoutes());
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
  // Not async: no extra frame per request. The client address is worked out only when something asks for
  // it (clientIpOf).
  app.use((c, next) => {
    c.set("services", services);
    c.set("trustProxy", config.TRUST_PROXY);
    return next();
  });
  app.use(countRequests);
  // Bodies beyond MAX_BODY_BYTES are refused before they are read (declared length) or as soon as the
  // stream passes the limit (chunked), in the standard error shape. Bun.serve's own cap sits above this
  // one as a backstop (src/boot/server.ts).
  app.use(
    bodyLimit({
      maxSize: config.MAX_BODY_BYTES,
      onError: async (c) => {
        // The client reads our answer only once it has sent its body (http/drain.ts).
        await drainBody(c.req.raw);
        c.header("Connection", "close");
        return handleError(new PayloadTooLargeError(config.MAX_BODY_BYTES), c);
      },
    }),
  );
  // NUL and unpaired surrogates: a 422 naming the field, never a database error (http/safe-text.ts).
  app.use(rejectUnsafeText);
  const documentHeaders = secureHeaders({
    // Nothing on any page comes from another origin, and nothing runs inline: the web UI's scripts and
    // styles are files under /assets, its icons are generated SVGs, and the API reference is rendered on
    // the server (src/web/api-docs.tsx).
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      // data: only for images: Pico CSS draws its select chevrons and checkmarks as data: SVGs.
      imgSrc: ["'self'", "data:"],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      baseUri: ["'self'"],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
    },
    // Browsers send `Origin: null` on form posts under no-referrer; same-origin keeps the real Origin for
    // our own forms (the CSRF check needs it) and still sends nothing to other sites.
    referrerPolicy: "same-origin",
    strictTransportSecurity: config.PUBLIC_URL.startsWith("https:")
      ? "max-age=31536000; includeSubDomains"
      : false,
  });
  // Static files (styles, scripts, icons) are not documents: framing, opener, referrer and the legacy
  // X-* headers say nothing for them, and on HTTP/1.1 they cost ~500 bytes on each of the catalog's dozens
  // of icons. They keep nosniff, same-origin resource policy, HSTS, and a CSP that forbids everything
  // should an SVG be opened on its own.
  const assetHeaders = secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    crossOriginOpenerPolicy: false,
    crossOriginEmbedderPolicy: false,
    originAgentCluster: false,
    referrerPolicy: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xFrameOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    strictTransportSecurity: config.PUBLIC_URL.startsWith("https:")
      ? "max-age=31536000; includeSubDomains"
      : false,
  });
  app.use((c, next) =>
    c.req.method === "GET" && c.req.path.startsWith("/assets/")
      ? assetHeaders(c, next)
      : documentHeaders(c, next),
  );
  // API answers are per caller, and some carry tokens or credentials: no cache keeps them.
  app.use("/api/*", async (c, next) => {
    await next();
    if (!c.res.headers.has("cache-control")) c.header("Cache-Control", "no-store");
  });
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
  // The API reference, rendered on the server from the same document (no script from anywhere).
  app.get("/api/v1/docs", (c) => apiDocsPage(c, app.getOpenAPI31Document(documentHeader(config))));
  // The web interface: pages, fragments and assets (after the API, whose paths it never claims).
  app.route("/", webRoutes());

  app.notFound(
    (c) => browserNotFound(c) ?? handleError(new NotFoundError(`Route ${c.req.method} ${c.req.path}`), c),
  );
  app.onError(handleError);
  return app;
}
