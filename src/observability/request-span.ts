/**
 * The span of a request whose trace is not sampled (nine in ten in production) is started only if an event
 * needs it (unit.ts, `inUnitScope`): an error's envelope carries the trace's sampling decision
 * (`sampled: false`) and its span. Starting it costs scope clones, the sampler and the span's ids and
 * bookkeeping on every request (docs/performance.md, "Sentry layer"), and most requests never produce an
 * event.
 *
 * The decision is the SDK's own rule, taken before the span exists: a trace is sampled when its
 * `sample_rand` is below the rate. The SDK takes the same decision again when a deferred span is started
 * (same `sample_rand`, same rate), and a request that never starts one is counted as a dropped transaction
 * in the client report, as the SDK counts an unsampled span.
 */
import { Sentry } from "./sdk.ts";
import type { Unit } from "./unit.ts";

/** Whether the SDK would sample the unit's own trace at `rate` (its rule: `sample_rand < rate`). */
export function traceSampled(unit: Unit, rate: number): boolean {
  return unit.sampleRand < rate;
}

/** At the end of a request: a deferred span never started is counted as the SDK counts an unsampled one. */
export function settleRequestSpan(unit: Unit): void {
  if (!unit.deferredSpan) return;
  unit.deferredSpan = undefined;
  if (unit.span) {
    if (unit.span.isRecording()) unit.span.end();
    return;
  }
  const client = Sentry.getClient();
  client?.recordDroppedEvent("sample_rate", "transaction");
  client?.recordDroppedEvent("sample_rate", "span");
}
