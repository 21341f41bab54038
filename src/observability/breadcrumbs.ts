/**
 * Breadcrumb helpers for features (they never import the SDK). Each is a no-op without SENTRY_DSN. Crumbs go
 * to the current unit of work (unit.ts: the request or job of the async context), so they must be called in
 * the request's (or job's) own async context; outside any unit, to the process-wide isolation scope.
 *
 * Our own crumbs never go through `Sentry.addBreadcrumb`: that path runs the `beforeBreadcrumb` filter
 * inside a console sandbox (the console methods swapped out and back) for every crumb, and the filter only
 * ever changes console, fetch and http crumbs — never ours (categories db.query, http.request, proxmox.*,
 * ssh, user.action, system, job). Events are still scrubbed in beforeSend. The SDK's own crumbs (an
 * outgoing fetch) are moved into the unit by the filter (init.ts).
 */

import type { Breadcrumb } from "@sentry/bun";
import { Sentry } from "./sdk.ts";
import { state } from "./state.ts";
import { addUnitCrumb, currentUnit } from "./unit.ts";

export type CrumbLevel = "debug" | "info" | "warning" | "error" | "fatal";
export type CrumbData = Record<string, string | number | boolean | null | undefined>;

export function breadcrumb(
  category: string,
  message: string,
  data?: CrumbData,
  level: CrumbLevel = "info",
  type = "default",
): void {
  if (!state.enabled) return;
  pushCrumb(category, message, data, level, type);
}

/** Same, but only inside a request or a job (keeps start-up noise out of the process-wide scope). */
export function unitBreadcrumb(...args: Parameters<typeof breadcrumb>): void {
  if (currentUnit()) breadcrumb(...args);
}

/** Adds one of our crumbs to the current unit (see the header for why not Sentry.addBreadcrumb). */
export function pushCrumb(
  category: string,
  message: string,
  data: CrumbData | undefined,
  level: CrumbLevel,
  type: string,
): void {
  const crumb: Breadcrumb = { category, message, level, type };
  if (data) crumb.data = compact(data);
  const unit = currentUnit();
  if (unit) addUnitCrumb(unit, crumb);
  else Sentry.getIsolationScope().addBreadcrumb(crumb, state.settings?.maxBreadcrumbs);
}

/** login, logout, register, settings change, deploy … */
export function userAction(action: string, data?: CrumbData, level: CrumbLevel = "info"): void {
  breadcrumb("user.action", action, data, level, "user");
}

/** Container lifecycle, host reachability, start-up and shutdown. */
export function systemEvent(message: string, data?: CrumbData, level: CrumbLevel = "info"): void {
  breadcrumb("system", message, data, level, "info");
}

/** One step of a background job (deploy: create → start → install …). */
export function jobStep(kind: string, step: string, data?: CrumbData, level: CrumbLevel = "info"): void {
  breadcrumb("job", `${kind}: ${step}`, { kind, step, ...data }, level, "info");
}

function compact(data: CrumbData): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const k in data) {
    const v = data[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
