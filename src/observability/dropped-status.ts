/**
 * Transactions of requests answered with these statuses never reach Sentry: the SDK's HTTP integration
 * drops them in its event processor (401–404, 301–303, 305–399: `DEFAULT_IGNORE_STATUS_CODES` of
 * @sentry/core; tests/unit/observability/unit.test.ts keeps this list in step with it) and counts each one
 * in the client report as `event_processor` — after the whole transaction was built from the span:
 * the scopes merged, every event processor run. A sampled request with such a status is counted the same
 * way here, and its span is left unended, so none of that work is done (docs/performance.md, "Seventh
 * round"). A sampled 404 costs what an unsampled request costs.
 */
import type { Span } from "@sentry/bun";
import { Sentry } from "./sdk.ts";

/** Inclusive ranges, as the SDK writes them. */
export const DROPPED_STATUS_RANGES: readonly (readonly [number, number])[] = [
  [401, 404],
  [301, 303],
  [305, 399],
];

export function isDroppedStatus(status: number): boolean {
  for (const [min, max] of DROPPED_STATUS_RANGES) if (status >= min && status <= max) return true;
  return false;
}

/**
 * Counts `span`'s transaction as the SDK's event processor drop does: the transaction, and the segment span
 * with its finished children (the spans its event would have carried).
 */
export function dropTransaction(span: Span): void {
  const client = Sentry.getClient();
  if (!client) return;
  let spans = 1;
  for (const d of Sentry.getSpanDescendants(span)) {
    // A child of a sampled span is sampled: it stops recording when it ends.
    if (d !== span && !d.isRecording()) spans++;
  }
  client.recordDroppedEvent("event_processor", "transaction");
  client.recordDroppedEvent("event_processor", "span", spans);
}
