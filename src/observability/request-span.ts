/**
 * The span of a request whose trace is not sampled (nine in ten in production) is started only if an event
 * needs it: an error's envelope carries the trace's sampling decision (`sampled: false`) and its span.
 * Starting it costs a scope clone, the sampler and the span's ids and bookkeeping on every request
 * (docs/performance.md, "Sentry layer"), and most requests never produce an event.
 *
 * The decision is the SDK's own rule, taken before the span exists: a trace is sampled when its
 * `sample_rand` is below the rate. The SDK takes the same decision again when a deferred span is started
 * (same `sample_rand`, same rate), and a request that never starts one is counted as a dropped transaction
 * in the client report, as the SDK counts an unsampled span.
 */
import type { Span } from "@sentry/bun";
import { Sentry } from "./sdk.ts";

type Scope = ReturnType<typeof Sentry.getIsolationScope>;

export interface RequestSpanOptions {
  name: string;
  op: string;
  attributes: Record<string, string>;
}

interface Deferred {
  options: RequestSpanOptions;
  span?: Span;
}

const deferred = new WeakMap<Scope, Deferred>();

/** Whether the SDK would sample a new trace at `rate` (its rule: `sample_rand < rate`). */
export function traceSampled(rate: number): boolean {
  return Sentry.getCurrentScope().getPropagationContext().sampleRand < rate;
}

/** The request of `scope` gets its span only if an event needs it (inRequestSpan). */
export function deferRequestSpan(scope: Scope, options: RequestSpanOptions): void {
  deferred.set(scope, { options });
}

/** Runs `fn` with the request's span active, starting a deferred one first. */
export function inRequestSpan<T>(fn: () => T): T {
  const d = deferred.get(Sentry.getIsolationScope());
  if (!d) return fn();
  if (d.span) return Sentry.withActiveSpan(d.span, fn);
  return Sentry.startSpanManual(d.options, (span) => {
    d.span = span;
    return fn();
  });
}

/** At the end of a request: a deferred span never started is counted as the SDK counts an unsampled one. */
export function settleRequestSpan(scope: Scope): void {
  const d = deferred.get(scope);
  if (!d) return;
  deferred.delete(scope);
  if (d.span) {
    if (d.span.isRecording()) d.span.end();
    return;
  }
  const client = Sentry.getClient();
  client?.recordDroppedEvent("sample_rate", "transaction");
  client?.recordDroppedEvent("sample_rate", "span");
}
