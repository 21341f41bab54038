/**
 * The span of a request whose trace is not sampled (nine in ten in production) is started only if an event
 * needs it (unit.ts, `inUnitScope`): an error's envelope carries the trace's sampling decision
 * (`sampled: false`) and its span. Starting it costs scope clones, the sampler and the span's ids and
 * bookkeeping on every request (docs/performance.md, "Sentry layer"), and most requests never produce an
 * event; even its options are made only then.
 *
 * The decision is the SDK's own rule, taken before the span exists: a trace is sampled when its
 * `sample_rand` is below the rate. The SDK takes the same decision again when a deferred span is started
 * (same `sample_rand`, same rate), and a request that never starts one is counted as a dropped transaction
 * in the client report, as the SDK counts an unsampled span.
 */
import type { Span } from "@sentry/bun";
import { Sentry } from "./sdk.ts";

/** @sentry/conventions SENTRY_SEGMENT_NAME_SOURCE (the transaction_info.source of a static transaction). */
const SEGMENT_NAME_SOURCE = "sentry.segment.name.source";
/** @sentry/conventions HTTP_ROUTE, SENTRY_ORIGIN, HTTP_REQUEST_METHOD and URL_PATH. */
const HTTP_ROUTE = "http.route";
const SENTRY_ORIGIN = "sentry.origin";
const HTTP_REQUEST_METHOD = "http.request.method";
const URL_PATH = "url.path";

export interface SpanOptions {
  name: string;
  op: string;
  attributes: Record<string, string>;
}

/** The `http.server` span of a request, named by its route template (`name`) when it has one. */
export function requestSpanOptions(method: string, path: string, name: string | undefined): SpanOptions {
  const attributes: Record<string, string> = {
    [SEGMENT_NAME_SOURCE]: name ? "route" : "url",
    [SENTRY_ORIGIN]: "auto.http.proximity",
    [HTTP_REQUEST_METHOD]: method,
    [URL_PATH]: path,
  };
  if (name) attributes[HTTP_ROUTE] = name.slice(name.indexOf(" ") + 1);
  return { name: name ?? `${method} ${path}`, op: "http.server", attributes };
}

/**
 * What this module reads and settles of a unit (unit.ts's `Unit`, which imports this module: named here by
 * its shape so the two do not import each other).
 */
interface SpanState {
  sampleRand: number;
  deferredPath: string | undefined;
  span: Span | undefined;
}

/** Whether the SDK would sample the unit's own trace at `rate` (its rule: `sample_rand < rate`). */
export function traceSampled(unit: SpanState, rate: number): boolean {
  return unit.sampleRand < rate;
}

/** At the end of a request: a deferred span never started is counted as the SDK counts an unsampled one. */
export function settleRequestSpan(unit: SpanState): void {
  if (unit.deferredPath === undefined) return;
  unit.deferredPath = undefined;
  if (unit.span) {
    if (unit.span.isRecording()) unit.span.end();
    return;
  }
  const client = Sentry.getClient();
  client?.recordDroppedEvent("sample_rate", "transaction");
  client?.recordDroppedEvent("sample_rate", "span");
}
