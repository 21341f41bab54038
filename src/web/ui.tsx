/** The page shell and the small components every page uses. */

import { raw } from "hono/html";
import type { Child, FC, PropsWithChildren } from "hono/jsx";
import type { AuthUser } from "../core/identity.ts";
import { iconPath } from "../features/catalog/catalog.service.ts";
import { assetUrl } from "./assets.ts";

export interface PageContext {
  viewer: AuthUser | undefined;
  csrf: string;
  theme: "light" | "dark" | undefined;
  /** The nav entry to mark as current. */
  active?: string;
}

const NAV: { href: string; label: string; admin?: boolean }[] = [
  { href: "/catalog", label: "Catalog" },
  { href: "/apps", label: "My apps" },
  { href: "/hosts", label: "Hosts", admin: true },
  { href: "/users", label: "Users", admin: true },
  { href: "/settings", label: "Settings", admin: true },
  { href: "/audit", label: "Audit log", admin: true },
];

export const Layout: FC<PropsWithChildren<{ title: string; page: PageContext }>> = ({
  title,
  page,
  children,
}) => {
  const { viewer, csrf, theme, active } = page;
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en" data-theme={theme}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="light dark" />
          <meta name="csrf-token" content={csrf} />
          <meta name="htmx-config" content='{"includeIndicatorCSS":false,"defaultTimeout":30000}' />
          <title>{`${title} · Proximity`}</title>
          <link rel="icon" href={iconPath("proximity")} />
          <link rel="stylesheet" href={assetUrl("pico.css")} />
          <link rel="stylesheet" href={assetUrl("app.css")} />
          <script src={assetUrl("htmx.js")} defer />
          <script src={assetUrl("sse.js")} defer />
          <script src={assetUrl("app.js")} defer />
        </head>
        <body>
          <a class="skip" href="#main">
            Skip to content
          </a>
          <header class="container">
            <nav aria-label="Main">
              <ul>
                <li>
                  <a class="brand" href="/">
                    <img src={iconPath("proximity")} alt="" width="28" height="28" />
                    Proximity
                  </a>
                </li>
              </ul>
              {viewer ? (
                // On a phone this row scrolls sideways instead of wrapping (see app.css); Tab reaches
                // every link and the browser scrolls it into view.
                <ul class="nav-links">
                  {NAV.filter((n) => !n.admin || viewer.role === "admin").map((n) => (
                    <li>
                      <a href={n.href} aria-current={active === n.href ? "page" : undefined}>
                        {n.label}
                      </a>
                    </li>
                  ))}
                  <li>
                    <a
                      href="/account"
                      aria-current={active === "/account" ? "page" : undefined}
                      title="Your account"
                    >
                      {viewer.username}
                    </a>
                  </li>
                </ul>
              ) : null}
              <ul class="nav-tools">
                <li>
                  <button
                    type="button"
                    id="theme-toggle"
                    class="secondary outline small"
                    aria-pressed={theme === "dark" ? "true" : "false"}
                    title="Switch between light and dark"
                  >
                    Dark mode
                  </button>
                </li>
                {viewer ? (
                  <li>
                    <form method="post" action="/logout" class="inline">
                      <input type="hidden" name="_csrf" value={csrf} />
                      <button type="submit" class="secondary small">
                        Sign out
                      </button>
                    </form>
                  </li>
                ) : null}
              </ul>
            </nav>
          </header>
          <main class="container" id="main">
            {children}
          </main>
          <div id="toasts" aria-live="polite" />
        </body>
      </html>
    </>
  );
};

export const Csrf: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />;

const BUSY = new Set([
  "deploying",
  "starting",
  "stopping",
  "restarting",
  "updating",
  "reconfiguring",
  "cloning",
  "backing_up",
  "restoring",
  "deleting",
]);

export function statusLabel(status: string): string {
  return status.replace(/_/g, " ");
}

export const StatusBadge: FC<{ status: string; id?: string }> = ({ status, id }) => (
  <span id={id} class={`badge ${BUSY.has(status) ? "busy" : status}`} data-status={status}>
    {statusLabel(status)}
  </span>
);

/** Decorative (the name is always next to it). */
export const AppIcon: FC<{ id: string; large?: boolean; lazy?: boolean }> = ({ id, large, lazy }) => (
  <img
    class={large ? "icon large" : "icon"}
    src={iconPath(id)}
    alt=""
    width={large ? 64 : 40}
    height={large ? 64 : 40}
    loading={lazy ? "lazy" : undefined}
  />
);

export const Toast: FC<{ message: string; requestId?: string | undefined; ok?: boolean }> = ({
  message,
  requestId,
  ok,
}) => (
  <div class={ok ? "toast" : "toast error"} role={ok ? "status" : "alert"}>
    <span>
      {message}
      {requestId ? <small>Request id: {requestId}</small> : null}
    </span>
    <button type="button" class="toast-close" aria-label="Dismiss">
      ×
    </button>
  </div>
);

/** A toast delivered by an htmx response, wherever the request was aimed. */
export const ToastPartial: FC<{ message: string; requestId?: string | undefined; ok?: boolean }> = (
  props,
) => (
  <hx-partial hx-target="#toasts" hx-swap="beforeend">
    <Toast {...props} />
  </hx-partial>
);

export const Empty: FC<PropsWithChildren<{ title: string }>> = ({ title, children }) => (
  <article class="empty">
    <h3>{title}</h3>
    {children}
  </article>
);

export const FieldError: FC<{ id: string; errors: Record<string, string>; name: string }> = ({
  id,
  errors,
  name,
}) =>
  errors[name] ? (
    <small id={id} class="field-error">
      {errors[name]}
    </small>
  ) : null;

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function when(d: Date | string | null | undefined): string {
  if (!d) return "–";
  const date = typeof d === "string" ? new Date(d) : d;
  return `${date.toISOString().replace("T", " ").slice(0, 16)} UTC`;
}

/** Renders JSX to a string (for SSE messages). */
export async function render(node: Child): Promise<string> {
  return String(await (node as { toString(): string | Promise<string> }).toString());
}
