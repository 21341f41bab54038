/**
 * The web interface: server-rendered pages over the same services as the JSON API, mounted at `/` by
 * createApp. htmx requests get fragments; state changes need the session cookie, our origin and the CSRF
 * token (session.ts). Errors become a toast with the message and request id (htmx) or an error page.
 */

import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { Hono } from "hono";
import { compress } from "hono/compress";
import { AppError, NotFoundError, UnauthenticatedError, ValidationError } from "../core/errors.ts";
import type { ClientActor, UserActor } from "../core/identity.ts";
import type { Application } from "../db/schema.ts";
import { DeployBody } from "../features/apps/apps.schemas.ts";
import { ociLogsUnavailable } from "../features/apps/containers.service.ts";
import type { CatalogEntry } from "../features/catalog/catalog.schemas.ts";
import { PasswordSchema, UsernameSchema } from "../features/users/users.schemas.ts";
import { clientIpOf, clientOf } from "../http/context.ts";
import { toAppError } from "../http/error-handler.ts";
import { zodDetails } from "../http/openapi.ts";
import { eventStream } from "../http/sse.ts";
import type { ProximityEvent } from "../queue/events.ts";
import { adminRoutes } from "./admin.tsx";
import { assetByUrl, assetResponse, binaryAsset } from "./assets.ts";
import type { WebEnv } from "./context.ts";
import {
  BackupList,
  BackupsSection,
  Chart,
  ChartsSection,
  Credentials,
  LogsSection,
  ManageSection,
} from "./pages/app-sections.tsx";
import {
  AppCard,
  AppDetails,
  AppHeader,
  AppPage,
  Dashboard,
  type LogLine,
  ProgressPanel,
} from "./pages/apps.tsx";
import { LoginPage, SetupPage } from "./pages/auth.tsx";
import { CatalogPage, CatalogResults, EntryPage, InstallForm, type InstallValues } from "./pages/catalog.tsx";
import { clearSessionCookie, setSessionCookie, webSession } from "./session.ts";
import { Layout, type PageContext, render, ToastPartial } from "./ui.tsx";

type C = Context<WebEnv>;

const WEB_PATHS = /^\/(|setup|login|logout|catalog|apps|hosts|users|settings|audit|account)(\/|$)/;

function page(c: C, active?: string): PageContext {
  return { viewer: c.get("viewer"), csrf: c.get("csrfToken"), theme: c.get("theme"), active };
}

/**
 * A browser asking for a page (GET/HEAD, accepts HTML) at a path that is not the API's: an unknown path
 * gets the HTML "page not found" in the layout instead of the API's JSON error.
 */
function wantsPage(c: C): boolean {
  return (
    (c.req.method === "GET" || c.req.method === "HEAD") &&
    !c.req.path.startsWith("/api/") &&
    (c.req.header("accept") ?? "").includes("text/html")
  );
}

function isHtmx(c: C): boolean {
  return c.req.header("hx-request") === "true";
}

/** After a form: htmx follows HX-Redirect; a plain form gets a 303. */
function redirect(c: C, to: string): Response {
  if (isHtmx(c)) {
    c.header("HX-Redirect", to);
    return c.body(null, 204);
  }
  return c.redirect(to, 303);
}

function viewer(c: C) {
  const v = c.get("viewer");
  if (!v) throw new UnauthenticatedError("Sign in to continue");
  return v;
}

function requester(c: C): UserActor {
  return { user: viewer(c), ip: clientIpOf(c) };
}

function client(c: C): ClientActor {
  return clientOf(c);
}

async function form(c: C): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
  return out;
}

function toast(c: C, message: string, status = 200): Response | Promise<Response> {
  return c.html(<ToastPartial message={message} ok />, status as 200);
}

async function userCount(c: C): Promise<number> {
  return (await c.get("services").users.list(1, 1)).total;
}

/** Validation details keyed by form field (API field names → the form's). */
function fieldErrors(err: ValidationError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of err.details ?? []) {
    const field = d.field
      .replace(/^resources\./, "")
      .replace(/^environment\./, "env.")
      .replace(/^catalog_id$/, "form");
    out[field] ??= d.message;
  }
  if (Object.keys(out).length === 0) out.form = err.message;
  return out;
}

// ------------------------------------------------------------------------------------------------------
// Errors

function errorPage(c: C, err: AppError): Response | Promise<Response> {
  const requestId = c.get("requestId");
  if (isHtmx(c)) {
    if (err.code === "UNAUTHENTICATED") {
      c.header("HX-Redirect", "/login");
      return c.body(null, 204);
    }
    return c.html(<ToastPartial message={err.message} requestId={requestId} />, err.status as 400);
  }
  if (err.code === "UNAUTHENTICATED") {
    const next = c.req.method === "GET" ? `?next=${encodeURIComponent(c.req.path)}` : "";
    return c.redirect(`/login${next}`, 303);
  }
  return c.html(
    <Layout title="Error" page={page(c)}>
      <article>
        <h1>{err.status === 404 ? "Not found" : "Something went wrong"}</h1>
        <p class="reason">{err.message}</p>
        <p class="muted">Request id: {requestId}</p>
        <a href="/" class="button-link secondary">
          Back to the start page
        </a>
      </article>
    </Layout>,
    err.status as 400,
  );
}

/**
 * The app's 404 for a browser asking for a page that does not exist: the page in the layout. The web
 * middleware (session, compression) has already run for the path, as it runs for every path before notFound.
 * undefined for anything else (the API, curl, a POST), which gets the JSON 404.
 */
export function browserNotFound(c: Context): Response | Promise<Response> | undefined {
  // The app-level context: the web middleware set this interface's variables on it.
  const web = c as unknown as C;
  return wantsPage(web) ? notFoundPage(web) : undefined;
}

function notFoundPage(c: C): Response | Promise<Response> {
  const signedIn = c.get("viewer") !== undefined;
  return c.html(
    <Layout title="Page not found" page={page(c)}>
      <article>
        <h1>Page not found</h1>
        <p>
          There is no page at <code>{c.req.path}</code>. The link may be old, or the address mistyped.
        </p>
        <p class="muted">Request id: {c.get("requestId")}</p>
        <div class="actions-row">
          <a href={signedIn ? "/apps" : "/"} class="button-link">
            {signedIn ? "Go to my apps" : "Go to the start page"}
          </a>
          <a href="/catalog" class="button-link secondary">
            Browse the catalog
          </a>
        </div>
      </article>
    </Layout>,
    404,
  );
}

// ------------------------------------------------------------------------------------------------------
// Helpers over the services

async function progressOf(
  c: C,
  app: Application,
): Promise<{ job: Awaited<ReturnType<typeof lastJob>>; lines: LogLine[] }> {
  const job = await lastJob(c, app.id);
  const lines: LogLine[] = [];
  if (job) {
    const services = c.get("services");
    const { total } = await services.apps.logs(viewer(c), app.id, 1, 1);
    const perPage = 100;
    const last = Math.max(1, Math.ceil(total / perPage));
    for (const p of last > 1 ? [last - 1, last] : [last]) {
      const { items } = await services.apps.logs(viewer(c), app.id, p, perPage);
      for (const l of items) if (l.jobId === job.id) lines.push({ level: l.level, message: l.message });
    }
  }
  return { job, lines };
}

async function lastJob(c: C, appId: string) {
  const { items } = await c.get("services").jobs.list({ appId, page: 1, perPage: 1 });
  return items[0];
}

function installDefaults(
  entry: CatalogEntry,
  defaults: { cores: number; memory_mb: number; disk_gb: number },
): InstallValues {
  return {
    hostname: entry.id,
    node: "",
    runtime: "",
    cores: String(Math.max(defaults.cores, entry.min.cores)),
    memory_mb: String(Math.max(defaults.memory_mb, entry.min.memory_mb)),
    disk_gb: String(Math.max(defaults.disk_gb, entry.min.disk_gb)),
    env: Object.fromEntries(
      entry.env.filter((e) => !e.secret && e.default !== undefined).map((e) => [e.name, e.default!]),
    ),
  };
}

async function installForm(c: C, entry: CatalogEntry, values: InstallValues, errors: Record<string, string>) {
  const services = c.get("services");
  const host = await services.hosts.defaultHost();
  const nodes = host
    ? (await services.hosts.listNodes())
        .filter((n) => n.host_id === host.id)
        .map((n) => ({ name: n.name, memoryFree: n.memory_free, online: n.status === "online" }))
    : [];
  // Preselected in the form: what a deploy without a runtime gets on this host (its last preflight).
  const defaultRuntime = host ? services.apps.runtimeFor(entry, host.id) : "docker";
  return { entry, values, errors, nodes, csrf: c.get("csrfToken"), hostMissing: !host, defaultRuntime };
}

function toInt(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : Number.NaN;
}

// ------------------------------------------------------------------------------------------------------

export function webRoutes() {
  const web = new Hono<WebEnv>();
  web.onError((err, c) => errorPage(c, toAppError(err)));

  // Embedded files and icons: no session needed.
  web.get("/assets/icons/:file{[a-z0-9-]+\\.[a-f0-9]{10}\\.(?:svg|png)}", (c) => {
    const [id, hash, ext] = c.req.param("file").split(".") as [string, string, string];
    const icon = c.get("services").catalog.icon(id);
    if (icon.hash !== hash || icon.ext !== ext) throw new NotFoundError("Icon");
    return assetResponse(binaryAsset(icon.type, icon.body, icon.hash), c.req.raw);
  });
  web.get("/assets/:file", (c) => {
    const asset = assetByUrl(c.req.path);
    if (!asset) throw new NotFoundError("Asset");
    return assetResponse(asset, c.req.raw);
  });

  // Only the pages' paths: the JSON API (bearer tokens, no cookies) and /metrics are left alone.
  web.use("*", (c, next) => (WEB_PATHS.test(c.req.path) || wantsPage(c) ? webSession(c, next) : next()));
  // Pages and fragments are compressed (assets are already); event streams are not, so each message
  // reaches the browser when it is written.
  const gzip = compress({ encoding: "gzip" });
  web.use("*", (c, next) =>
    (WEB_PATHS.test(c.req.path) || wantsPage(c)) && !c.req.path.endsWith("/live") ? gzip(c, next) : next(),
  );

  // --- First run, sign in, sign out -------------------------------------------------------------------
  web.get("/", async (c) => {
    if (c.get("viewer")) return c.redirect("/apps", 303);
    return c.redirect((await userCount(c)) === 0 ? "/setup" : "/login", 303);
  });

  web.get("/setup", async (c) => {
    if ((await userCount(c)) > 0) return c.redirect("/login", 303);
    return c.html(<SetupPage page={page(c)} errors={{}} />);
  });

  web.post("/setup", async (c) => {
    const f = await form(c);
    const services = c.get("services");
    if ((await userCount(c)) > 0) return c.redirect("/login", 303);
    const username = (f.username ?? "").trim().toLowerCase();
    try {
      const input = z
        .object({ username: UsernameSchema, password: PasswordSchema })
        .safeParse({ username, password: f.password ?? "" });
      if (!input.success) throw new ValidationError("invalid", zodDetails(input.error));
      await services.users.register(input.data, clientOf(c));
    } catch (err) {
      if (err instanceof ValidationError || (err instanceof AppError && err.code === "CONFLICT")) {
        const errors = err instanceof ValidationError ? fieldErrors(err) : { username: err.message };
        return c.html(<SetupPage page={page(c)} errors={errors} username={username} />, 422);
      }
      throw err;
    }
    const session = await services.auth.login(username, f.password ?? "", client(c));
    setSessionCookie(c, session.refresh_token);
    // The administrator's next step: a Proxmox host, unless the demo cluster is already there.
    return c.redirect(services.demoMode ? "/catalog" : "/hosts", 303);
  });

  web.get("/login", async (c) => {
    if ((await userCount(c)) === 0) return c.redirect("/setup", 303);
    if (c.get("viewer")) return c.redirect("/apps", 303);
    return c.html(<LoginPage page={page(c)} next={c.req.query("next")} />);
  });

  web.post("/login", async (c) => {
    const f = await form(c);
    const next = f.next?.startsWith("/") && !f.next.startsWith("//") ? f.next : "/apps";
    try {
      const session = await c.get("services").auth.login(f.username ?? "", f.password ?? "", client(c));
      setSessionCookie(c, session.refresh_token);
      return c.redirect(next, 303);
    } catch (err) {
      const e = toAppError(err);
      if (e.code !== "UNAUTHENTICATED" && e.code !== "RATE_LIMITED" && e.code !== "VALIDATION_FAILED")
        throw err;
      return c.html(
        <LoginPage page={page(c)} error={e.message} username={f.username} next={f.next} />,
        e.status as 401,
      );
    }
  });

  web.post("/logout", async (c) => {
    const token = c.get("sessionToken");
    const v = c.get("viewer");
    if (token && v) await c.get("services").auth.logout(token, { user: v, ip: clientIpOf(c) });
    clearSessionCookie(c);
    return redirect(c, "/login");
  });

  // --- Catalog ----------------------------------------------------------------------------------------
  web.get("/catalog", (c) => {
    viewer(c);
    const catalog = c.get("services").catalog;
    const q = (c.req.query("q") ?? "").slice(0, 200);
    const categories = catalog.categories();
    const category = categories.some((x) => x.id === c.req.query("category")) ? c.req.query("category")! : "";
    const entries = catalog.list({ q, category });
    const total = catalog.size;
    if (isHtmx(c)) {
      return c.html(
        <CatalogResults entries={entries} total={total} q={q} category={category} categories={categories} />,
      );
    }
    return c.html(
      <CatalogPage
        page={page(c, "/catalog")}
        entries={entries}
        total={total}
        categories={categories}
        q={q}
        category={category}
      />,
    );
  });

  web.get("/catalog/:id", async (c) => {
    viewer(c);
    const entry = c.get("services").catalog.get(c.req.param("id"));
    if (!entry) throw new NotFoundError(`Catalog app '${c.req.param("id")}'`);
    const settings = await c.get("services").settings.get();
    const f = await installForm(c, entry, installDefaults(entry, settings.resources), {});
    return c.html(<EntryPage page={page(c, "/catalog")} entry={entry} form={f} />);
  });

  web.post("/catalog/:id/install", async (c) => {
    const req = requester(c);
    const services = c.get("services");
    const entry = services.catalog.get(c.req.param("id"));
    if (!entry) throw new NotFoundError(`Catalog app '${c.req.param("id")}'`);
    const f = await form(c);
    const values: InstallValues = {
      hostname: (f.hostname ?? "").trim(),
      node: f.node ?? "",
      runtime: f.runtime ?? "",
      cores: f.cores ?? "",
      memory_mb: f.memory_mb ?? "",
      disk_gb: f.disk_gb ?? "",
      env: Object.fromEntries(
        Object.entries(f)
          .filter(([k]) => k.startsWith("env."))
          .map(([k, v]) => [k.slice(4), v]),
      ),
    };
    const resources = Object.fromEntries(
      (["cores", "memory_mb", "disk_gb"] as const)
        .map((k) => [k, toInt(values[k])] as const)
        .filter(([, v]) => v !== undefined),
    );
    const environment = Object.fromEntries(Object.entries(values.env).filter(([, v]) => v !== ""));
    const input = {
      catalog_id: entry.id,
      hostname: values.hostname,
      ...(Object.keys(environment).length ? { environment } : {}),
      ...(Object.keys(resources).length ? { resources } : {}),
      ...(values.node ? { node: values.node } : {}),
      ...(values.runtime ? { runtime: values.runtime } : {}),
    };
    const problem = async (errors: Record<string, string>) => {
      const props = await installForm(c, entry, values, errors);
      return c.html(<InstallForm {...props} />, 422);
    };
    const parsed = DeployBody.safeParse(input);
    if (!parsed.success)
      return problem(fieldErrors(new ValidationError("invalid", zodDetails(parsed.error))));
    try {
      const { app } = await services.apps.deploy(req, parsed.data);
      return redirect(c, `/apps/${app.id}`);
    } catch (err) {
      if (err instanceof ValidationError) return problem(fieldErrors(err));
      if (err instanceof AppError && err.code === "CONFLICT") {
        return problem(/hostname/i.test(err.message) ? { hostname: err.message } : { form: err.message });
      }
      throw err;
    }
  });

  // --- My apps ----------------------------------------------------------------------------------------
  web.get("/apps", async (c) => {
    const v = viewer(c);
    const services = c.get("services");
    const { items, total } = await services.apps.list(v, { page: 1, perPage: 100 });
    // Admins see owners; the viewer's own name is known, so only other owners are looked up (a homelab
    // with one administrator owns every app: no extra query).
    const others = [...new Set(items.map((a) => a.ownerId).filter((id) => id !== v.id))];
    const owners =
      v.role === "admin"
        ? new Map([...(others.length ? await services.users.usernames(others) : []), [v.id, v.username]])
        : undefined;
    return c.html(<Dashboard page={page(c, "/apps")} apps={items} owners={owners} total={total} />);
  });

  // Status changes of every app the viewer sees, as card replacements.
  web.get("/apps/live", (c) => {
    const v = viewer(c);
    const services = c.get("services");
    // Cards this viewer may see; a deletion is only announced for those (others' app ids stay unknown).
    const visible = new Set<string>();
    return eventStream<ProximityEvent>(c, {
      keepAliveMs: services.config.SSE_KEEPALIVE_SECONDS * 1000,
      subscribe: (push) =>
        services.events.subscribe((e) => {
          if (e.type === "app.status") push(e);
        }),
      initial: async () => {
        const { items } = await services.apps.list(v, { page: 1, perPage: 100 });
        for (const a of items) visible.add(a.id);
      },
      write: async (stream, e) => {
        if (e.type !== "app.status" || !e.app_id) return undefined;
        if (e.status === "deleted") {
          if (visible.delete(e.app_id)) {
            await stream.writeSSE({
              data: `<hx-partial hx-target="#app-${e.app_id}" hx-swap="delete"></hx-partial>`,
            });
          }
          return undefined;
        }
        const app = await services.apps.get(v, e.app_id).catch(() => undefined);
        if (!app) return undefined;
        visible.add(app.id);
        const owner = v.role === "admin" ? (await services.users.findById(app.ownerId))?.username : undefined;
        const html = await render(
          <hx-partial hx-target={`#app-${app.id}`} hx-swap="outerHTML">
            <AppCard app={app} owner={owner} />
          </hx-partial>,
        );
        await stream.writeSSE({ data: html });
        return undefined;
      },
    });
  });

  web.get("/apps/:id", async (c) => {
    const v = viewer(c);
    const services = c.get("services");
    const app = await services.apps.get(v, c.req.param("id"));
    const { job, lines } = await progressOf(c, app);
    const [backups, schedule] = await Promise.all([
      services.backups.list(v, { appId: app.id, page: 1, perPage: 50 }),
      services.backups.getSchedule(v, app.id).catch(() => undefined),
    ]);
    const owner = v.role === "admin" ? (await services.users.findById(app.ownerId))?.username : undefined;
    return c.html(
      <AppPage page={page(c, "/apps")} app={app} job={job} lines={lines} owner={owner}>
        <ChartsSection app={app} />
        <BackupsSection app={app} backups={backups.items} schedule={schedule} csrf={c.get("csrfToken")} />
        <LogsSection app={app} />
        <ManageSection app={app} csrf={c.get("csrfToken")} />
      </AppPage>,
    );
  });

  // The app page's live stream: a snapshot on (re)connect, then status, progress and log lines.
  web.get("/apps/:id/live", async (c) => {
    const v = viewer(c);
    const services = c.get("services");
    const app = await services.apps.get(v, c.req.param("id"));
    const owner = v.role === "admin" ? (await services.users.findById(app.ownerId))?.username : undefined;
    const deleted = `<hx-partial hx-target="#app-actions" hx-swap="innerHTML"><p class="reason">This app was deleted. <a href="/apps">Back to my apps</a></p></hx-partial>`;
    /** Everything that changes with the app's state; the charts too once it settled (they reload). */
    const snapshot = async (settled = false) => {
      try {
        const current = await services.apps.get(v, app.id);
        const { job, lines } = await progressOf(c, current);
        const backups = await services.backups.list(v, { appId: current.id, page: 1, perPage: 50 });
        return await render(
          <>
            <hx-partial hx-target="#app-header" hx-swap="outerHTML">
              <AppHeader app={current} />
            </hx-partial>
            <hx-partial hx-target="#progress" hx-swap="outerHTML">
              <ProgressPanel app={current} job={job} lines={lines} />
            </hx-partial>
            <hx-partial hx-target="#backup-list" hx-swap="innerHTML">
              <BackupList app={current} backups={backups.items} />
            </hx-partial>
            <hx-partial hx-target="#app-details" hx-swap="outerHTML">
              <AppDetails app={current} owner={owner} />
            </hx-partial>
            {settled ? (
              <hx-partial hx-target="#charts" hx-swap="outerHTML">
                <ChartsSection app={current} />
              </hx-partial>
            ) : null}
          </>,
        );
      } catch (err) {
        if (err instanceof NotFoundError) return deleted;
        throw err;
      }
    };
    return eventStream<ProximityEvent>(c, {
      keepAliveMs: services.config.SSE_KEEPALIVE_SECONDS * 1000,
      subscribe: (push) =>
        services.events.subscribe((e) => {
          if (e.app_id === app.id) push(e);
        }),
      initial: async (stream) => stream.writeSSE({ data: await snapshot() }),
      write: async (stream, e) => {
        if (e.type === "job.log") {
          const line = await render(
            <hx-partial hx-target="#log-lines" hx-swap="beforeend">
              <p class={e.level}>{e.message}</p>
            </hx-partial>,
          );
          await stream.writeSSE({ data: line });
          return undefined;
        }
        if (e.type === "app.status" && e.status === "deleted") {
          await stream.writeSSE({ data: deleted });
          return "end";
        }
        if (e.type === "job.progress") {
          // The frequent case during a deploy: only the progress panel changes.
          // The app may be deleted under our feet (a delete's own progress): its status event follows.
          const current = await services.apps.get(v, app.id).catch(() => undefined);
          const progress = current ? await progressOf(c, current).catch(() => undefined) : undefined;
          if (!current || !progress) return undefined;
          const { job, lines } = progress;
          await stream.writeSSE({
            data: await render(
              <hx-partial hx-target="#progress" hx-swap="outerHTML">
                <ProgressPanel app={current} job={job} lines={lines} />
              </hx-partial>,
            ),
          });
          return undefined;
        }
        const settled = e.type === "app.status" && ["running", "stopped", "error"].includes(e.status);
        await stream.writeSSE({ data: await snapshot(settled) });
        return undefined;
      },
    });
  });

  web.post("/apps/:id/action", async (c) => {
    const f = await form(c);
    const action = f.action;
    if (action !== "start" && action !== "stop" && action !== "restart") {
      throw new ValidationError("Unknown action", [
        { field: "action", message: "must be start, stop or restart" },
      ]);
    }
    const { app } = await c.get("services").apps.action(requester(c), c.req.param("id"), action);
    return toast(
      c,
      `${action[0]!.toUpperCase()}${action.slice(1).replace(/p$/, "pp")}ing ${app.hostname}…`,
      202,
    );
  });

  web.post("/apps/:id/retry", async (c) => {
    const { app } = await c.get("services").apps.redeploy(requester(c), c.req.param("id"));
    return toast(c, `Installing ${app.hostname} again…`, 202);
  });

  web.post("/apps/:id/update", async (c) => {
    const { app } = await c.get("services").apps.update(requester(c), c.req.param("id"));
    return toast(c, `Updating ${app.hostname}…`, 202);
  });

  web.post("/apps/:id/clone", async (c) => {
    const f = await form(c);
    const { app } = await c
      .get("services")
      .apps.clone(requester(c), c.req.param("id"), (f.hostname ?? "").trim());
    return redirect(c, `/apps/${app.id}`);
  });

  web.patch("/apps/:id/resources", async (c) => {
    const f = await form(c);
    const resources = Object.fromEntries(
      (["cores", "memory_mb", "disk_gb"] as const)
        .map((k) => [k, toInt(f[k])] as const)
        .filter(([, v]) => v !== undefined),
    );
    const { app } = await c.get("services").apps.reconfigure(requester(c), c.req.param("id"), { resources });
    return toast(c, `Resizing ${app.hostname}…`, 202);
  });

  web.patch("/apps/:id/environment", async (c) => {
    const f = await form(c);
    const environment = Object.fromEntries(
      Object.entries(f)
        .filter(([k]) => k.startsWith("env."))
        .map(([k, v]) => [k.slice(4), v]),
    );
    const { app } = await c
      .get("services")
      .apps.reconfigure(requester(c), c.req.param("id"), { environment });
    return toast(c, `Applying the new environment to ${app.hostname}…`, 202);
  });

  web.post("/apps/:id/delete", async (c) => {
    const f = await form(c);
    const { app } = await c.get("services").apps.remove(requester(c), c.req.param("id"), {
      keepBackups: f.keep_backups === "true",
      ...(f.keep_container !== undefined ? { keepContainer: f.keep_container === "true" } : {}),
    });
    return toast(c, `Deleting ${app.hostname}…`, 202);
  });

  web.get("/apps/:id/log", async (c) => {
    const { items } = await c.get("services").apps.logs(viewer(c), c.req.param("id"), 1, 100);
    return c.html(
      <div class="live-log" role="log" tabindex={0} aria-label="Operation log">
        {items.length ? (
          items.map((l) => (
            <p class={l.level}>
              {l.at.toISOString().slice(11, 19)} {l.step ? `[${l.step}] ` : ""}
              {l.message}
            </p>
          ))
        ) : (
          <p>No log lines yet.</p>
        )}
      </div>,
    );
  });

  web.get("/apps/:id/container-log", async (c) => {
    const app = await c.get("services").apps.get(viewer(c), c.req.param("id"));
    // PVE shows an oci app's output only in its console: say where, instead of an error toast.
    if (app.runtime === "oci" && app.node !== null && app.vmid !== null) {
      return c.html(
        <p class="muted" id="container-log-unavailable">
          {ociLogsUnavailable(app.node, app.vmid)}.
        </p>,
      );
    }
    const logs = await c.get("services").appContainers.containerLogs(viewer(c), c.req.param("id"), 200);
    return c.html(
      <pre class="container-log" role="log" tabindex={0} aria-label="Container log">
        {logs || "The containers have not logged anything yet."}
      </pre>,
    );
  });

  web.get("/apps/:id/credentials", async (c) => {
    const creds = await c.get("services").apps.credentials(requester(c), c.req.param("id"));
    return c.html(<Credentials root={creds.root_password} env={creds.environment} />);
  });

  web.get("/apps/:id/charts", async (c) => {
    const timeframe = c.req.query("timeframe") === "day" ? "day" : "hour";
    const series = await c
      .get("services")
      .appContainers.usageHistory(viewer(c), c.req.param("id"), timeframe);
    if (series.length === 0)
      return c.html(<p class="muted">No usage recorded: the container is new or was just removed.</p>);
    const pct = (v: number) => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
    const mib = (v: number) => `${(v / 1024 ** 2).toFixed(0)} MiB`;
    const kbs = (v: number) => `${(v / 1024).toFixed(v < 10240 ? 1 : 0)} KiB/s`;
    return c.html(
      <div class="charts">
        <Chart
          series={{
            label: `CPU (${timeframe})`,
            unit: pct,
            points: series.map((p) => ({ time: p.time, a: p.cpu })),
          }}
        />
        <Chart
          series={{
            label: `Memory (${timeframe})`,
            unit: mib,
            points: series.map((p) => ({ time: p.time, a: p.mem })),
          }}
        />
        <Chart
          series={{
            label: `Network (${timeframe})`,
            unit: kbs,
            points: series.map((p) => ({ time: p.time, a: p.netin, b: p.netout })),
            legend: ["in", "out"],
          }}
        />
      </div>,
    );
  });

  // --- Backups ----------------------------------------------------------------------------------------
  const backupListPartial = async (c: C, appId: string, message: string) => {
    const services = c.get("services");
    const app = await services.apps.get(viewer(c), appId);
    const { items } = await services.backups.list(viewer(c), { appId, page: 1, perPage: 50 });
    return c.html(
      <>
        <hx-partial hx-target="#backup-list" hx-swap="innerHTML">
          <BackupList app={app} backups={items} />
        </hx-partial>
        <ToastPartial message={message} ok />
      </>,
      202,
    );
  };

  web.post("/apps/:id/backups", async (c) => {
    await c
      .get("services")
      .backups.create(requester(c), c.req.param("id"), { mode: "snapshot", compress: "zstd" });
    return backupListPartial(c, c.req.param("id"), "Backup started…");
  });

  web.post("/apps/:id/backups/:backup/restore", async (c) => {
    await c.get("services").backups.restore(requester(c), c.req.param("id"), c.req.param("backup"));
    return toast(c, "Restoring the backup…", 202);
  });

  web.post("/apps/:id/backups/:backup/delete", async (c) => {
    await c.get("services").backups.remove(requester(c), c.req.param("id"), c.req.param("backup"));
    return backupListPartial(c, c.req.param("id"), "Backup deleted.");
  });

  web.get("/apps/:id/backups", async (c) => {
    const services = c.get("services");
    const app = await services.apps.get(viewer(c), c.req.param("id"));
    const { items } = await services.backups.list(viewer(c), { appId: app.id, page: 1, perPage: 50 });
    return c.html(<BackupList app={app} backups={items} />);
  });

  web.put("/apps/:id/backup-schedule", async (c) => {
    const f = await form(c);
    const num = (k: string) => toInt(f[k]) ?? 0;
    await c.get("services").backups.putSchedule(requester(c), c.req.param("id"), {
      cron: f.cron ?? "",
      timezone: f.timezone || "UTC",
      keep_last: num("keep_last"),
      keep_daily: num("keep_daily"),
      keep_weekly: num("keep_weekly"),
      keep_monthly: num("keep_monthly"),
      mode: "snapshot",
      compress: "zstd",
      storage: null,
      enabled: f.enabled === "true",
    });
    return toast(c, "Backup schedule saved.");
  });

  web.route("/", adminRoutes());

  return web;
}
