/** An app's logs section, its credentials and the operation log (manage: manage.tsx; charts: charts.tsx). */
import type { FC } from "hono/jsx";
import type { Application } from "../../db/schema.ts";
import { LXC_LOGS_UNAVAILABLE, ociLogsUnavailable } from "../../features/apps/containers.service.ts";

/** The log buttons, as the app's state allows (re-rendered by the live stream when it changes). */
export const LogActions: FC<{ app: Application }> = ({ app }) => (
  <div class="actions-row" id="log-actions">
    <button type="button" class="secondary" hx-get={`/apps/${app.id}/log`} hx-target="#log-output">
      Operation log
    </button>
    {app.runtime !== "docker" ? null : (
      <button
        type="button"
        class="secondary"
        hx-get={`/apps/${app.id}/container-log`}
        hx-target="#log-output"
        disabled={app.status !== "running"}
        title={app.status === "running" ? undefined : "Available while the app runs"}
      >
        Container log
      </button>
    )}
    {/* An adopted container's passwords were never Proximity's: there is nothing to reveal. */}
    {app.runtime === "lxc" ? null : (
      <button type="button" class="secondary" hx-get={`/apps/${app.id}/credentials`} hx-target="#log-output">
        Reveal credentials
      </button>
    )}
  </div>
);

export const LogsSection: FC<{ app: Application }> = ({ app }) => (
  <section id="logs">
    <h2>Logs</h2>
    <LogActions app={app} />
    {app.runtime === "oci" && app.node !== null && app.vmid !== null ? (
      <p class="muted" id="container-log-unavailable">
        {ociLogsUnavailable(app.node, app.vmid)}.
      </p>
    ) : null}
    {app.runtime === "lxc" ? (
      <p class="muted" id="container-log-unavailable">
        {LXC_LOGS_UNAVAILABLE}.
      </p>
    ) : null}
    <div id="log-output" aria-live="polite" />
  </section>
);

export const Credentials: FC<{ root: string | null; env: Record<string, string> }> = ({ root, env }) => (
  <article>
    <p class="muted">Revealing credentials is recorded in the audit log.</p>
    <dl class="facts" id="credentials">
      <dt>root password</dt>
      <dd>
        <code>{root ?? "–"}</code>
      </dd>
      {Object.entries(env).map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd>
            <code>{v}</code>
          </dd>
        </>
      ))}
    </dl>
  </article>
);

export const OperationLog: FC<{
  items: { at: Date; step: string | null; level: string; message: string }[];
}> = ({ items }) => (
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
  </div>
);
