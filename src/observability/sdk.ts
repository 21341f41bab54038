/**
 * The Sentry SDK, loaded only when a DSN is configured. Importing @sentry/bun costs ~35 MB of resident
 * memory and start-up time even if Sentry stays off, and most installations run without it. Every use of
 * `Sentry` below is behind `state.enabled`, which only initObservability sets — after loadSentrySdk().
 */
import type * as SentryModule from "@sentry/bun";

export type SentrySdk = typeof SentryModule;

/** A live binding: undefined until loadSentrySdk() resolves. */
export let Sentry: SentrySdk = undefined as unknown as SentrySdk;

export async function loadSentrySdk(): Promise<SentrySdk> {
  Sentry ??= await import("@sentry/bun");
  return Sentry;
}
