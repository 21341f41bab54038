/**
 * The restore saga: inspect → stop → restore (POST /nodes/{node}/lxc restore=1 force=1 ostemplate=<volid>
 * storage=<the CT's rootfs storage>) → start (if it was running) → network → health → finish. On a
 * permanent failure the app ends in `error` with the reason and the task log in its log; the backup itself
 * is never touched, so it stays `completed` for another attempt.
 */
import { eq } from "drizzle-orm";
import { AppServiceError } from "../../../core/errors.ts";
import { type AppStatus, applications, backups } from "../../../db/schema.ts";
import { isMissing, rootfsSizeBytes } from "../../../proxmox/index.ts";
import type { ContextOf } from "../../../queue/define.ts";
import { errorMessage } from "../../../queue/queue.ts";
import { type AppDeps, AppRun, settle } from "../../apps/index.ts";
import type { RestoreAppJob } from "../job-types.ts";
import { loadBackup, logTaskTail } from "./shared.ts";

type RestoreContext = ContextOf<typeof RestoreAppJob>;

/** The storage of the CT's root disk ("local-lvm:vm-101-disk-0,size=8G" → "local-lvm"). */
export function rootfsStorage(rootfs: string | undefined): string | undefined {
  const volume = rootfs?.split(",")[0];
  const colon = volume?.indexOf(":") ?? -1;
  return colon > 0 ? volume!.slice(0, colon) : undefined;
}

export async function restore(deps: AppDeps, ctx: RestoreContext): Promise<void> {
  const appId = ctx.payload.app_id;
  const row = await loadBackup(deps.db, ctx.payload.backup_id);
  const run = await AppRun.load(deps, ctx, appId);
  if (!row.volid) throw new AppServiceError("The backup has no volume", run.errorContext("inspect"));
  const volid = row.volid;

  const facts = await run.step("inspect", async () => {
    const status = await run.client.lxcStatus(run.node, run.vmid).catch((err) => {
      if (isMissing(err)) return null;
      throw err;
    });
    const config = status ? await run.client.lxcConfig(run.node, run.vmid) : null;
    const storage = rootfsStorage(config?.rootfs) ?? (await deps.settings.get()).storage.rootfs;
    const wasRunning = status ? status.status === "running" : run.app.previousStatus === "running";
    // PVE creates the restored disk before it removes the old one: both must fit at once. Checked
    // before anything is stopped, so a restore that cannot work leaves the app as it is.
    const size = rootfsSizeBytes(config?.rootfs);
    if (config && size !== undefined) {
      const [target] = await run.client.listStorage(run.node, { storage });
      const avail = target?.avail;
      if (avail !== undefined && avail < size) {
        const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;
        throw new AppServiceError(
          `Restoring needs ${gib(size)} free on ${storage} (node ${run.node}) while the current disk still exists (PVE creates the new disk first); only ${gib(avail)} is free. Free space on ${storage} or delete the app and restore into a new one.`,
          run.errorContext("inspect"),
        );
      }
    }
    await run.log(
      `Restoring CT ${run.vmid} from ${volid} onto ${storage}${wasRunning ? " (it will be started again)" : ""}`,
      "info",
      "inspect",
    );
    return { wasRunning, storage };
  });

  await run.step("stop", async () => {
    // A hard stop: the container's disks are about to be replaced anyway. An HA-managed CT stops only
    // after its `hastop` task ended, so wait for the state itself.
    const status = await run.client.lxcStatus(run.node, run.vmid).catch(() => null);
    if (status?.status === "running") {
      await run.waitTask(await run.client.stopLxc(run.node, run.vmid));
      await run.waitForState("stopped");
    }
  });

  await run.step("restore", async () => {
    const upid = await run.client.createLxc(run.node, {
      vmid: run.vmid,
      ostemplate: volid,
      restore: true,
      force: true,
      storage: facts.storage,
    });
    await run.waitTask(upid);
  });

  if (facts.wasRunning) {
    await run.step("start", () => run.startContainer());
    await run.step("network", () => run.refreshAddress());
    await run.step("health", () => run.checkHealth(" after the restore"));
  }

  await run.step("finish", async () => {
    const next: AppStatus = facts.wasRunning ? "running" : "stopped";
    // The container is now the version that was backed up (an older one if the app was updated since).
    await settle(deps.db, deps.events, appId, next, null, {
      previousStatus: null,
      ...(row.catalogVersion ? { catalogVersion: row.catalogVersion } : {}),
      ...(row.ociImage ? { ociImage: row.ociImage } : {}),
    });
    await run.log(`Restored from ${volid}: the app is ${next}`, "info", "finish");
  });
}

export async function compensateRestore(deps: AppDeps, ctx: RestoreContext, error: unknown): Promise<void> {
  const appId = ctx.payload.app_id;
  const [app] = await deps.db.select().from(applications).where(eq(applications.id, appId));
  if (!app) return;
  const [row] = await deps.db.select().from(backups).where(eq(backups.id, ctx.payload.backup_id));
  const step = ctx.currentStep ?? ctx.job.progress?.step;
  const reason =
    `Restore from ${row?.volid ?? "backup"} failed${step ? ` at step "${step}"` : ""}: ${errorMessage(error)}`.slice(
      0,
      1000,
    );
  const run = await AppRun.load(deps, ctx, appId);
  await run.log(reason, "error", step);
  await logTaskTail(run, error, step);
  if (step === "inspect") {
    // Refused before anything was touched (e.g. not enough space): the app is as it was.
    await settle(deps.db, deps.events, appId, (app.previousStatus ?? "running") as AppStatus, reason, {
      previousStatus: null,
    });
    return;
  }
  await settle(deps.db, deps.events, appId, "error", reason);
}
