/** The sections of an app's page below its status: manage, logs, credentials, charts (backups: ../backups). */
import type { FC } from "hono/jsx";
import type { Application } from "../../db/schema.ts";
import { ociLogsUnavailable } from "../../features/apps/containers.service.ts";
import { canRun, OPERATIONS, type Operation } from "../../features/apps/index.ts";
import { Csrf, type FieldErrors, FieldMessage, FormMessage, fieldAria, statusLabel } from "../kit/index.ts";

/** Why an operation cannot run in the app's current state, or undefined when it can. */
function blocked(app: Application, operation: Operation, what: string): string | undefined {
  if (canRun(operation, app.status)) return undefined;
  const allowed = OPERATIONS[operation].from.map(statusLabel).join(" or ");
  return `${what} is possible when the app is ${allowed}; it is ${statusLabel(app.status)} now.`;
}

/** Whether the catalog has another version for this app, and whether it may be taken in place. */
export interface UpdateOffer {
  /** The catalog's version, when it differs from the installed one. */
  to?: string;
  /** Why the update would be refused (a major step the app does not migrate, …). */
  refusal?: string;
}

const Unavailable: FC<{ reason: string | undefined }> = ({ reason }) =>
  reason ? <p class="muted unavailable">{reason}</p> : null;

export const ResizeForm: FC<{
  app: Application;
  csrf: string;
  errors: FieldErrors;
  values?: Record<string, string>;
}> = ({ app, csrf, errors, values = {} }) => {
  const reason = blocked(app, "reconfigure", "Resizing");
  const v = (k: "cores" | "memory_mb" | "disk_gb") => values[`resources.${k}`] ?? String(app.resources[k]);
  return (
    <form
      id="resize-form"
      hx-patch={`/apps/${app.id}/resources`}
      hx-target="this"
      hx-swap="outerHTML"
      hx-confirm="Apply the new resources? The app restarts if needed."
      novalidate
    >
      <Csrf token={csrf} />
      <FormMessage errors={errors} />
      <Unavailable reason={reason} />
      <fieldset class="grid" disabled={reason !== undefined}>
        <label>
          Cores
          <input
            type="number"
            name="resources.cores"
            min={1}
            value={v("cores")}
            {...fieldAria(errors, "resources.cores")}
          />
          <FieldMessage errors={errors} name="resources.cores" />
        </label>
        <label>
          Memory (MiB)
          <input
            type="number"
            name="resources.memory_mb"
            min={128}
            step={128}
            value={v("memory_mb")}
            {...fieldAria(errors, "resources.memory_mb")}
          />
          <FieldMessage errors={errors} name="resources.memory_mb" />
        </label>
        <label>
          Disk (GiB, can only grow)
          <input
            type="number"
            name="resources.disk_gb"
            min={app.resources.disk_gb}
            value={v("disk_gb")}
            {...fieldAria(errors, "resources.disk_gb")}
          />
          <FieldMessage errors={errors} name="resources.disk_gb" />
        </label>
      </fieldset>
      <button type="submit" class="secondary" disabled={reason !== undefined}>
        Resize
      </button>
    </form>
  );
};

export const EnvironmentForm: FC<{
  app: Application;
  csrf: string;
  errors: FieldErrors;
  values?: Record<string, string>;
}> = ({ app, csrf, errors, values = {} }) => {
  const reason =
    app.status === "running"
      ? undefined
      : `Settings can change while the app runs; it is ${statusLabel(app.status)} now.`;
  return (
    <form
      id="environment-form"
      hx-patch={`/apps/${app.id}/environment`}
      hx-target="this"
      hx-swap="outerHTML"
      hx-confirm="Apply the new settings? The app's containers are recreated."
      novalidate
    >
      <Csrf token={csrf} />
      <FormMessage errors={errors} />
      <Unavailable reason={reason} />
      <fieldset disabled={reason !== undefined}>
        {Object.entries(app.environment).map(([k, v]) => (
          <label>
            {k}
            <input
              name={`environment.${k}`}
              value={values[`environment.${k}`] ?? v}
              {...fieldAria(errors, `environment.${k}`)}
            />
            <FieldMessage errors={errors} name={`environment.${k}`} />
          </label>
        ))}
      </fieldset>
      <button type="submit" class="secondary" disabled={reason !== undefined}>
        Save settings
      </button>
    </form>
  );
};

export const CloneForm: FC<{ app: Application; csrf: string; errors: FieldErrors; hostname?: string }> = ({
  app,
  csrf,
  errors,
  hostname,
}) => {
  const reason =
    blocked(app, "clone", "Cloning") ??
    (app.catalogId ? undefined : "An adopted app without a catalog entry cannot be cloned.");
  return (
    <form
      id="clone-form"
      hx-post={`/apps/${app.id}/clone`}
      hx-target="this"
      hx-swap="outerHTML"
      hx-confirm="Clone this app?"
      novalidate
    >
      <Csrf token={csrf} />
      <FormMessage errors={errors} />
      <Unavailable reason={reason} />
      <label>
        Clone under the hostname
        <input
          name="hostname"
          placeholder={`${app.hostname.slice(0, 58)}-copy`}
          value={hostname ?? ""}
          required
          maxlength={63}
          autocomplete="off"
          spellcheck={false}
          disabled={reason !== undefined}
          {...fieldAria(errors, "hostname", "clone-hostname-help")}
        />
        <FieldMessage
          errors={errors}
          name="hostname"
          helpId="clone-hostname-help"
          help="Lower-case letters, digits and inner hyphens, at most 63."
        />
      </label>
      <button type="submit" class="secondary" disabled={reason !== undefined}>
        Clone
      </button>
    </form>
  );
};

const UpdateAction: FC<{ app: Application; offer: UpdateOffer }> = ({ app, offer }) => {
  if (!offer.to) {
    return (
      <p class="muted" id="update-none">
        Up to date: {app.name} {app.catalogVersion ?? ""} is the catalog's version.
      </p>
    );
  }
  if (offer.refusal) {
    return (
      <p class="muted" id="update-refused">
        Version {offer.to} is in the catalog, but cannot be taken in place: {offer.refusal}
      </p>
    );
  }
  const reason = blocked(app, "update", "Updating");
  return (
    <div class="actions-row">
      <button
        type="button"
        class="secondary"
        hx-post={`/apps/${app.id}/update`}
        hx-swap="none"
        disabled={reason !== undefined}
        hx-confirm={`Update ${app.hostname} to ${offer.to}? It restarts. To be able to go back, take a backup first (Back up now, under Backups).`}
      >
        Update to {offer.to}
      </button>
      <Unavailable reason={reason} />
    </div>
  );
};

export const ManageSection: FC<{ app: Application; csrf: string; update: UpdateOffer }> = ({
  app,
  csrf,
  update,
}) => {
  const deleteReason = blocked(app, "delete", "Deleting");
  return (
    <section id="manage">
      <h2>Manage</h2>
      <details>
        <summary>Resources</summary>
        <ResizeForm app={app} csrf={csrf} errors={{}} />
      </details>
      {Object.keys(app.environment).length ? (
        <details>
          <summary>Settings</summary>
          <EnvironmentForm app={app} csrf={csrf} errors={{}} />
        </details>
      ) : null}
      <details>
        <summary>Update, clone or delete</summary>
        <h3>Update</h3>
        <UpdateAction app={app} offer={update} />
        <h3>Clone</h3>
        <CloneForm app={app} csrf={csrf} errors={{}} />
        <h3>Delete</h3>
        <form
          hx-post={`/apps/${app.id}/delete`}
          hx-swap="none"
          hx-confirm={`Delete ${app.hostname} and its container? This cannot be undone.`}
        >
          <Csrf token={csrf} />
          <Unavailable reason={deleteReason} />
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
          <button type="submit" class="contrast" id="delete-app" disabled={deleteReason !== undefined}>
            Delete app
          </button>
        </form>
      </details>
    </section>
  );
};

/** The log buttons, as the app's state allows (re-rendered by the live stream when it changes). */
export const LogActions: FC<{ app: Application }> = ({ app }) => (
  <div class="actions-row" id="log-actions">
    <button type="button" class="secondary" hx-get={`/apps/${app.id}/log`} hx-target="#log-output">
      Operation log
    </button>
    {app.runtime === "oci" ? null : (
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
    <button type="button" class="secondary" hx-get={`/apps/${app.id}/credentials`} hx-target="#log-output">
      Reveal credentials
    </button>
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

/** The usage charts of one timeframe: CPU, memory, network (PVE's rrddata). */
export const UsageCharts: FC<{
  timeframe: "hour" | "day";
  series: {
    time: number;
    cpu: number | null;
    mem: number | null;
    netin: number | null;
    netout: number | null;
  }[];
}> = ({ timeframe, series }) => {
  if (series.length === 0)
    return <p class="muted">No usage recorded: the container is new or was just removed.</p>;
  const pct = (v: number) => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)}%`;
  const mib = (v: number) => `${(v / 1024 ** 2).toFixed(0)} MiB`;
  const kbs = (v: number) => `${(v / 1024).toFixed(v < 10240 ? 1 : 0)} KiB/s`;
  return (
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
    </div>
  );
};

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
