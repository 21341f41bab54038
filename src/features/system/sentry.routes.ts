/**
 * Operator surface of the Sentry layer (admin only): what is configured, and a button that raises a tagged
 * test error so an operator can see one arrive in Sentry.
 */
import { z } from "@hono/zod-openapi";
import type { Config } from "../../core/config.ts";
import { runtime } from "../../core/runtime/index.ts";
import { adminOnly } from "../../http/guards.ts";
import { createRouter, jsonResponse, routesFor } from "../../http/openapi.ts";
import { setOperation } from "../../observability/capture.ts";
import { currentEnvironmentFacts } from "../../observability/environment.ts";
import { resolveSettings } from "../../observability/options.ts";
import { isObservabilityEnabled, observabilitySettings } from "../../observability/state.ts";

const SentryStatusSchema = z
  .object({
    enabled: z.boolean().openapi({ description: "True when SENTRY_DSN is set and the client started" }),
    environment: z.string().openapi({ example: "production" }),
    release: z.string(),
    traces_sample_rate: z.number(),
    error_sample_rate: z.number(),
    max_breadcrumbs: z.number().int(),
    debug: z.boolean(),
    dsn_host: z.string().nullable().openapi({ description: "Host of the DSN; the key is never shown" }),
  })
  .openapi("SentryStatus");

/** Thrown by POST /system/sentry-test; its name makes the event easy to find. */
export class SentryTestError extends Error {
  override name = "SentryTestError";
  readonly sentry_test = true;
  constructor(readonly requestedBy: string) {
    super("Sentry test error raised from POST /api/v1/system/sentry-test");
  }
}

const admin = routesFor(adminOnly, "system");

const status = admin.get("/api/v1/system/sentry", {
  operationId: "getSentryStatus",
  summary: "Sentry configuration (enabled, environment, release, sample rates, DSN host)",
  responses: { 200: jsonResponse(SentryStatusSchema, "Sentry settings") },
});

const testError = admin.post("/api/v1/system/sentry-test", {
  operationId: "raiseSentryTestError",
  summary: "Raise a tagged test error (answers 500) to check that Sentry receives events",
  responses: {},
});

export function sentryRoutes() {
  return createRouter<{ config: Config }>()
    .openapi(status, (c) => {
      const { config } = c.get("services");
      const s =
        observabilitySettings() ??
        resolveSettings(config, currentEnvironmentFacts(runtime.env(), config.PUBLIC_URL));
      return c.json(
        {
          enabled: isObservabilityEnabled(),
          environment: s.environment,
          release: s.release,
          traces_sample_rate: s.tracesSampleRate,
          error_sample_rate: s.errorSampleRate,
          max_breadcrumbs: s.maxBreadcrumbs,
          debug: s.debug,
          dsn_host: s.dsnHost ?? null,
        },
        200,
      );
    })
    .openapi(testError, (c) => {
      setOperation({ operation: "sentry_test" });
      throw new SentryTestError(c.get("user").username);
    });
}
