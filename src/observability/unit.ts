/**
 * The unit of work the layer describes — a request or a job — held in the layer's own AsyncLocalStorage:
 * its breadcrumbs, tags, user, operation, transaction name, performance counters and trace. A Sentry scope
 * is built from it only when it is needed: when an event is captured (`inUnitScope`), and for a sampled
 * trace's transaction just before it is sent (`applyUnit`).
 *
 * Forking a Sentry isolation scope for every request (`withIsolationScope`) cloned two scopes and drew three
 * trace ids through `crypto.randomUUID`, and every tag, crumb and user then went through the scope's
 * setters and listeners — for requests nine in ten of which, in production, never produce anything that is
 * sent (docs/performance.md, "Sixth round"). Concurrent units stay apart exactly as forked scopes did:
 * each has its own object, found through the async context.
 *
 * Outside any unit (start-up, the periodic sync) the layer writes to the process-wide isolation scope as
 * before, and those crumbs reach every later event.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Breadcrumb, Event, Scope, Span, User } from "@sentry/bun";
import { requestEventData } from "./request-data.ts";
import { requestSpanOptions } from "./request-span.ts";
import { Sentry } from "./sdk.ts";
import { state } from "./state.ts";

/** A client address, or how to work it out (Bun asks the socket: done only when an event needs it). */
export type ClientAddress = string | (() => string | undefined);

export interface PerfStats {
  startedAt: number;
  db_calls: number;
  db_ms: number;
  proxmox_calls: number;
  proxmox_ms: number;
  ssh_calls: number;
  ssh_ms: number;
}

export interface Unit {
  crumbs: Breadcrumb[];
  tags: Record<string, string>;
  user: User | undefined;
  /** The user's address: not worked out yet, or what it came to ("" when unknown). */
  address: ClientAddress | undefined;
  /** The `operation` context (setOperation). */
  operation: Record<string, unknown> | undefined;
  transactionName: string | undefined;
  stats: PerfStats;
  /** The request of a request unit: its event data is built from it only when an event is. */
  request: Request | undefined;
  /** The newest process-wide crumb when the unit began: later ones belong to other work. */
  processCrumb: Breadcrumb | undefined;
  /**
   * Whether the unit's trace is its own (a request without `sentry-trace`). Its id is made when first
   * needed; `sampleRand` is the SDK's sampling draw for it (sampled when below the rate).
   */
  ownTrace: boolean;
  traceId: string | undefined;
  sampleRand: number;
  /** The path of an unsampled request whose span is started only if an event needs it (request-span.ts). */
  deferredPath: string | undefined;
  span: Span | undefined;
}

const storage = new AsyncLocalStorage<Unit>();

export function newUnit(request?: Request, ownTrace = false): Unit {
  return {
    crumbs: [],
    tags: {},
    user: undefined,
    address: undefined,
    operation: undefined,
    transactionName: undefined,
    stats: {
      startedAt: performance.now(),
      db_calls: 0,
      db_ms: 0,
      proxmox_calls: 0,
      proxmox_ms: 0,
      ssh_calls: 0,
      ssh_ms: 0,
    },
    request,
    processCrumb: state.defaultIsolationScope?.getLastBreadcrumb(),
    ownTrace,
    traceId: undefined,
    sampleRand: Math.random(),
    deferredPath: undefined,
    span: undefined,
  };
}

export function runInUnit<A extends unknown[], T>(unit: Unit, fn: (...args: A) => T, ...args: A): T {
  return storage.run(unit, fn, ...args);
}

/** Runs `fn` as part of no unit (work done on behalf of the process, even if a request set it off). */
export function outsideUnit<T>(fn: () => T): T {
  return storage.exit(fn);
}

/** The unit of the current async context (undefined outside requests and jobs, and with Sentry off). */
export function currentUnit(): Unit | undefined {
  return state.enabled ? storage.getStore() : undefined;
}

/** The SDK keeps messages this long at most. */
const MAX_MESSAGE = 2048;

/** Adds a crumb (with its timestamp) to the unit, keeping the newest SENTRY_MAX_BREADCRUMBS. */
export function addUnitCrumb(unit: Unit, crumb: Breadcrumb): void {
  const max = state.settings?.maxBreadcrumbs ?? 100;
  if (max <= 0) return;
  crumb.timestamp ??= Date.now() / 1000;
  if (crumb.message !== undefined && crumb.message.length > MAX_MESSAGE) {
    crumb.message = `${crumb.message.slice(0, MAX_MESSAGE)}...`;
  }
  if (unit.crumbs.push(crumb) > max) unit.crumbs.shift();
}

const round = (ms: number) => Math.round(ms * 10) / 10;

function performanceContext(stats: PerfStats): Record<string, number> {
  return {
    elapsed_ms: round(performance.now() - stats.startedAt),
    db_calls: stats.db_calls,
    db_ms: round(stats.db_ms),
    proxmox_calls: stats.proxmox_calls,
    proxmox_ms: round(stats.proxmox_ms),
    ssh_calls: stats.ssh_calls,
    ssh_ms: round(stats.ssh_ms),
  };
}

/** The user's address, worked out the first time it is needed. */
export function addressOf(unit: Unit): string | undefined {
  let ip = unit.address;
  if (typeof ip === "function") {
    ip = ip() ?? "";
    unit.address = ip;
  }
  return ip && ip !== "unknown" ? ip : undefined;
}

/** Works the address out now, for a transaction built after the response has gone. */
export function settleUserAddress(unit: Unit): void {
  addressOf(unit);
}

/**
 * Puts the unit's user, tags, operation context and transaction name on `scope`, and an event processor
 * for what is worked out per event: the request data, the user's address, and (error events only) the
 * performance counters.
 */
export function applyUnit(scope: Scope, unit: Unit): void {
  if (unit.user) scope.setUser(unit.user);
  scope.setTags(unit.tags);
  if (unit.operation) scope.setContext("operation", unit.operation);
  if (unit.transactionName) scope.setTransactionName(unit.transactionName);
  scope.addEventProcessor((event: Event) => {
    if (unit.request) event.request = requestEventData(unit.request);
    if (event.user && event.user.ip_address === undefined) {
      const ip = addressOf(unit);
      if (ip) event.user = { ...event.user, ip_address: ip };
    }
    if (event.type === undefined) {
      event.contexts = { ...event.contexts, performance: performanceContext(unit.stats) };
    }
    return event;
  });
}

/**
 * The isolation scope an event of `unit` is built in: the process-wide one as it was when the unit began
 * (its crumbs up to then), then the unit's crumbs and data — what a scope forked at the start would hold.
 */
function unitIsolationScope(unit: Unit): Scope {
  const processScope = state.defaultIsolationScope ?? Sentry.getIsolationScope();
  const scope = processScope.clone();
  const processCrumbs = processScope.getScopeData().breadcrumbs;
  const kept = unit.processCrumb ? processCrumbs.lastIndexOf(unit.processCrumb) + 1 : 0;
  const max = state.settings?.maxBreadcrumbs;
  scope.clearBreadcrumbs();
  for (let i = 0; i < kept; i++) scope.addBreadcrumb(processCrumbs[i]!, max);
  for (const crumb of unit.crumbs) scope.addBreadcrumb(crumb, max);
  applyUnit(scope, unit);
  return scope;
}

/** A trace id as the SDK makes them (32 hex digits). */
function newTraceId(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

/** Runs `fn` in the unit's own trace (a request without `sentry-trace`): its id, its sampling draw. */
export function inOwnTrace<T>(unit: Unit, fn: () => T): T {
  return Sentry.withScope((scope) => {
    unit.traceId ??= newTraceId();
    scope.setPropagationContext({ traceId: unit.traceId, sampleRand: unit.sampleRand });
    return fn();
  });
}

/**
 * Runs `fn` (which captures an event) with the unit's data on the scopes and its span active: an unsampled
 * request's span is started now, so the event carries the span and the trace's `sampled: false`.
 */
export function inUnitScope<T>(unit: Unit, fn: () => T): T {
  return Sentry.withIsolationScope(unitIsolationScope(unit), () => {
    if (unit.span) return Sentry.withActiveSpan(unit.span, fn);
    if (!unit.ownTrace) return fn();
    if (unit.deferredPath === undefined || !unit.request) return inOwnTrace(unit, fn);
    const options = requestSpanOptions(unit.request.method, unit.deferredPath, unit.transactionName);
    return inOwnTrace(unit, () =>
      Sentry.startSpanManual(options, (span) => {
        unit.span = span;
        return fn();
      }),
    );
  });
}
