/**
 * Which Sentry environment this process reports to, decided at run time. `process.env.NODE_ENV` is never
 * read here: `bun build --compile` inlines it, so a binary built in CI would carry the builder's value.
 */
import { hostname as osHostname } from "node:os";
import { runtime } from "../core/runtime/index.ts";

export type SentryEnvironment = "development" | "production" | (string & {});

export interface EnvironmentFacts {
  /** SENTRY_ENVIRONMENT; wins when set. */
  explicit?: string | undefined;
  /** The machine's host name. */
  hostname: string;
  /** PUBLIC_URL (only its host is looked at). */
  publicUrl?: string | undefined;
  /** True inside `bun test` (tests always report to the development stream). */
  underTest: boolean;
}

/** localhost, 127.0.0.1 (and ::1), or any name containing "local" or "test". */
function isDevelopmentHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, "");
  if (!h) return false;
  return h === "127.0.0.1" || h === "::1" || h.includes("local") || h.includes("test");
}

function hostOf(url: string | undefined): string | undefined {
  if (!url || !URL.canParse(url)) return undefined;
  return new URL(url).hostname;
}

export function detectEnvironment(facts: EnvironmentFacts): SentryEnvironment {
  const explicit = facts.explicit?.trim();
  if (explicit) return explicit;
  if (facts.underTest) return "development";
  if (isDevelopmentHost(facts.hostname)) return "development";
  const publicHost = hostOf(facts.publicUrl);
  if (publicHost && isDevelopmentHost(publicHost)) return "development";
  return "production";
}

/** `bun test` sets NODE_ENV=test at run time (read through runtime.env(), which the compiler leaves alone). */
export function runningUnderBunTest(env: Record<string, string | undefined> = runtime.env()): boolean {
  return env.NODE_ENV === "test" || /\.(test|spec)\.[cm]?[jt]sx?$/.test(runtime.mainModule());
}

export function currentEnvironmentFacts(
  env: Record<string, string | undefined>,
  publicUrl: string | undefined,
): EnvironmentFacts {
  return {
    explicit: env.SENTRY_ENVIRONMENT,
    hostname: osHostname(),
    publicUrl,
    underTest: runningUnderBunTest(env),
  };
}
