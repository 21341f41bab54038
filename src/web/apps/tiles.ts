/**
 * The dashboard's tiles (My apps) and the quick actions, written as one string rather than JSX: the page
 * lists up to 100 apps, and making and walking their element tree was most of its render time
 * (docs/performance.md, "Sixth round"). The markup is what the JSX wrote, byte for byte; every value an
 * app's owner or its store controls (hostname, name, status reason, health reason, address, icon id, owner's
 * name, the catalog's version) goes through escapeHtml, the function JSX escapes with.
 */
import { type AppView, appIconId, canRun } from "../../features/apps/index.ts";
import { appIconHtml, escapeHtml, statusBadgeHtml } from "../kit/index.ts";
import { healthBadgeHtml, type UpdateOffer, updateBadgeHtml } from "./day-two.tsx";
import { openUrl } from "./exposure.tsx";

/**
 * What a tile reads of an app: a whole row (the live stream's single app) or the prepared list's narrower
 * row (`AppsService.listViews`, the same as the API's list).
 */
export type TileApp = Pick<
  AppView,
  | "id"
  | "name"
  | "hostname"
  | "catalogId"
  | "catalogVersion"
  | "scriptSlug"
  | "status"
  | "statusReason"
  | "ownerId"
  | "node"
  | "vmid"
  | "url"
  | "httpsUrl"
  | "resources"
  | "updateMode"
  | "updateWindow"
  | "health"
  | "healthReason"
>;

const ACTIONS = [
  ["start", "Start"],
  ["stop", "Stop"],
  ["restart", "Restart"],
] as const;

/** Each action's hx-vals, escaped once. */
const ACTION_VALS = Object.fromEntries(
  ACTIONS.map(([action]) => [action, escapeHtml(JSON.stringify({ action }))]),
) as Record<(typeof ACTIONS)[number][0], string>;

/** Start/stop/restart, as the app's state allows ("" for a failed install, whose container is gone). */
export function quickActionsHtml(
  app: Pick<TileApp, "id" | "hostname" | "status" | "vmid">,
  small: boolean,
): string {
  if (app.status === "error" && app.vmid === null) return "";
  const id = escapeHtml(app.id);
  const hostname = escapeHtml(app.hostname);
  const size = small ? "small" : "";
  let html = "";
  for (const [action, label] of ACTIONS) {
    if (!canRun(action, app.status)) continue;
    html +=
      `<button type="button" class="${action === "start" ? "" : "secondary "}${size}" hx-post="/apps/${id}/action"` +
      ` hx-vals="${ACTION_VALS[action]}" hx-swap="none" aria-label="${label} ${hostname}">${label}</button>`;
  }
  return html;
}

/** Memory as people read it: 512 MiB, 2 GiB. */
function memory(mb: number): string {
  return mb >= 1024 && mb % 1024 === 0
    ? `${mb / 1024} GiB`
    : mb >= 1024
      ? `${(mb / 1024).toFixed(1)} GiB`
      : `${mb} MiB`;
}

/**
 * One app as a launcher tile: the whole tile opens the app (its address, in a new tab) while it runs, and
 * its page otherwise; a status dot, the name cut with "…", what it is given at a glance, Manage and the
 * quick actions. `owner`: the owner's name, for administrators.
 */
export function appTileHtml(app: TileApp, owner: string | undefined, offer: UpdateOffer): string {
  const id = escapeHtml(app.id);
  const hostname = escapeHtml(app.hostname);
  const page = `/apps/${id}`;
  const open = app.status === "running" ? (openUrl(app) ?? undefined) : undefined;
  const link =
    open === undefined
      ? `href="${page}"`
      : `href="${escapeHtml(open)}"` +
        (open
          ? ` target="_blank" rel="noopener noreferrer" aria-label="Open ${hostname}" data-open-link="true"`
          : "");
  const reason =
    app.statusReason && app.status === "error"
      ? `<small class="reason">${escapeHtml(app.statusReason)}</small>`
      : "";
  const { cores, memory_mb, disk_gb } = app.resources;
  const meta =
    `${cores} ${cores === 1 ? "core" : "cores"} · ${memory(memory_mb)} · ${disk_gb} GiB` +
    `${app.node ? ` · ${app.node}` : ""}${owner ? ` · ${owner}` : ""}`;
  return (
    `<article id="app-${id}" data-hostname="${hostname}" class="tile"><div class="card-head">` +
    `${appIconHtml(appIconId(app))}<div class="tile-title"><h2><a class="tile-link" ${link} title="${hostname}">` +
    `${hostname}</a></h2><small class="muted">${escapeHtml(app.name)}</small></div></div>` +
    `<p class="tile-status">${statusBadgeHtml(app.status)} ${healthBadgeHtml(app)} ${updateBadgeHtml(offer)} ${reason}</p>` +
    `<p class="tile-meta">${escapeHtml(meta)}</p>` +
    `<div class="actions-row"><a href="${page}" class="button-link secondary small" aria-label="Manage ${hostname}">` +
    `Manage</a>${quickActionsHtml(app, true)}</div></article>`
  );
}

/** The tiles of a list, in its order (the dashboard, and the live stream's first event). */
export function tilesHtml(
  apps: TileApp[],
  owners: Map<string, string> | undefined,
  offerOf: (app: TileApp) => UpdateOffer,
): string {
  let html = "";
  for (const a of apps) html += appTileHtml(a, owners?.get(a.ownerId), offerOf(a));
  return html;
}
