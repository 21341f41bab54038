/** The sections of an app's page below its status: manage, logs, credentials, charts, backups. */
import type { FC } from "hono/jsx";
import type { Application, Backup, BackupSchedule } from "../../db/schema.ts";
import { bytes, Csrf, when } from "../ui.tsx";

export const ManageSection: FC<{ app: Application; csrf: string }> = ({ app, csrf }) => (
  <section id="manage">
    <h2>Manage</h2>
    <details>
      <summary>Resources</summary>
      <form
        hx-patch={`/apps/${app.id}/resources`}
        hx-swap="none"
        hx-confirm="Apply the new resources? The app restarts if needed."
      >
        <Csrf token={csrf} />
        <fieldset class="grid">
          <label>
            Cores
            <input type="number" name="cores" min={1} value={String(app.resources.cores)} />
          </label>
          <label>
            Memory (MiB)
            <input
              type="number"
              name="memory_mb"
              min={128}
              step={128}
              value={String(app.resources.memory_mb)}
            />
          </label>
          <label>
            Disk (GiB, can only grow)
            <input
              type="number"
              name="disk_gb"
              min={app.resources.disk_gb}
              value={String(app.resources.disk_gb)}
            />
          </label>
        </fieldset>
        <button type="submit" class="secondary">
          Resize
        </button>
      </form>
    </details>
    {Object.keys(app.environment).length ? (
      <details>
        <summary>Environment</summary>
        <form
          hx-patch={`/apps/${app.id}/environment`}
          hx-swap="none"
          hx-confirm="Apply the new environment? The app's containers are recreated."
        >
          <Csrf token={csrf} />
          {Object.entries(app.environment).map(([k, v]) => (
            <label>
              {k}
              <input name={`env.${k}`} value={v} />
            </label>
          ))}
          <button type="submit" class="secondary">
            Save environment
          </button>
        </form>
      </details>
    ) : null}
    <details>
      <summary>Update, clone or delete</summary>
      <div class="actions-row">
        <button
          type="button"
          class="secondary"
          hx-post={`/apps/${app.id}/update`}
          hx-swap="none"
          hx-confirm={`Update ${app.hostname} to the catalog's current version? It restarts. To be able to go back, take a backup first (Back up now, under Backups).`}
        >
          Update
        </button>
      </div>
      <form hx-post={`/apps/${app.id}/clone`} hx-swap="none" hx-confirm="Clone this app?">
        <Csrf token={csrf} />
        <label>
          Clone under the hostname
          <input name="hostname" placeholder={`${app.hostname}-copy`} required />
        </label>
        <button type="submit" class="secondary">
          Clone
        </button>
      </form>
      <form
        hx-post={`/apps/${app.id}/delete`}
        hx-swap="none"
        hx-confirm={`Delete ${app.hostname} and its container? This cannot be undone.`}
      >
        <Csrf token={csrf} />
        <label>
          <input type="checkbox" name="keep_backups" value="true" checked />
          Keep its backups
        </label>
        {app.adopted ? (
          <label>
            <input type="checkbox" name="keep_container" value="true" checked />
            Keep the container (it was adopted)
          </label>
        ) : null}
        <button type="submit" class="contrast" id="delete-app">
          Delete app
        </button>
      </form>
    </details>
  </section>
);

export const LogsSection: FC<{ app: Application }> = ({ app }) => (
  <section id="logs">
    <h2>Logs</h2>
    <div class="actions-row">
      <button type="button" class="secondary" hx-get={`/apps/${app.id}/log`} hx-target="#log-output">
        Operation log
      </button>
      <button
        type="button"
        class="secondary"
        hx-get={`/apps/${app.id}/container-log`}
        hx-target="#log-output"
      >
        Container log
      </button>
      <button type="button" class="secondary" hx-get={`/apps/${app.id}/credentials`} hx-target="#log-output">
        Reveal credentials
      </button>
    </div>
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

export interface Series {
  label: string;
  unit: (v: number) => string;
  points: { time: number; a: number | null; b?: number | null }[];
  legend?: [string, string];
}

/** A small inline SVG line chart (one or two series), no script needed. */
export const Chart: FC<{ series: Series }> = ({ series }) => {
  const W = 320;
  const H = 120;
  const pad = { l: 58, r: 6, t: 8, b: 18 };
  const pts = series.points;
  const values = pts.flatMap((p) => [p.a, p.b ?? null]).filter((v): v is number => v !== null);
  const max = Math.max(1e-9, ...values);
  const t0 = pts[0]?.time ?? 0;
  const t1 = pts.at(-1)?.time ?? 1;
  const x = (t: number) => pad.l + ((t - t0) / Math.max(1, t1 - t0)) * (W - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - v / max) * (H - pad.t - pad.b);
  const path = (key: "a" | "b") => {
    let d = "";
    let pen = false;
    for (const p of pts) {
      const v = p[key];
      if (v === null || v === undefined) {
        pen = false;
        continue;
      }
      // A segment starts with a zero-length stroke: with round caps a lone sample (a container created a
      // minute ago) shows as a dot instead of nothing.
      d += pen
        ? `L${x(p.time).toFixed(1)},${y(v).toFixed(1)}`
        : `M${x(p.time).toFixed(1)},${y(v).toFixed(1)}l0,0`;
      pen = true;
    }
    return d;
  };
  const last = pts.at(-1);
  return (
    <figure>
      <svg
        class="chart"
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`${series.label}, peak ${series.unit(max)}`}
      >
        <line class="axis" x1={pad.l} y1={H - pad.b} x2={W - pad.r} y2={H - pad.b} />
        <line class="axis" x1={pad.l} y1={pad.t} x2={pad.l} y2={H - pad.b} />
        <text x={pad.l - 4} y={pad.t + 8} text-anchor="end">
          {series.unit(max)}
        </text>
        <text x={pad.l - 4} y={H - pad.b} text-anchor="end">
          0
        </text>
        <text x={pad.l} y={H - 4}>
          {new Date(t0 * 1000).toISOString().slice(11, 16)}
        </text>
        <text x={W - pad.r} y={H - 4} text-anchor="end">
          {new Date(t1 * 1000).toISOString().slice(11, 16)} UTC
        </text>
        <path class="line" d={path("a")} />
        {series.legend ? <path class="line2" d={path("b")} /> : null}
      </svg>
      <figcaption>
        {series.label}
        {last && last.a !== null ? ` — now ${series.unit(last.a)}` : ""}
        {series.legend ? (
          <span class="legend">
            <i class="used" />
            {series.legend[0]}
            <i class="reserved" />
            {series.legend[1]}
          </span>
        ) : null}
      </figcaption>
    </figure>
  );
};

export const ChartsSection: FC<{ app: Application }> = ({ app }) => (
  <section id="charts">
    <h2>Usage</h2>
    {app.vmid === null ? (
      <p class="muted">Charts appear once the app has a container.</p>
    ) : (
      <>
        <div class="actions-row">
          <button
            type="button"
            class="secondary small"
            hx-get={`/apps/${app.id}/charts?timeframe=hour`}
            hx-target="#chart-area"
          >
            Last hour
          </button>
          <button
            type="button"
            class="secondary small"
            hx-get={`/apps/${app.id}/charts?timeframe=day`}
            hx-target="#chart-area"
          >
            Last day
          </button>
        </div>
        <div id="chart-area" hx-get={`/apps/${app.id}/charts?timeframe=hour`} hx-trigger="load">
          <p class="muted">Loading charts…</p>
        </div>
      </>
    )}
  </section>
);

export const BackupsSection: FC<{
  app: Application;
  backups: Backup[];
  schedule: BackupSchedule | undefined;
  csrf: string;
}> = ({ app, backups, schedule, csrf }) => (
  <section id="backups">
    <h2>Backups</h2>
    <div class="actions-row">
      <button type="button" hx-post={`/apps/${app.id}/backups`} hx-swap="none" id="create-backup">
        Back up now
      </button>
    </div>
    <div id="backup-list">
      <BackupList app={app} backups={backups} />
    </div>
    <details>
      <summary>Schedule and retention</summary>
      <form hx-put={`/apps/${app.id}/backup-schedule`} hx-swap="none">
        <Csrf token={csrf} />
        <label>
          When (cron, 5 fields)
          <input name="cron" value={schedule?.cron ?? "0 3 * * *"} />
        </label>
        <label>
          Time zone
          <input name="timezone" value={schedule?.timezone ?? "UTC"} />
        </label>
        <fieldset class="grid">
          <label>
            Keep last
            <input type="number" name="keep_last" min={0} value={String(schedule?.keepLast ?? 3)} />
          </label>
          <label>
            Daily
            <input type="number" name="keep_daily" min={0} value={String(schedule?.keepDaily ?? 7)} />
          </label>
          <label>
            Weekly
            <input type="number" name="keep_weekly" min={0} value={String(schedule?.keepWeekly ?? 4)} />
          </label>
          <label>
            Monthly
            <input type="number" name="keep_monthly" min={0} value={String(schedule?.keepMonthly ?? 0)} />
          </label>
        </fieldset>
        <label>
          <input type="checkbox" name="enabled" value="true" checked={schedule?.enabled ?? true} />
          Enabled
        </label>
        <button type="submit" class="secondary">
          Save schedule
        </button>
      </form>
    </details>
  </section>
);

export const BackupList: FC<{ app: Application; backups: Backup[] }> = ({ app, backups }) =>
  backups.length === 0 ? (
    <p class="muted" id="no-backups">
      No backups yet. “Back up now” takes one; a schedule takes them for you.
    </p>
  ) : (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Taken</th>
            <th scope="col">Status</th>
            <th scope="col">Size</th>
            <th scope="col">Trigger</th>
            <th scope="col">
              <span class="muted">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {backups.map((b) => (
            <tr data-backup={b.id}>
              <td>{when(b.backupTime ?? b.createdAt)}</td>
              <td>
                <span
                  class={`badge ${b.status === "completed" ? "running" : b.status === "creating" ? "busy" : "error"}`}
                >
                  {b.status}
                </span>
              </td>
              <td>{bytes(b.size)}</td>
              <td>{b.trigger}</td>
              <td class="actions">
                {b.status === "completed" ? (
                  <>
                    <button
                      type="button"
                      class="secondary small"
                      hx-post={`/apps/${app.id}/backups/${b.id}/restore`}
                      hx-swap="none"
                      hx-confirm="Restore this backup? The app's current data is replaced."
                    >
                      Restore
                    </button>
                    <button
                      type="button"
                      class="secondary small"
                      hx-post={`/apps/${app.id}/backups/${b.id}/delete`}
                      hx-swap="none"
                      hx-confirm="Delete this backup?"
                    >
                      Delete
                    </button>
                  </>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
