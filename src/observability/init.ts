/**
 * Sentry start-up, called by src/instrument.ts before anything else is imported (Bun.serve and fetch must be
 * patched before the app uses them). Only with SENTRY_DSN; otherwise the layer stays a set of no-ops.
 */
import { type Config, loadConfig } from "../core/config.ts";
import { runtime } from "../core/runtime/index.ts";
import { currentEnvironmentFacts, type EnvironmentFacts } from "./environment.ts";
import { buildSentryOptions, type ObservabilitySettings, resolveSettings } from "./options.ts";
import { loadSentrySdk } from "./sdk.ts";
import { state } from "./state.ts";
import { fetchTransport } from "./transport.ts";
import { addUnitCrumb, currentUnit } from "./unit.ts";

export async function initObservability(
  config: Config,
  facts: EnvironmentFacts = currentEnvironmentFacts(runtime.env(), config.PUBLIC_URL),
): Promise<ObservabilitySettings> {
  const settings = resolveSettings(config, facts);
  state.settings = settings;
  if (!settings.enabled || state.enabled) return settings;
  if (runtime.name !== "bun") {
    // @sentry/bun instruments Bun.serve and Bun's fetch; it cannot start elsewhere. Say so rather than
    // leave an operator believing errors are reported.
    console.warn(
      `Sentry is off: SENTRY_DSN is set, but error monitoring (@sentry/bun) runs only under Bun, not ${runtime.name} (docs/runtime.md)`,
    );
    return settings;
  }
  // Loaded only now: without a DSN the SDK is never imported (memory and start-up time).
  const Sentry = await loadSentrySdk();
  const options = buildSentryOptions(settings);
  const filter = options.beforeBreadcrumb;
  // The SDK's own crumbs (an outgoing fetch) go to the isolation scope, which inside a request or job is
  // the process-wide one (unit.ts): once filtered, they are moved into the unit of work instead.
  options.beforeBreadcrumb = (crumb, hint) => {
    const kept = filter ? filter(crumb, hint) : crumb;
    const unit = kept && currentUnit();
    if (!unit) return kept;
    addUnitCrumb(unit, kept);
    return null;
  };
  // Taken before init patches fetch: the SDK's envelopes skip its own outgoing-call instrumentation.
  options.transport = fetchTransport(globalThis.fetch);
  Sentry.init(options);
  state.enabled = Sentry.getClient() !== undefined;
  state.defaultIsolationScope = Sentry.getIsolationScope();
  const global = Sentry.getGlobalScope();
  global.setTags({ app_name: "Proximity", app_version: config.version });
  global.setContext("application", {
    name: "Proximity",
    version: config.version,
    debug: settings.debug,
    environment: settings.environment,
  });
  return settings;
}

/** From the process environment; an invalid config is left for index.ts to report (exit 2). */
export async function initObservabilityFromEnv(
  env: Record<string, string | undefined> = runtime.env(),
): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch {
    return;
  }
  await initObservability(config);
}
