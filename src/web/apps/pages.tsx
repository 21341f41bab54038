/** My apps (the dashboard), an app's page, and the live progress panel of its current job. */
import { raw } from "hono/html";
import type { Child, FC } from "hono/jsx";
import type { Application, Job } from "../../db/schema.ts";
import { appIconId, isStable } from "../../features/apps/index.ts";
import type { CatalogEntry } from "../../features/catalog/catalog.schemas.ts";
import {
  AppIcon,
  Breadcrumb,
  Csrf,
  Empty,
  type FormProps,
  InputField,
  Layout,
  type PageContext,
  ResourceFields,
  StatusBadge,
  SwapForm,
  statusLabel,
  Toast,
  when,
} from "../kit/index.ts";
import type { UpdateOffer } from "./day-two.tsx";
import { HealthBadge, UpdateBanner } from "./day-two.tsx";
import { openUrl } from "./exposure.tsx";
import { appTileHtml, quickActionsHtml, type TileApp, tilesHtml } from "./tiles.ts";

export interface LogLine {
  level: string;
  message: string;
}

const KIND_LABELS: Record<string, string> = {
  deploy_app: "Install",
  deploy_oci_app: "Install",
  start_app: "Start",
  stop_app: "Stop",
  restart_app: "Restart",
  update_app: "Update",
  update_oci_app: "Update",
  update_script_app: "Update",
  reconfigure_app: "Reconfiguration",
  clone_app: "Clone",
  delete_app: "Deletion",
  backup_app: "Backup",
  restore_app: "Restore",
};

function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind.replace(/_/g, " ");
}

/** An install job, whichever runtime it deploys. */
const isInstall = (kind: string) => kind === "deploy_app" || kind === "deploy_oci_app";

/** Start/stop/restart, as the app's state allows (tiles.ts writes the markup). */
const QuickActions: FC<{ app: Application; small?: boolean }> = ({ app, small }) =>
  raw(quickActionsHtml(app, Boolean(small)));

const OpenLink: FC<{ app: Application; small?: boolean }> = ({ app, small }) =>
  openUrl(app) && app.status === "running" ? (
    <a
      href={openUrl(app)!}
      class={small ? "button-link small" : "button-link"}
      target="_blank"
      rel="noopener noreferrer"
      aria-label={`Open ${app.hostname}`}
      data-open-link
    >
      Open
    </a>
  ) : null;

/** One app as a launcher tile (tiles.ts): the live stream's single app. */
export const AppCard: FC<{ app: TileApp; owner?: string | undefined; offer?: UpdateOffer }> = ({
  app,
  owner,
  offer = {},
}) => raw(appTileHtml(app, owner, offer));

export const Dashboard: FC<{
  page: PageContext;
  apps: TileApp[];
  owners: Map<string, string> | undefined;
  /** Each app's update offer (the tiles' badge). */
  offerOf: (app: TileApp) => UpdateOffer;
  total: number;
  /** A toast to show on arrival (after a delete). */
  notice?: string | undefined;
}> = ({ page, apps, owners, offerOf, total, notice }) => (
  <Layout title="My apps" page={page}>
    <h1>{owners ? "All apps" : "My apps"}</h1>
    <p class="count">
      {total} app{total === 1 ? "" : "s"}
      {owners ? " (you are an administrator: every user's apps are listed with their owner)" : ""}
    </p>
    {notice ? (
      <div id="notice">
        <Toast message={notice} ok />
      </div>
    ) : null}
    <div hx-sse:connect="/apps/live" hx-swap="none" />
    {apps.length === 0 ? (
      <Empty title="No apps yet">
        <p>Pick an app from the catalog and install it: it will appear here with its status and address.</p>
        <a href="/catalog" class="button-link">
          Browse the catalog
        </a>
      </Empty>
    ) : null}
    {/* Always there: the live stream fills it, also with the first app installed in another tab. */}
    <div class="grid-cards tiles" id="app-list">
      {raw(tilesHtml(apps, owners, offerOf))}
    </div>
  </Layout>
);

const LogLines: FC<{ lines: LogLine[] }> = ({ lines }) => (
  <>
    {lines.map((l) => (
      <p class={l.level}>{l.message}</p>
    ))}
  </>
);

/** The current (or last) job of the app: progress, log, elapsed time; on failure the reason and Retry. */
export const ProgressPanel: FC<{
  app: Application;
  job: Job | undefined;
  lines: LogLine[];
  csrf: string;
}> = ({ app, job, lines, csrf }) => {
  if (!job) return <section id="progress" />;
  const active = job.status === "queued" || job.status === "running";
  const failed = job.status === "failed" || (!active && app.status === "error" && isInstall(job.kind));
  const label = kindLabel(job.kind);
  const since = (job.startedAt ?? job.createdAt).toISOString();
  const until = active ? undefined : (job.finishedAt ?? job.updatedAt).toISOString();
  const n = job.progress?.step_index ?? 0;
  const total = job.progress?.total_steps ?? 0;
  const canRetry = failed && isInstall(job.kind) && app.status === "error" && app.vmid === null;
  if (!active && !failed && job.status === "succeeded" && isStable(app.status)) {
    return (
      <section id="progress" data-job-status={job.status}>
        <details>
          <summary>
            {label} finished {when(job.finishedAt)} (took <span data-since={since} data-until={until} />)
          </summary>
          <div class="live-log" id="log-lines">
            <LogLines lines={lines} />
          </div>
        </details>
      </section>
    );
  }
  return (
    <section id="progress" data-job-status={job.status} aria-labelledby="progress-title">
      <article>
        <header>
          <h2 id="progress-title">
            {active ? `${label} in progress` : failed ? `${label} failed` : `${label} ${job.status}`}
          </h2>
        </header>
        {active ? (
          <>
            <progress value={n} max={total || 1} aria-label={`${label} progress`} />
            <p class="steps" id="progress-step">
              {job.progress
                ? `Step ${n} of ${total}: ${job.progress.step.replace(/_/g, " ")}`
                : "Waiting for a worker…"}{" "}
              · elapsed <span data-since={since} />
            </p>
          </>
        ) : null}
        {failed ? (
          <>
            <p class="reason" id="failure-reason" role="alert">
              {app.statusReason ?? job.error ?? "The job failed."}
            </p>
            {isInstall(job.kind) && app.vmid === null ? (
              <p>The container this install created was removed; nothing is left behind on Proxmox.</p>
            ) : null}
            {canRetry ? <RetryForm app={app} csrf={csrf} errors={{}} /> : null}
          </>
        ) : null}
        <h3>Log</h3>
        <div class="live-log" id="log-lines" role="log" aria-live="off" tabindex={0} aria-label="Job log">
          <LogLines lines={lines} />
        </div>
      </article>
    </section>
  );
};

export const AppHeader: FC<{ app: Application; offer?: UpdateOffer }> = ({ app, offer = {} }) => (
  <div id="app-header">
    <div class="card-head">
      <AppIcon id={appIconId(app)} large />
      <hgroup>
        <h1>{app.hostname}</h1>
        <p>
          {app.name}
          {app.catalogVersion ? ` ${app.catalogVersion}` : ""} ·{" "}
          <StatusBadge status={app.status} id="app-status" /> <HealthBadge app={app} />
        </p>
      </hgroup>
    </div>
    {app.statusReason && app.status !== "error" ? <p class="muted">{app.statusReason}</p> : null}
    {app.health === "degraded" && app.status === "running" ? (
      <p class="reason" id="health-reason">
        It stopped answering its health check: {app.healthReason ?? "no answer"}
      </p>
    ) : null}
    <UpdateBanner app={app} offer={offer} />
    <div class="actions-row" id="app-actions">
      <OpenLink app={app} />
      <QuickActions app={app} />
      {isStable(app.status) ? null : <span class="muted">{statusLabel(app.status)}…</span>}
    </div>
  </div>
);

const RUNTIME_LABEL: Record<Application["runtime"], string> = {
  docker: "Docker in an LXC container",
  oci: "OCI container (the image run by Proxmox VE)",
  lxc: "LXC container (adopted: what runs inside is left as it is)",
};

/**
 * What an app without a web interface offers instead (its catalog entry says `web: false`): the ports clients
 * connect to; undefined for an app with one (or without an entry).
 */
export interface NoWebView {
  ports: string[];
}

/** The app page's view of an entry without a web interface (undefined when it has one). */
export function noWebOf(entry: CatalogEntry | undefined): NoWebView | undefined {
  if (!entry || entry.web) return undefined;
  return { ports: entry.ports.map((p) => `${p.container}/${p.protocol}`) };
}

export const AppDetails: FC<{
  app: Application;
  owner: string | undefined;
  noWeb?: NoWebView | undefined;
}> = ({ app, owner, noWeb }) => (
  <section id="app-details">
    <h2>Details</h2>
    <dl class="facts">
      {noWeb ? (
        <>
          <dt>Web interface</dt>
          <dd id="app-no-web">
            None: this app is a service without a web interface, so there is nothing to open.
            {noWeb.ports.length > 0
              ? ` Clients connect to ${app.ip ?? "its address"} on ${noWeb.ports.join(", ")}.`
              : " It publishes no port."}
          </dd>
        </>
      ) : null}
      <dt>Node</dt>
      <dd>{app.node ?? "–"}</dd>
      <dt>Container</dt>
      <dd>{app.vmid ?? "–"}</dd>
      <dt>Runtime</dt>
      <dd id="app-runtime">{RUNTIME_LABEL[app.runtime]}</dd>
      {app.scriptSlug ? (
        <>
          <dt>Made by</dt>
          <dd>
            <a href={`https://community-scripts.org/scripts/${app.scriptSlug}`} rel="noopener noreferrer">
              the community helper script “{app.scriptSlug}”
            </a>
          </dd>
        </>
      ) : null}
      <dt>Address</dt>
      <dd>{app.url ?? app.ip ?? "–"}</dd>
      <dt>Resources</dt>
      <dd>
        {app.resources.cores} cores, {app.resources.memory_mb} MiB memory, {app.resources.disk_gb} GiB disk
      </dd>
      {owner ? (
        <>
          <dt>Owner</dt>
          <dd>{owner}</dd>
        </>
      ) : null}
      <dt>Created</dt>
      <dd>{when(app.createdAt)}</dd>
    </dl>
  </section>
);

export const AppPage: FC<{
  page: PageContext;
  app: Application;
  job: Job | undefined;
  lines: LogLine[];
  owner: string | undefined;
  offer: UpdateOffer;
  noWeb?: NoWebView | undefined;
  children?: Child;
}> = ({ page, app, job, lines, owner, offer, noWeb, children }) => (
  <Layout title={app.hostname} page={page}>
    <Breadcrumb up={{ href: "/apps", label: "My apps" }} here={app.hostname} />
    <div hx-sse:connect={`/apps/${app.id}/live`} hx-swap="none" id="live" />
    <AppHeader app={app} offer={offer} />
    <ProgressPanel app={app} job={job} lines={lines} csrf={page.csrf} />
    <AppDetails app={app} owner={owner} noWeb={noWeb} />
    {children}
    <Csrf token={page.csrf} />
  </Layout>
);

/**
 * A failed install that left nothing behind, tried again: with the same settings, or with other resources
 * or another node (the reason often says what did not fit).
 */
export const RetryForm: FC<FormProps & { app: Application }> = ({ app, csrf, errors, values = {} }) => {
  return (
    <SwapForm id="retry-form" hx-post={`/apps/${app.id}/retry`} csrf={csrf} errors={errors}>
      <details open={Object.keys(errors).length > 0}>
        <summary>Edit before retrying</summary>
        <ResourceFields
          errors={errors}
          values={values}
          stored={app.resources}
          min={{ cores: 1, memory_mb: 1, disk_gb: 1 }}
        />
        <InputField
          label="Node (empty: automatic)"
          name="node"
          errors={errors}
          value={values.node ?? ""}
          spellcheck={false}
        />
      </details>
      <div class="actions-row">
        <button type="submit" id="retry">
          Retry
        </button>
        <span class="muted">or delete the app below.</span>
      </div>
    </SwapForm>
  );
};
