/** Sends what the Sentry layer still holds before the process exits (the SDK installs no SIGTERM handler). */
import * as Sentry from "@sentry/bun";

export async function flushObservability(timeoutMs = 2000): Promise<void> {
  if (Sentry.getClient()) await Sentry.close(timeoutMs);
}
