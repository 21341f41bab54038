/**
 * Background work (deploys, backups, cleanups) as a unit of its own (unit.ts) and transaction `job <kind>`,
 * tagged like requests: app_name/app_version (global), authenticated/user_role for the user who asked,
 * operation/app_id/catalog_id, and the same performance context on errors.
 */

import type { AuthUser } from "../core/identity.ts";
import { breadcrumb } from "./breadcrumbs.ts";
import { captureError, setOperation, setRequestUser } from "./capture.ts";
import { Sentry } from "./sdk.ts";
import { state } from "./state.ts";
import { applyUnit, newUnit, runInUnit } from "./unit.ts";

export interface JobAttributes {
  job_id?: string | undefined;
  /** The user who started the job (tags authenticated/user_role like a request). */
  user?: AuthUser | undefined;
  operation?: string | undefined;
  app_id?: string | undefined;
  catalog_id?: string | undefined;
  vmid?: number | undefined;
  node?: string | undefined;
}

export interface RunJobOptions {
  /** Capture the error before rethrowing (default true). Set false when the caller retries and reports. */
  capture?: boolean;
}

/**
 * Runs `fn` as job `kind`. Errors are captured (error_type as for requests) and rethrown, so the job queue
 * still sees them.
 */
export async function runJob<T>(
  kind: string,
  attrs: JobAttributes,
  fn: () => Promise<T>,
  options: RunJobOptions = {},
): Promise<T> {
  if (!state.enabled) return fn();
  // A unit of its own, not the request's that happened to start the job; and a fresh isolation scope
  // forked from the process scope for its transaction, which gets the unit's data when the job ends.
  const unit = newUnit();
  const base = state.defaultIsolationScope?.clone();
  return runInUnit(unit, () =>
    Sentry.withIsolationScope(base, (scope) =>
      Sentry.startNewTrace(() => {
        unit.tags.job_kind = kind;
        unit.tags.authenticated = attrs.user ? "true" : "false";
        if (attrs.job_id) unit.tags.job_id = attrs.job_id;
        if (attrs.user) setRequestUser(attrs.user);
        setOperation({
          operation: attrs.operation ?? kind,
          app_id: attrs.app_id,
          catalog_id: attrs.catalog_id,
          vmid: attrs.vmid,
          node: attrs.node,
        });
        unit.transactionName = `job ${kind}`;
        return Sentry.startSpan(
          { name: `job ${kind}`, op: "job", forceTransaction: true, attributes: { "job.kind": kind } },
          async (span) => {
            unit.span = span;
            breadcrumb("job", `${kind} started`, { kind, job_id: attrs.job_id });
            try {
              const result = await fn();
              breadcrumb("job", `${kind} finished`, { kind, job_id: attrs.job_id });
              return result;
            } catch (err) {
              span.setStatus({ code: 2, message: "internal_error" });
              breadcrumb("job", `${kind} failed`, { kind, job_id: attrs.job_id }, "error");
              if (options.capture !== false) {
                const status = (err as { status?: unknown } | null)?.status;
                captureError(err, {
                  status: typeof status === "number" ? status : 500,
                  mechanism: "proximity.job",
                });
              }
              throw err;
            } finally {
              // Before the span ends (when this callback settles): its transaction is built from the scope.
              applyUnit(scope, unit);
            }
          },
        );
      }),
    ),
  );
}
