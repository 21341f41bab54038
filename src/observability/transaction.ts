/**
 * A sampled request's transaction, built here from its span and the scopes, and handed to the SDK's own
 * `sendEvent` (which makes the envelope — its header with the dynamic sampling context, the sdk info — and
 * sends it through the transport with its rate limits and buffer).
 *
 * Ending the span instead runs the SDK's whole event pipeline for one event: the segment capture's debounce
 * timer, the span's conversion, a merge of four scopes' data, every client and scope event processor (one
 * per integration, most of which do nothing for a transaction), `normalize` over the finished event, then
 * the same `sendEvent`. That was about two thirds of what a sampled request cost the server
 * (docs/performance.md, "Seventh round").
 *
 * What the pipeline would have added, and where it comes from here:
 * - `contexts.trace` (ids, data, op, status, origin): the span's own JSON, as the conversion takes it;
 * - `start_timestamp`/`timestamp`, `transaction`, `transaction_info.source`, `spans` (none: see below);
 * - the scopes' tags, user, extra, contexts and level: global, then isolation, then the span's scope, then
 *   the unit's (as unit.ts's `applyUnit` would put them on the span's scope), each overriding the one before;
 * - `contexts.runtime`, `platform`, `server_name`, `environment`, `release`, `dist`, the integration names:
 *   from the client's options, as the server client and `prepareEvent` take them;
 * - `request` and the user's address: from the unit, as `applyUnit`'s event processor makes them;
 * - `contexts.response` (the status code): as the HTTP integration's event processor adds it (the statuses
 *   it drops never get here: dropped-status.ts);
 * - the dynamic sampling context: the span's own (`spanToBaggageHeader`, the SDK's computation);
 * - then the configured `beforeSendTransaction` (scrubEvent), and source `custom` if it renamed the event.
 * tests/db/observability/sampled-statuses.test.ts compares a transaction built here with one the SDK built,
 * key by key, so an SDK upgrade that changes its format shows up there.
 *
 * The SDK's pipeline still builds the transaction when this does not apply, decided when the request ends: a
 * span with child spans (an outgoing `fetch` inside the request: the SDK's conversion collects and formats
 * them), or scopes carrying what only the pipeline applies (event processors, attachments, a fingerprint).
 * Otherwise the span is not ended: nothing is left to do with it, and ending it would capture it a second
 * time. A child span started after its request ended (a call left running) is then in no transaction,
 * where the SDK would have sent it as a transaction of its own.
 */
import type { Event, Scope, Span } from "@sentry/bun";
import { requestEventData } from "./request-data.ts";
import { Sentry } from "./sdk.ts";
import { addressOf, applyUnit, type Unit } from "./unit.ts";

type ScopeData = ReturnType<Scope["getScopeData"]>;

/** @sentry/conventions SENTRY_SEGMENT_NAME_SOURCE and HTTP_RESPONSE_STATUS_CODE. */
const SEGMENT_NAME_SOURCE = "sentry.segment.name.source";
const HTTP_RESPONSE_STATUS_CODE = "http.response.status_code";

/** The server client's options this reads (not all in @sentry/bun's option types). */
interface ServerClientOptions {
  environment?: string;
  release?: string;
  dist?: string;
  maxValueLength?: number;
  platform?: string;
  runtime?: { name: string; version?: string };
  serverName?: string;
  beforeSendTransaction?: (event: Event, hint: object) => Event | null | PromiseLike<Event | null>;
}

/** As the SDK's `prepareEvent` falls back when no environment is configured. */
const DEFAULT_ENVIRONMENT = "production";

/** The dynamic sampling context the SDK computes for `span`, read back from its baggage header. */
function samplingContextOf(span: Span): Record<string, string> {
  const dsc: Record<string, string> = {};
  const header = Sentry.spanToBaggageHeader(span);
  if (!header) return dsc;
  for (const entry of header.split(",")) {
    const eq = entry.indexOf("=");
    const key = decodeURIComponent(entry.slice(0, eq).trim());
    if (key.startsWith("sentry-"))
      dsc[key.slice("sentry-".length)] = decodeURIComponent(entry.slice(eq + 1).trim());
  }
  return dsc;
}

/** What only the SDK's pipeline would apply from these scopes. */
function needsPipeline(data: ScopeData): boolean {
  return data.eventProcessors.length > 0 || data.attachments.length > 0 || data.fingerprint.length > 0;
}

function merged<T extends object>(...parts: (T | undefined)[]): T {
  return Object.assign({}, ...parts) as T;
}

const isEmpty = (o: object) => Object.keys(o).length === 0;

/**
 * What a request's end leaves for its transaction: the span's scope, the data of the global, isolation and
 * span scopes then, the unit's tags then, the end time.
 */
interface Ended {
  unit: Unit;
  span: Span;
  scope: Scope;
  scopes: [ScopeData, ScopeData, ScopeData];
  tags: Record<string, string>;
  end: number;
}

/** Sends the transaction of a sampled span (whose status is already set). */
function sendRequestTransaction({ unit, span, scopes, tags: unitTags, end }: Ended): void {
  const client = Sentry.getClient();
  if (!client) return;
  const options = client.getOptions() as ServerClientOptions;
  const json = Sentry.spanToStaticSpanJSON(span);
  const data = { ...json.data };
  const source = data[SEGMENT_NAME_SOURCE];

  const [global, isolation, own] = scopes;
  const tags = merged<Record<string, unknown>>(...scopes.map((s) => s.tags), unitTags);
  const extra = merged<Record<string, unknown>>(...scopes.map((s) => s.extra));
  // applyUnit's setUser replaces the span scope's user; the scopes' users merge as the SDK merges them.
  const user = merged<Record<string, unknown>>(global.user, isolation.user, unit.user ?? own.user);
  const contexts = merged<NonNullable<Event["contexts"]>>(...scopes.map((s) => s.contexts));
  if (unit.operation) contexts.operation = unit.operation;
  if (options.runtime) contexts.runtime = options.runtime;
  contexts.trace = {
    parent_span_id: json.parent_span_id,
    span_id: json.span_id,
    trace_id: json.trace_id,
    data,
    op: json.op,
    status: json.status,
    origin: json.origin,
  };
  const status = data[HTTP_RESPONSE_STATUS_CODE];
  if (typeof status === "number") contexts.response = { ...contexts.response, status_code: status };
  const level = scopes.reduce<ScopeData["level"]>((l, s) => s.level ?? l, undefined);

  const event: Event = {
    contexts,
    spans: [],
    start_timestamp: json.start_timestamp,
    timestamp: end,
    transaction: json.description ?? "<unlabeled transaction>",
    type: "transaction",
    event_id: crypto.randomUUID().replaceAll("-", ""),
    environment: options.environment || DEFAULT_ENVIRONMENT,
    sdk: { integrations: client.getIntegrationNames() },
    sdkProcessingMetadata: { dynamicSamplingContext: samplingContextOf(span) },
  };
  if (typeof source === "string") event.transaction_info = { source: source as "route" };
  if (options.platform) event.platform = options.platform;
  if (options.serverName) event.server_name = options.serverName;
  if (options.release) event.release = options.release;
  if (options.dist) event.dist = options.dist;
  if (!isEmpty(tags)) event.tags = tags as Event["tags"];
  if (!isEmpty(extra)) event.extra = extra;
  if (level) event.level = level;
  if (!isEmpty(user)) {
    if (user.ip_address === undefined) {
      const ip = addressOf(unit);
      if (ip) user.ip_address = ip;
    }
    event.user = user;
  }
  if (unit.request) {
    event.request = requestEventData(unit.request);
    const max = options.maxValueLength;
    if (max && event.request.url && event.request.url.length > max) {
      event.request.url = `${event.request.url.slice(0, max)}...`;
    }
  }
  const name = event.transaction;
  const hook = options.beforeSendTransaction;
  const processed = hook ? hook(event, {}) : event;
  if (processed && "then" in processed) {
    void Promise.resolve(processed).then((p) => send(p, name));
    return;
  }
  send(processed, name);
}

/** What the SDK does with the result of `beforeSendTransaction`. */
function send(processed: Event | null, name: string | undefined): void {
  const client = Sentry.getClient();
  if (!client) return;
  if (!processed) {
    client.recordDroppedEvent("before_send", "transaction");
    client.recordDroppedEvent("before_send", "span", 1);
    return;
  }
  if (processed.transaction !== name && processed.transaction_info) {
    processed.transaction_info = { ...processed.transaction_info, source: "custom" };
  }
  client.sendEvent(processed);
}

/**
 * Ended requests whose transactions are still to be built: built after the response has gone, as the SDK
 * defers its own capture, in batches at most DRAIN_MS apart (its debounce waits as long under load), and at
 * once when the client is flushed. Sent one by one as requests end, each envelope's `fetch` woke the HTTP
 * client thread on its own: in a profile `fetch` took 2.4 times as long per envelope as in batches.
 */
const DRAIN_MS = 100;

let pending: Ended[] = [];
let hooked = false;

let timer: ReturnType<typeof setTimeout> | undefined;

function drain(): void {
  if (timer) clearTimeout(timer);
  timer = undefined;
  const batch = pending;
  pending = [];
  for (const ended of batch) {
    try {
      sendRequestTransaction(ended);
    } catch {
      // Whatever went wrong here, the SDK's own pipeline still builds it.
      endInSdk(ended.unit, ended.span, ended.scope, ended.end);
    }
  }
}

/** The SDK's way: the unit's data on the span's scope, the span ended (its transaction built from both). */
function endInSdk(unit: Unit, span: Span, scope: Scope, end?: number): void {
  applyUnit(scope, unit);
  span.end(end);
}

/**
 * Ends a sampled request's transaction: built and sent by the layer when it can (above), by the SDK's
 * pipeline otherwise. Call in the request's async context, once its status is set on the span.
 */
export function endRequestTransaction(unit: Unit, span: Span): void {
  const client = Sentry.getClient();
  if (!client) return;
  const scope = Sentry.getCurrentScope();
  // Decided now, not when the batch is built: a span ended now is captured by the SDK's own flush.
  if (Sentry.getSpanDescendants(span).length > 1) {
    endInSdk(unit, span, scope);
    return;
  }
  const scopes: Ended["scopes"] = [
    Sentry.getGlobalScope().getScopeData(),
    Sentry.getIsolationScope().getScopeData(),
    scope.getScopeData(),
  ];
  if (scopes.some(needsPipeline)) {
    endInSdk(unit, span, scope);
    return;
  }
  if (!hooked) {
    hooked = true;
    client.on("flush", drain);
  }
  pending.push({
    unit,
    span,
    scope,
    scopes,
    tags: { ...unit.tags },
    end: (performance.timeOrigin + performance.now()) / 1000,
  });
  timer ??= setTimeout(drain, DRAIN_MS);
}
