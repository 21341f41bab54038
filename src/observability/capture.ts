/**
 * Capturing errors with the tags and contexts operators filter on, and marking the operation a request or
 * job is working on (the guide's `set_tag("operation", …)`).
 */

import type { Event, Scope } from "@sentry/bun";
import type { AuthUser } from "../core/identity.ts";
import { classifyError, type OperationHints } from "./classify.ts";
import { inRequestSpan } from "./request-span.ts";
import { Sentry } from "./sdk.ts";
import { state } from "./state.ts";

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
  const scope = Sentry.getIsolationScope();
  scope.setTag("operation", attrs.operation);
  if (attrs.app_id !== undefined) scope.setTag("app_id", attrs.app_id);
  if (attrs.catalog_id !== undefined) scope.setTag("catalog_id", attrs.catalog_id);
  scope.setContext("operation", { ...attrs });
}

/** setOperation plus a span around `fn` (when the trace is sampled). */
export function withOperation<T>(attrs: OperationAttributes, fn: () => T): T {
  if (!state.enabled) return fn();
  setOperation(attrs);
  return Sentry.startSpan({ name: attrs.operation, op: "operation", onlyIfParent: true }, fn);
}

function operationHints(): OperationHints {
  const ctx = Sentry.getIsolationScope().getScopeData().contexts.operation as OperationHints | undefined;
  return { vmid: ctx?.vmid, node: ctx?.node };
}

/** A client address, or how to work it out (Bun asks the socket: done only when an event needs it). */
export type ClientAddress = string | (() => string | undefined);

/** Per request: the address not yet worked out, or what it came to ("" when unknown). */
const addresses = new WeakMap<Scope, ClientAddress>();

/**
 * The Sentry user of this request or job: from the verified JWT, never from anything the client claims.
 * The address is added to each event that carries the user (addUserAddress).
 */
export function setRequestUser(user: AuthUser, ip?: ClientAddress): void {
  if (!state.enabled) return;
  const scope = Sentry.getIsolationScope();
  scope.setUser({
    id: user.id,
    username: user.username,
    ...(user.email ? { email: user.email } : {}),
    role: user.role,
  });
  if (ip !== undefined) addresses.set(scope, ip);
  scope.setTags({ authenticated: "true", user_role: user.role });
}

function addressOf(scope: Scope): string | undefined {
  let ip = addresses.get(scope);
  if (typeof ip === "function") {
    ip = ip() ?? "";
    addresses.set(scope, ip);
  }
  return ip && ip !== "unknown" ? ip : undefined;
}

/** Puts the request's client address on an event's user (while the request is in flight). */
export function addUserAddress(scope: Scope, event: Event): void {
  if (!event.user || event.user.ip_address !== undefined) return;
  const ip = addressOf(scope);
  if (ip) event.user = { ...event.user, ip_address: ip };
}

/** Works the address out now, for events built after the response has gone (a sampled transaction). */
export function settleUserAddress(scope: Scope): void {
  addressOf(scope);
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
  return inRequestSpan(() =>
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
  return inRequestSpan(() => Sentry.captureMessage(message, level));
}
