/**
 * Preloaded (bunfig) and imported first by index.ts: Sentry must be initialised before Bun.serve and fetch
 * are used. Does nothing without SENTRY_DSN. See the README section "Error monitoring".
 */
import { initObservabilityFromEnv } from "./observability/init.ts";

// Top-level await: whoever imports this module first (index.ts, the bunfig preload) waits for the SDK.
await initObservabilityFromEnv();
