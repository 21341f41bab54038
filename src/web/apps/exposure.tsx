/**
 * The app page's HTTPS name: the switch that exposes the app through the managed proxy (docs/access.md),
 * the name it gets, and a warning when that name does not resolve to the proxy from here.
 */
import type { FC } from "hono/jsx";
import type { Application } from "../../db/schema.ts";
import { Csrf, Switch } from "../kit/index.ts";

export interface ExposureView {
  domain: string | null;
  resolves: boolean | null;
}

/** Where Open goes: the HTTPS name while the app is exposed, else its own address. */
export function openUrl(app: Pick<Application, "httpsUrl" | "url">): string | null {
  return app.httpsUrl ?? app.url;
}

export const ExposureSection: FC<{ app: Application; view: ExposureView; csrf: string; noWeb?: boolean }> = ({
  app,
  view,
  csrf,
  noWeb = false,
}) => (
  <section id="app-exposure">
    <h2>HTTPS name</h2>
    {noWeb ? (
      <p class="muted">This app has no web interface: there is nothing to reach at an HTTPS name.</p>
    ) : app.systemRole === "proxy" ? (
      <p>
        This is Proximity's reverse proxy. It is set up from <a href="/settings/access">Settings → Access</a>.
      </p>
    ) : !view.domain ? (
      <p class="muted">
        HTTPS names are off. An administrator turns them on under Settings → Access; then this app can be
        reached at https://{app.hostname}.&lt;domain&gt;.
      </p>
    ) : (
      <form hx-post={`/apps/${app.id}/exposure`} hx-target="#app-exposure" hx-swap="outerHTML">
        <Csrf token={csrf} />
        <Switch name="enabled" checked={app.httpsUrl !== null}>
          Reachable at https://{app.hostname}.{view.domain}
        </Switch>
        <Switch name="gate" checked={app.gate === "proximity"}>
          Only for people signed in to Proximity who may see this app (sign-in gate)
        </Switch>
        {app.httpsUrl ? (
          <p>
            <a href={app.httpsUrl} target="_blank" rel="noopener noreferrer" id="app-https-url">
              {app.httpsUrl}
            </a>
          </p>
        ) : null}
        {app.httpsUrl && view.resolves === false ? (
          <p class="warning" role="status">
            {new URL(app.httpsUrl).hostname} does not resolve to the proxy from here: create the DNS record
            shown under Settings → Access.
          </p>
        ) : null}
        <button type="submit">Save</button>
      </form>
    )}
  </section>
);
