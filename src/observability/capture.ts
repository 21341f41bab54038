/**
 * Capturing errors with the tags and contexts operators filter on, and marking the operation a request or
 * job is working on (the guide's `set_tag("operation", …)`). Inside a request or job everything is kept on
 * its unit (unit.ts) and put on a Sentry scope only when an event is captured.
 */

import type { AuthUser } from "../core/identity.ts";
import { classifyError, type OperationHints } from "./classify.ts";
import { Sentry } from "./sdk.ts";
import { state } from "./state.ts";
import { type ClientAddress, currentUnit, inUnitScope } from "./unit.ts";

export type { ClientAddress } from "./unit.ts";

export interface OperationAttributes {
  operation: string;
  app_id?: string | undefined;
  catalog_id?: string | undefined;
  vmid?: number | undefined;
  node?: string | undefined;
}

/**
 * Tags the current request or job with its operation (operation, app_id, catalog_id) and keeps vmid/node
 * for the proxmox context of a later error.
 */
export function setOperation(attrs: OperationAttributes): void {
  if (!state.enabled) return;
  const tags: Record<string, string> = { operation: attrs.operation };
  if (attrs.app_id !== undefined) tags.app_id = attrs.app_id;
  if (attrs.catalog_id !== undefined) tags.catalog_id = attrs.catalog_id;
  const unit = currentUnit();
  if (unit) {
    Object.assign(unit.tags, tags);
    unit.operation = { ...attrs };
    return;
  }
  const scope = Sentry.getIsolationScope();
  scope.setTags(tags);
  scope.setContext("operation", { ...attrs });
}

/** setOperation plus a span around `fn` (when the trace is sampled). */
export function withOperation<T>(attrs: OperationAttributes, fn: () => T): T {
  if (!state.enabled) return fn();
  setOperation(attrs);
  return Sentry.startSpan({ name: attrs.operation, op: "operation", onlyIfParent: true }, fn);
}

function operationHints(): OperationHints {
  const unit = currentUnit();
  const ctx = (unit ? unit.operation : Sentry.getIsolationScope().getScopeData().contexts.operation) as
    | OperationHints
    | undefined;
  return { vmid: ctx?.vmid, node: ctx?.node };
}

/**
 * The Sentry user of this request or job: from the verified JWT, never from anything the client claims.
 * The address is added to each event that carries the user, worked out only when one does.
 */
export function setRequestUser(user: AuthUser, ip?: ClientAddress): void {
  if (!state.enabled) return;
  const sentryUser = {
    id: user.id,
    username: user.username,
    ...(user.email ? { email: user.email } : {}),
    role: user.role,
  };
  const unit = currentUnit();
  if (unit) {
    unit.user = sentryUser;
    if (ip !== undefined) unit.address = ip;
    unit.tags.authenticated = "true";
    unit.tags.user_role = user.role;
    return;
  }
  const scope = Sentry.getIsolationScope();
  scope.setUser(typeof ip === "string" ? { ...sentryUser, ip_address: ip } : sentryUser);
  scope.setTags({ authenticated: "true", user_role: user.role });
}

/** In the current unit's scopes and span, if there is a unit. */
function inCurrentUnit<T>(fn: () => T): T {
  const unit = currentUnit();
  return unit ? inUnitScope(unit, fn) : fn();
}

/**
 * Captures `err` as a failed request/job: error_type and status_code tags, proxmox/app_service/exception
 * contexts. Returns the event id ("" when Sentry is off).
 */
export function captureError(
  err: unknown,
  options: { status?: number; mechanism?: string; handled?: boolean } = {},
): string {
  if (!state.enabled) return "";
  const status = options.status ?? 500;
  const classified = classifyError(err, status, operationHints());
  return inCurrentUnit(() =>
    Sentry.withScope((scope) => {
      scope.setTags(classified.tags);
      for (const [name, ctx] of Object.entries(classified.contexts)) scope.setContext(name, ctx);
      scope.setLevel("error");
      return Sentry.captureException(err, {
        mechanism: { type: options.mechanism ?? "proximity", handled: options.handled ?? false },
      });
    }),
  );
}

/** A message at a level (production only sends error and fatal). */
export function reportMessage(
  message: string,
  level: "info" | "warning" | "error" | "fatal" = "info",
): string {
  if (!state.enabled) return "";
  return inCurrentUnit(() => Sentry.captureMessage(message, level));
}
