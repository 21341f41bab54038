/** Sends what the Sentry layer still holds before the process exits (the SDK installs no SIGTERM handler). */
import { Sentry } from "./sdk.ts";
import { state } from "./state.ts";

/** Flushes and closes the client; resolves true when everything queued was delivered in time. */
export async function flushObservability(timeoutMs = 2000): Promise<boolean> {
  if (!state.enabled || !Sentry.getClient()) return true;
  const drained = await Sentry.close(timeoutMs);
  state.enabled = false;
  return drained;
}
