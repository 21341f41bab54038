/**
 * The web interface: server-rendered pages over the same services as the JSON API, mounted at `/` by
 * createApp. The pages are split by area (WEB_AREAS), each a router with its pages beside it and one guard
 * for the whole group; the web helpers (page shell, forms, toasts, guards, errors) are in kit/. How to add
 * a page: docs/architecture.md, "How to add a web page".
 *
 * Every page path goes through, in order: the Host check (only our own names: no DNS rebinding), the
 * session and CSRF middleware (session.ts), `Cache-Control: no-store` (pages are per user), compression,
 * then the area's guard and handler. Errors become a toast (htmx) or an error page (kit/errors.tsx).
 */
import { Hono } from "hono";
import { compress } from "hono/compress";
import { NotFoundError } from "../core/errors.ts";
import { accessGateRoutes } from "./access/routes.tsx";
import { accountRoutes } from "./account/routes.tsx";
import { auditRoutes } from "./admin/audit/routes.tsx";
import { hostsRoutes } from "./admin/hosts/routes.tsx";
import { notificationsRoutes } from "./admin/notifications/routes.tsx";
import { settingsRoutes } from "./admin/settings/routes.tsx";
import { storesRoutes } from "./admin/stores/routes.tsx";
import { usersRoutes } from "./admin/users/routes.tsx";
import { appsRoutes } from "./apps/routes.tsx";
import { assetByUrl, assetResponse, binaryAsset } from "./assets.ts";
import { authRoutes } from "./auth/routes.tsx";
import { backupsRoutes } from "./backups/routes.tsx";
import { catalogRoutes } from "./catalog/routes.tsx";
import type { WebEnv } from "./context.ts";
import { knownHost } from "./host-check.ts";
import { errorPage, GUARDS, LOGO_URL, logoAsset, type WebAccess, wantsPage } from "./kit/index.ts";
import { webSession } from "./session.ts";

/** One area of the interface: where it is mounted, who may use it, and its routes. */
export interface WebArea {
  base: string;
  access: WebAccess;
  routes: () => Hono<WebEnv>;
}

/** Every page and fragment of the interface, by area. A new area is one line here. */
export const WEB_AREAS: readonly WebArea[] = [
  { base: "/", access: "public", routes: authRoutes },
  { base: "/catalog", access: "signed-in", routes: catalogRoutes },
  { base: "/apps", access: "signed-in", routes: appsRoutes },
  { base: "/apps", access: "signed-in", routes: backupsRoutes },
  { base: "/account", access: "signed-in", routes: accountRoutes },
  { base: "/access", access: "signed-in", routes: accessGateRoutes },
  { base: "/hosts", access: "admin", routes: hostsRoutes },
  { base: "/users", access: "admin", routes: usersRoutes },
  { base: "/stores", access: "admin", routes: storesRoutes },
  { base: "/notifications", access: "admin", routes: notificationsRoutes },
  { base: "/settings", access: "admin", routes: settingsRoutes },
  { base: "/audit", access: "admin", routes: auditRoutes },
];

export interface WebRoute {
  method: string;
  path: string;
  access: WebAccess;
}

function join(base: string, path: string): string {
  const joined = `${base === "/" ? "" : base}${path === "/" ? "" : path}`;
  return joined === "" ? "/" : joined;
}

/** Every route of every area with its access: what the route walk (tests/db/web/routes.test.ts) checks. */
export function webRouteTable(): WebRoute[] {
  return WEB_AREAS.flatMap((area) =>
    area
      .routes()
      .routes.filter((r) => r.method !== "ALL")
      .map((r) => ({ method: r.method, path: join(area.base, r.path), access: area.access })),
  );
}

/** The first path segments the areas use ("", "setup", "catalog", …): the paths the web middleware claims. */
function pagePattern(): RegExp {
  const segments = new Set(webRouteTable().map((r) => r.path.split("/")[1] ?? ""));
  const alternatives = [...segments].map((s) => s.replace(/[^a-z0-9-]/g, "")).join("|");
  return new RegExp(`^/(${alternatives})(/|$)`);
}

export function webRoutes() {
  const web = new Hono<WebEnv>();
  web.onError((err, c) => errorPage(c, err));
  const pages = pagePattern();
  const isPage = (path: string, c: Parameters<typeof wantsPage>[0]) => pages.test(path) || wantsPage(c);

  // Embedded files and icons: no session needed.
  web.get("/assets/icons/:file{[a-z0-9-]+\\.[a-f0-9]{10}\\.(?:svg|png|jpg)}", (c) => {
    const [id, hash, ext] = c.req.param("file").split(".") as [string, string, string];
    const icon = c.get("services").catalog.icon(id);
    if (icon.hash !== hash || icon.ext !== ext) throw new NotFoundError("Icon");
    return assetResponse(binaryAsset(icon.type, icon.body, icon.hash), c.req.raw);
  });
  web.get(LOGO_URL, (c) => assetResponse(logoAsset(), c.req.raw));
  web.get("/assets/:file", (c) => {
    const asset = assetByUrl(c.req.path);
    if (!asset) throw new NotFoundError("Asset");
    return assetResponse(asset, c.req.raw);
  });

  // Only the pages' paths: the JSON API (bearer tokens, no cookies) and /metrics are left alone.
  web.use("*", (c, next) => (isPage(c.req.path, c) ? knownHost(c, next) : next()));
  web.use("*", (c, next) => (isPage(c.req.path, c) ? webSession(c, next) : next()));
  web.use("*", async (c, next) => {
    // Pages, fragments and streams are per user (and some show credentials): never kept by a cache. Set
    // before the handler, so that the response it builds carries it; set after only when the handler
    // replaced it or built its response by hand (a header set on a finished response copies the response).
    const page = isPage(c.req.path, c);
    if (page) c.header("Cache-Control", "no-store");
    await next();
    if (page && c.res.headers.get("cache-control") !== "no-store") c.header("Cache-Control", "no-store");
  });
  // Pages and fragments are compressed (assets are already); event streams are not, so each message
  // reaches the browser when it is written.
  const gzip = compress({ encoding: "gzip" });
  web.use("*", (c, next) =>
    isPage(c.req.path, c) && !c.req.path.endsWith("/live") ? gzip(c, next) : next(),
  );

  for (const area of WEB_AREAS) {
    const group = new Hono<WebEnv>();
    const guard = GUARDS[area.access];
    if (guard) group.use(guard);
    group.route("/", area.routes());
    web.route(area.base, group);
  }
  return web;
}
