/**
 * How envelopes reach Sentry: @sentry/bun's fetch transport (one POST per envelope, the SDK's rate-limit
 * headers read back), but calling the fetch that existed before the SDK patched it. Through the patched one
 * every envelope paid for the SDK's outgoing-call instrumentation — an `Error` with its stack, header and
 * URL parsing, two handler rounds that then skip Sentry's own URL, and a scope clone to suppress tracing —
 * about a tenth of the production layer's CPU in a profile (docs/performance.md, "Sixth round"). Nothing of
 * that reached the wire: the SDK records no breadcrumb and no span for its own requests.
 */
import type { BunOptions } from "@sentry/bun";
import { Sentry } from "./sdk.ts";

type TransportFactory = NonNullable<BunOptions["transport"]>;
type TransportOptions = Parameters<TransportFactory>[0] & { headers?: Record<string, string> };

export function fetchTransport(fetchImpl: typeof fetch): TransportFactory {
  return (options: TransportOptions) =>
    Sentry.createTransport(options, (request) =>
      fetchImpl(options.url, {
        body: request.body as BodyInit,
        method: "POST",
        ...(options.headers ? { headers: options.headers } : {}),
      }).then((response) => ({
        statusCode: response.status,
        headers: {
          "x-sentry-rate-limits": response.headers.get("X-Sentry-Rate-Limits"),
          "retry-after": response.headers.get("Retry-After"),
        },
      })),
    );
}
