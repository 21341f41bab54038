/**
 * An update guarded by a Proxmox snapshot: snapshot → the update itself → health check → prune old
 * snapshots. On a storage that cannot snapshot, a vzdump backup guards it instead (update-guard.ts),
 * restored on failure and deleted after success. When the update or its health check fails for good, the
 * queue's compensation rolls the container back to the snapshot (or restores the backup: its data and its
 * version), starts it, checks its health again, and the app settles `running` with the reason, in the
 * app's update history as `rolled_back`.
 *
 * Reusable: a job type lists `snapshot`, its own update steps, `health` and `prune` (GUARD_STEPS around
 * them), and `guardedUpdateJob` takes the update step as a function. The Docker update (lifecycle.ts) is
 * one; an app updated by another means (a script in the container) is another.
 */
import { and, eq } from "drizzle-orm";
import { type AppStatus, appUpdates } from "../../db/schema.ts";
import { type ContextOf, implementJob, type JobImplementation, type JobType } from "../../queue/define.ts";
import { errorMessage, isTransient } from "../../queue/queue.ts";
import { type AppDeps, AppRun } from "./runtime.ts";
import { settle } from "./status.ts";
import { canSnapshot, dropGuardBackup, restoreGuardBackup, takeGuardBackup } from "./update-guard.ts";

/** The steps every guarded update has; the job type puts its own update steps between snapshot and health. */
export const GUARD_STEPS = ["snapshot", "health", "prune"] as const;
export type GuardStep = (typeof GUARD_STEPS)[number];

/** Snapshots Proximity takes before an update are named with this prefix (and pruned by it). */
export const SNAPSHOT_PREFIX = "proximity_upd_";

export interface GuardedPayload {
  app_id: string;
  trigger?: "manual" | "auto" | undefined;
}

export interface GuardedUpdateSpec<P extends GuardedPayload, S extends string> {
  /** The version the app moves to (history and notices); null when it is not known. */
  target(run: AppRun<S | GuardStep>, payload: P): string | null;
  /** The update itself, as the job's own steps (`run.step(...)`). */
  update(run: AppRun<S | GuardStep>, payload: P): Promise<void>;
  /** Whether the app answers after the update and after a rollback; default the entry's health check. */
  health?(run: AppRun<S | GuardStep>): Promise<void>;
  /** After a healthy update: record the new version on the app. */
  succeeded(run: AppRun<S | GuardStep>, to: string | null): Promise<void>;
}

/** A snapshot name PVE accepts (letters, digits, `_`; ≤ 40) that sorts by time. */
export function snapshotName(now = new Date()): string {
  return `${SNAPSHOT_PREFIX}${now
    .toISOString()
    .replace(/[-:TZ.]/g, "")
    .slice(0, 14)}`;
}

/**
 * This update's snapshot name. Names have a second's resolution, and one taken by an earlier update in the
 * same second is not this update's: rolling back to it would restore the version before that one (seen when
 * two updates ran within a second on the simulator). So a taken name gets `_2`, `_3`, … (still sorting by
 * time).
 */
export function freshSnapshotName(taken: readonly string[], now = new Date()): string {
  const base = snapshotName(now);
  let name = base;
  for (let n = 2; taken.includes(name); n++) name = `${base}_${n}`;
  return name;
}

interface GuardData {
  /** The guard is a vzdump backup (the storage cannot snapshot): its volume, and where the rootfs was. */
  backup_volid?: string;
  rootfs_storage?: string | null;
  /** The snapshot this job takes (saved before it is requested, so compensation knows it). */
  snapshot?: string;
  /** The snapshot exists: from now on a failure rolls back. */
  snapshot_taken?: boolean;
  /** The rollback task ended (a compensation resumed after it does not roll back twice). */
  rolled_back?: boolean;
}

export function guardedUpdateJob<P extends GuardedPayload, S extends string>(
  deps: AppDeps,
  type: JobType<P, S | GuardStep>,
  spec: GuardedUpdateSpec<P, S>,
): JobImplementation {
  const health = (run: AppRun<S | GuardStep>) => (spec.health ? spec.health(run) : run.checkHealth());

  return implementJob(type, {
    run: async (ctx) => {
      const run = await AppRun.load(deps, ctx, ctx.payload.app_id);
      const to = spec.target(run, ctx.payload);
      await openHistory(run, ctx.payload.trigger ?? "manual", to);
      await run.step("snapshot", async () => {
        const data = ctx.data as GuardData;
        const where = await canSnapshot(run);
        if (!where.ok) {
          // No snapshots on this storage: a vzdump backup guards the update instead.
          const storage = (await deps.settings.get()).storage.backups;
          await run.log(
            `${where.storage} cannot take snapshots: backing the container up to ${storage} first`,
          );
          const volid = await takeGuardBackup(run, storage);
          await ctx.save({
            backup_volid: volid,
            rootfs_storage: where.storage ?? null,
            snapshot_taken: true,
          });
          await history(run, { snapshot: volid });
          return;
        }
        const existing = await run.client.listSnapshots(run.node, run.vmid);
        let name = data.snapshot;
        if (!name) {
          name = freshSnapshotName(existing.map((s) => s.name));
          await ctx.save({ snapshot: name });
        }
        // A step resumed after PVE took the snapshot finds it: taking it again would fail ("already used").
        if (!existing.some((s) => s.name === name)) {
          const upid = await run.client.createSnapshot(
            run.node,
            run.vmid,
            name,
            `Proximity: before updating ${run.app.catalogVersion ?? "?"} to ${to ?? "?"}`,
          );
          await run.waitTask(upid);
        }
        await ctx.save({ snapshot_taken: true });
        await history(run, { snapshot: name });
      });
      await spec.update(run, ctx.payload);
      await run.step("health", () => health(run));
      await spec.succeeded(run, to);
      await run.step("prune", () => {
        const volid = (ctx.data as GuardData).backup_volid;
        return volid ? dropBackup(run, volid) : pruneSnapshots(run);
      });
      await history(run, { result: "succeeded", finishedAt: new Date() });
      await settle(deps.db, deps.events, run.app.id, "running", null, { previousStatus: null });
      await run.log(`Update done: ${run.app.hostname} runs ${to ?? "the catalog's version"}`);
      await deps.notify({
        event: "update.succeeded",
        app_id: run.app.id,
        details: { from: fromOf(run), to, trigger: ctx.payload.trigger ?? "manual" },
      });
    },
    compensate: (ctx, error) => rollBack(deps, ctx, error, health),
  });
}

/** The version the history row says the app came from. */
function fromOf(run: AppRun): string | null {
  return (run.ctx.data as { from?: string | null }).from ?? null;
}

async function openHistory(run: AppRun, trigger: "manual" | "auto", to: string | null): Promise<void> {
  const data = run.ctx.data as { from?: string | null };
  if (!("from" in data)) await run.ctx.save({ from: run.app.catalogVersion });
  await run.deps.db
    .insert(appUpdates)
    .values({
      appId: run.app.id,
      jobId: run.ctx.job.id,
      trigger,
      fromVersion: fromOf(run),
      toVersion: to,
    })
    .onConflictDoNothing();
}

async function history(run: AppRun, patch: Partial<typeof appUpdates.$inferInsert>): Promise<void> {
  await run.deps.db
    .update(appUpdates)
    .set(patch)
    .where(and(eq(appUpdates.jobId, run.ctx.job.id), eq(appUpdates.appId, run.app.id)));
}

/** Deletes the guard backup after a successful update; a failure to is a warning. */
async function dropBackup(run: AppRun, volid: string): Promise<void> {
  try {
    await dropGuardBackup(run, volid);
    await run.log(`Removed the guard backup ${volid}`);
  } catch (err) {
    if (isTransient(err)) throw err;
    await run.log(`The guard backup ${volid} was not removed: ${errorMessage(err)}`, "warn");
  }
}

/**
 * Keeps the newest `updates.snapshots_keep` snapshots Proximity took (setting, default 1) and deletes the
 * older ones. Snapshots someone else took are never touched. A prune that fails is a warning: the update
 * itself worked.
 */
async function pruneSnapshots(run: AppRun): Promise<void> {
  const keep = (await run.deps.settings.get()).updates.snapshots_keep;
  try {
    const ours = (await run.client.listSnapshots(run.node, run.vmid))
      .filter((s) => s.name.startsWith(SNAPSHOT_PREFIX))
      .sort((a, b) => (b.snaptime ?? 0) - (a.snaptime ?? 0) || b.name.localeCompare(a.name));
    for (const old of ours.slice(keep)) {
      await run.waitTask(await run.client.deleteSnapshot(run.node, run.vmid, old.name));
      await run.log(`Removed the snapshot ${old.name} (keeping the newest ${keep})`);
    }
  } catch (err) {
    if (isTransient(err)) throw err;
    await run.log(`Old snapshots were not removed: ${errorMessage(err)}`, "warn");
  }
}

/**
 * The compensation: with a snapshot taken, roll the container back to it and check it answers; without
 * one (the snapshot itself failed), nothing changed. Transient errors go back to the queue, which retries
 * the compensation; the `rolled_back` mark keeps a resumed compensation from rolling back twice.
 */
async function rollBack<P extends GuardedPayload, S extends string>(
  deps: AppDeps,
  ctx: ContextOf<JobType<P, S | GuardStep>>,
  error: unknown,
  health: (run: AppRun<S | GuardStep>) => Promise<void>,
): Promise<void> {
  const run = await AppRun.load(deps, ctx, ctx.payload.app_id);
  const data = ctx.data as GuardData;
  const step = ctx.currentStep ?? "update";
  const reason = errorMessage(error).slice(0, 800);
  const [row] = await deps.db.select().from(appUpdates).where(eq(appUpdates.jobId, ctx.job.id));
  const from = row?.fromVersion ?? null;
  const to = row?.toVersion ?? null;
  const previous = (run.app.previousStatus ?? "running") as AppStatus;
  const failed = async (why: string, status: AppStatus) => {
    await history(run, { result: "failed", step, reason: why.slice(0, 1000), finishedAt: new Date() });
    await run.log(why, "error");
    await settle(deps.db, deps.events, run.app.id, status, why.slice(0, 1000), { previousStatus: null });
    await deps.notify({
      event: "update.failed",
      app_id: run.app.id,
      details: { from, to, step, reason: why },
    });
  };

  const guard = data.backup_volid ?? data.snapshot;
  if (!data.snapshot_taken || !guard) {
    await failed(`Update not started, nothing changed: ${step} failed: ${reason}`, previous);
    return;
  }
  try {
    if (!data.rolled_back) {
      if (data.backup_volid) {
        await run.log(`Update failed at ${step} (${reason}); restoring the backup ${guard}`, "warn");
        await restoreGuardBackup(run, data.backup_volid, data.rootfs_storage ?? undefined);
      } else {
        await run.log(`Update failed at ${step} (${reason}); rolling back to the snapshot ${guard}`, "warn");
        await run.waitTask(await run.client.rollbackSnapshot(run.node, run.vmid, guard, { start: true }));
      }
      await ctx.save({ rolled_back: true });
    }
    await run.startContainer();
    await run.waitForState("running");
    await run.refreshAddress();
    await health(run);
  } catch (err) {
    if (isTransient(err)) throw err;
    const why =
      `Update failed at ${step} (${reason}), and the rollback to ${guard} did not bring the app back: ` +
      `${errorMessage(err)}. ${data.backup_volid ? "The backup" : "The snapshot"} is kept.`;
    await failed(why, "error");
    return;
  }
  // The app answers again as before: a guard backup has served its purpose (a snapshot stays, pruned later).
  if (data.backup_volid) await dropBackup(run, data.backup_volid);
  const why = `Update to ${to ?? "the new version"} failed at ${step} (${reason}); rolled back to ${from ?? "the previous version"} and its data`;
  await history(run, { result: "rolled_back", step, reason, finishedAt: new Date() });
  await run.log(why, "warn");
  await settle(deps.db, deps.events, run.app.id, "running", why.slice(0, 1000), { previousStatus: null });
  await deps.notify({
    event: "update.rolled_back",
    app_id: run.app.id,
    details: { from, to, step, reason, snapshot: guard },
  });
}
