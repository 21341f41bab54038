/**
 * Breadcrumb helpers for features (they never import the SDK). Each is a no-op without SENTRY_DSN. Crumbs go
 * to the current isolation scope, so they must be called in the request's (or job's) own async context.
 */

import { currentStats } from "./perf.ts";
import { Sentry } from "./sdk.ts";
import { state } from "./state.ts";

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
  Sentry.addBreadcrumb({ category, message, level, type, ...(data ? { data: compact(data) } : {}) });
}

/** Same, but only inside a request or a job (keeps start-up noise out of the process-wide scope). */
export function unitBreadcrumb(
  category: string,
  message: string,
  data?: CrumbData,
  level: CrumbLevel = "info",
  type = "default",
): void {
  if (!state.enabled || !currentStats()) return;
  Sentry.addBreadcrumb({ category, message, level, type, ...(data ? { data: compact(data) } : {}) });
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
  for (const [k, v] of Object.entries(data)) if (v !== undefined) out[k] = v;
  return out;
}
