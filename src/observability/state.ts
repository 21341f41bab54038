/**
 * Process-wide state of the layer: whether Sentry is on and with which settings. Every helper checks
 * `enabled` first, so with no SENTRY_DSN the layer costs a boolean test.
 */
import type { Scope } from "@sentry/bun";
import type { ObservabilitySettings } from "./options.ts";

export const state: {
  enabled: boolean;
  settings: ObservabilitySettings | undefined;
  /** The process-wide isolation scope (outside any request); requests and jobs fork away from it. */
  defaultIsolationScope: Scope | undefined;
} = {
  enabled: false,
  settings: undefined,
  defaultIsolationScope: undefined,
};

export function isObservabilityEnabled(): boolean {
  return state.enabled;
}

export function observabilitySettings(): ObservabilitySettings | undefined {
  return state.settings;
}
