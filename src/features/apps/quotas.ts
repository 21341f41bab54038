/**
 * Per-user quotas (settings.quotas, docs/security.md): apps owned, memory and disk reserved, and jobs in
 * flight. Checked inside the transaction that creates the app or queues the job, under a per-user advisory
 * lock, so 200 parallel deploys from one user cannot all pass the same check.
 */
import { and, count, eq, inArray, sql } from "drizzle-orm";
import { RateLimitedError, ValidationError } from "../../core/errors.ts";
import type { AuthUser } from "../../core/identity.ts";
import type { Db } from "../../db/connect.ts";
import { rowsOf } from "../../db/rows.ts";
import { applications, jobs } from "../../db/schema.ts";
import type { Settings } from "../settings/settings.schemas.ts";

/** What an operation is about to add to the user's totals. */
export interface QuotaClaim {
  apps?: number;
  memory_mb?: number;
  disk_gb?: number;
  /** Jobs it queues (most operations: 1). */
  jobs?: number;
}

export async function assertWithinQuota(
  db: Db,
  quotas: Settings["quotas"],
  user: AuthUser,
  claim: QuotaClaim,
): Promise<void> {
  if (user.role === "admin" && quotas.admins_exempt) return;
  await db.execute(sql`select pg_advisory_xact_lock(hashtext('proximity.quota'), hashtext(${user.id}))`);
  if (claim.jobs && quotas.jobs_in_flight_per_user !== null) {
    const [row] = await db
      .select({ n: count() })
      .from(jobs)
      .where(and(eq(jobs.userId, user.id), inArray(jobs.status, ["queued", "running"])));
    const inFlight = row?.n ?? 0;
    if (inFlight + claim.jobs > quotas.jobs_in_flight_per_user) {
      throw new RateLimitedError(
        `You have ${inFlight} operation${inFlight === 1 ? "" : "s"} in progress (limit ${quotas.jobs_in_flight_per_user} per user); wait for one to finish`,
        5,
      );
    }
  }
  if (!claim.apps && !claim.memory_mb && !claim.disk_gb) return;
  const [totals] = rowsOf<{ apps: number | string; memory_mb: number | string; disk_gb: number | string }>(
    await db.execute(sql`
      select count(*) as apps,
        coalesce(sum((${applications.resources}->>'memory_mb')::bigint), 0) as memory_mb,
        coalesce(sum((${applications.resources}->>'disk_gb')::bigint), 0) as disk_gb
      from ${applications} where ${applications.ownerId} = ${user.id}`),
  );
  const have = {
    apps: Number(totals?.apps ?? 0),
    memory_mb: Number(totals?.memory_mb ?? 0),
    disk_gb: Number(totals?.disk_gb ?? 0),
  };
  const limits = [
    ["apps", "apps_per_user", "apps", ""],
    ["memory_mb", "memory_mb_per_user", "memory", " MB"],
    ["disk_gb", "disk_gb_per_user", "disk", " GB"],
  ] as const;
  const details = [];
  for (const [key, setting, what, unit] of limits) {
    const limit = quotas[setting];
    const adding = claim[key] ?? 0;
    if (limit === null || adding === 0 || have[key] + adding <= limit) continue;
    details.push({
      field: `quota.${setting}`,
      message: `you have ${have[key]}${unit} of ${what}, this needs ${adding}${unit} more, and the limit per user is ${limit}${unit}`,
    });
  }
  if (details.length) {
    throw new ValidationError(
      "This would exceed your quota; delete an app or ask an administrator to raise the limit",
      details,
    );
  }
}
