/**
 * Turns the validated config into Sentry init options. Pure (no SDK state), so the environment matrix,
 * sample rates and filters are unit-testable without a client.
 */
import type { Breadcrumb, BunOptions, ErrorEvent, Event } from "@sentry/bun";
import type { Config } from "../core/config.ts";
import { FILTERED, scrubUrl } from "../core/scrub.ts";
import { detectEnvironment, type EnvironmentFacts } from "./environment.ts";
import { scrubEvent } from "./event-scrub.ts";

/** Paths that are never traced (probes and scrapes would drown real transactions). */
const UNTRACED_PATHS = new Set(["/health", "/ready", "/metrics"]);

/**
 * Enough queued envelopes for a burst of 500 errors plus their transactions. The SDK default (64) dropped
 * about 70 % of such a burst.
 */
export const TRANSPORT_BUFFER_SIZE = 2000;

const DROPPED_INTEGRATIONS = new Set(["Console", "Dedupe", "BunServer"]);

type Integration = Extract<BunOptions["defaultIntegrations"], unknown[]>[number];

/**
 * Default integrations that describe the process for error events only. Context (os, device, culture,
 * app) reads the process's and the machine's memory anew for every event, about 0.1 ms each time; Modules
 * lists every installed package. Transactions (performance data, sent for a share of all requests) go
 * without both.
 */
const ERROR_ONLY_INTEGRATIONS = new Set(["Context", "Modules"]);

function errorsOnly(integration: Integration): Integration {
  const { processEvent } = integration;
  if (!processEvent) return integration;
  return {
    ...integration,
    processEvent: (event, hint, client) =>
      event.type === "transaction" ? event : processEvent.call(integration, event, hint, client),
  };
}

/**
 * Transactions carry no breadcrumbs: Sentry shows a request's trail with its errors, and with every
 * sampled request it would be normalised, scrubbed and sent again. Runs before the SDK normalises events.
 */
const transactionsWithoutBreadcrumbs: Integration = {
  name: "TransactionsWithoutBreadcrumbs",
  processEvent: (event) => {
    if (event.type === "transaction") delete event.breadcrumbs;
    return event;
  },
};

function chooseIntegrations(defaults: Integration[]): Integration[] {
  return [
    ...defaults
      .filter((i) => !DROPPED_INTEGRATIONS.has(i.name))
      .map((i) => (ERROR_ONLY_INTEGRATIONS.has(i.name) ? errorsOnly(i) : i)),
    transactionsWithoutBreadcrumbs,
  ];
}

export interface ObservabilitySettings {
  enabled: boolean;
  dsn: string | undefined;
  environment: string;
  development: boolean;
  release: string;
  debug: boolean;
  tracesSampleRate: number;
  errorSampleRate: number;
  maxBreadcrumbs: number;
  /** Host (and port) of the DSN; never the key. */
  dsnHost: string | undefined;
  version: string;
}

export function resolveSettings(config: Config, facts: EnvironmentFacts): ObservabilitySettings {
  const environment = detectEnvironment({ ...facts, explicit: config.SENTRY_ENVIRONMENT ?? facts.explicit });
  const development = environment !== "production";
  return {
    enabled: config.SENTRY_DSN !== undefined,
    dsn: config.SENTRY_DSN,
    environment,
    development,
    release: config.SENTRY_RELEASE ?? config.APP_VERSION,
    debug: development,
    tracesSampleRate: config.SENTRY_TRACES_SAMPLE_RATE ?? (development ? 1.0 : 0.1),
    errorSampleRate: 1.0,
    maxBreadcrumbs: config.SENTRY_MAX_BREADCRUMBS,
    dsnHost:
      config.SENTRY_DSN && URL.canParse(config.SENTRY_DSN) ? new URL(config.SENTRY_DSN).host : undefined,
    version: config.version,
  };
}

function pathOf(name: string, attributes: Record<string, unknown>): string {
  const fromAttr = attributes["url.path"];
  if (typeof fromAttr === "string") return fromAttr;
  const space = name.indexOf(" ");
  return (space >= 0 ? name.slice(space + 1) : name).replace(/\?.*$/, "");
}

export function isUntracedPath(path: string): boolean {
  if (UNTRACED_PATHS.has(path)) return true;
  return path.length > 1 && path.endsWith("/") && UNTRACED_PATHS.has(path.replace(/\/+$/, ""));
}

/** production only lets error and fatal through; development sends everything. */
export function passesLevelFilter(event: Event, development: boolean): boolean {
  if (development) return true;
  const level = event.level ?? "error";
  return level === "error" || level === "fatal";
}

/** Console output is not a breadcrumb (it can carry anything); fetch crumbs lose their query strings. */
export function filterBreadcrumb(crumb: Breadcrumb): Breadcrumb | null {
  if (crumb.category === "console") return null;
  if ((crumb.category === "fetch" || crumb.category === "http") && crumb.data) {
    const data = { ...crumb.data };
    if (typeof data.url === "string") data.url = scrubUrl(data.url);
    if ("url.query" in data) data["url.query"] = FILTERED;
    delete data["http.query"];
    delete data["http.fragment"];
    return { ...crumb, data };
  }
  return crumb;
}

export function buildSentryOptions(settings: ObservabilitySettings): BunOptions {
  const { development, tracesSampleRate } = settings;
  return {
    dsn: settings.dsn,
    environment: settings.environment,
    release: settings.release,
    debug: settings.debug,
    sampleRate: settings.errorSampleRate,
    maxBreadcrumbs: settings.maxBreadcrumbs,
    // Classic transaction events: beforeSendTransaction applies and tests (and Spotlight) can read them.
    traceLifecycle: "static",
    tracesSampler: ({ name, attributes, inheritOrSampleWith }) =>
      isUntracedPath(pathOf(name, attributes as Record<string, unknown>))
        ? 0
        : inheritOrSampleWith(tracesSampleRate),
    // Outgoing calls (Proxmox above all) never get sentry-trace/baggage headers.
    tracePropagationTargets: [],
    transportOptions: { bufferSize: TRANSPORT_BUFFER_SIZE },
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpBodies: [],
      urlQueryParams: true,
      httpHeaders: {
        request: {
          deny: [
            "forwarded",
            "x-real-ip",
            "cf-connecting-ip",
            "x-proxmox",
            "csrfpreventiontoken",
            "x-csrf-token",
          ],
        },
        response: { deny: ["set-cookie"] },
      },
    },
    // Console lines would become breadcrumbs copied into every later event; we add our own crumbs.
    // Dedupe drops an error equal to the previous one (same message and stack) even when it comes from
    // another request: errors are 100 %, so it goes. The same error object is still sent once (core marks it).
    // BunServer (Bun.serve instrumentation) goes too: the request layer (middleware.ts) isolates, traces
    // and describes each request itself, at a fraction of the cost (docs/performance.md). Context and
    // Modules apply to error events only, and transactions go without breadcrumbs (above).
    integrations: chooseIntegrations,
    beforeBreadcrumb: (crumb) => filterBreadcrumb(crumb),
    beforeSend: (event: ErrorEvent) => (passesLevelFilter(event, development) ? scrubEvent(event) : null),
    beforeSendTransaction: (event) => scrubEvent(event),
    // Spotlight only when asked for (SENTRY_SPOTLIGHT) and never in production.
    ...(development ? {} : { spotlight: false }),
  };
}
