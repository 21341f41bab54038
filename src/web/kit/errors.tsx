/**
 * How the web answers a failure: htmx requests get a toast (or, when signed out, a redirect to the login
 * page); pages get an error page in the layout with a way back. 5xx are logged as the API's are.
 */
import type { Context } from "hono";
import type { AppError } from "../../core/errors.ts";
import { logServerError, toAppError } from "../../http/error-handler.ts";
import { ToastPartial } from "./components.tsx";
import { AdminOnlyError } from "./guards.ts";
import { Layout } from "./layout.tsx";
import { isHtmx, page, type WebContext } from "./request.tsx";

/** Where a sign-in sends the browser back to: a GET page of ours (see safeNext). */
function loginFor(c: WebContext): string {
  const next = c.req.method === "GET" && !c.req.path.endsWith("/live") ? c.req.path : undefined;
  return next && next !== "/" ? `/login?next=${encodeURIComponent(next)}` : "/login";
}

function heading(err: AppError): string {
  if (err instanceof AdminOnlyError) return err.message;
  if (err.status === 404) return "Not found";
  if (err.status === 403) return "Not allowed";
  return "Something went wrong";
}

export function errorPage(c: WebContext, thrown: unknown): Response | Promise<Response> {
  const err = toAppError(thrown);
  logServerError(c, err, c.get("viewer")?.id);
  const requestId = c.get("requestId");
  for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
  if (isHtmx(c)) {
    if (err.code === "UNAUTHENTICATED") {
      c.header("HX-Redirect", loginFor(c));
      return c.body(null, 204);
    }
    return c.html(<ToastPartial message={err.message} requestId={requestId} />, err.status as 400);
  }
  if (err.code === "UNAUTHENTICATED") return c.redirect(loginFor(c), 303);
  const signedIn = c.get("viewer") !== undefined;
  return c.html(
    <Layout title={heading(err)} page={page(c)}>
      <article>
        <h1>{heading(err)}</h1>
        {err instanceof AdminOnlyError ? (
          <p>Your account is not an administrator's. Ask an administrator if you need something here.</p>
        ) : (
          <p class="reason">{err.message}</p>
        )}
        <p class="muted">Request id: {requestId}</p>
        <div class="actions-row">
          <a href={signedIn ? "/apps" : "/"} class="button-link">
            {signedIn ? "Go to my apps" : "Go to the start page"}
          </a>
        </div>
      </article>
    </Layout>,
    err.status as 400,
  );
}

/**
 * A browser asking for a page (GET/HEAD, accepts HTML) at a path that is not the API's: an unknown path
 * gets the HTML "page not found" in the layout instead of the API's JSON error.
 */
export function wantsPage(c: Context): boolean {
  return (
    (c.req.method === "GET" || c.req.method === "HEAD") &&
    !c.req.path.startsWith("/api/") &&
    (c.req.header("accept") ?? "").includes("text/html")
  );
}

/**
 * The app's 404 for a browser asking for a page that does not exist: the page in the layout. The web
 * middleware (session, compression) has already run for the path, as it runs for every path before notFound.
 * undefined for anything else (the API, curl, a POST), which gets the JSON 404.
 */
export function browserNotFound(c: Context): Response | Promise<Response> | undefined {
  // The app-level context: the web middleware set this interface's variables on it.
  const web = c as unknown as WebContext;
  return wantsPage(web) ? notFoundPage(web) : undefined;
}

function notFoundPage(c: WebContext): Response | Promise<Response> {
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
