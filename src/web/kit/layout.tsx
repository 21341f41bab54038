/** The page shell: head, the top navigation (by role), the theme toggle, sign-out, and the toast area. */
import { raw } from "hono/html";
import type { FC, PropsWithChildren } from "hono/jsx";
import type { AuthUser } from "../../core/identity.ts";
import { assetUrl } from "../assets.ts";
import { LOGO_URL } from "./logo.ts";

export interface PageContext {
  viewer: AuthUser | undefined;
  csrf: string;
  theme: "light" | "dark" | undefined;
  /** The nav entry to mark as current. */
  active?: string;
}

/**
 * The top navigation. An area that adds a page for everyone or for administrators adds its link here
 * (docs/architecture.md, "How to add a web page").
 */
export const NAV: { href: string; label: string; admin?: boolean }[] = [
  { href: "/apps", label: "My apps" },
  { href: "/catalog", label: "Catalog" },
  { href: "/hosts", label: "Hosts", admin: true },
  { href: "/users", label: "Users", admin: true },
  { href: "/stores", label: "App stores", admin: true },
  { href: "/notifications", label: "Notifications", admin: true },
  { href: "/settings", label: "Settings", admin: true },
  { href: "/audit", label: "Audit log", admin: true },
];

/** What the theme button offers: the other theme (the script corrects it for the system setting). */
function themeLabel(theme: PageContext["theme"]): string {
  return theme === "dark" ? "Light mode" : "Dark mode";
}

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
          <link rel="icon" href={LOGO_URL} type="image/svg+xml" />
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
                    <img src={LOGO_URL} alt="" width="28" height="28" />
                    Proximity
                  </a>
                </li>
              </ul>
              {viewer ? (
                // On a phone this row wraps below the brand (see app.css): every link in sight, no script.
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
                    {themeLabel(theme)}
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
