/**
 * Start, stop, restart, update, reconfigure and delete. Each returns the app to a stable state: the one the
 * operation aims at when it worked, `error` with the reason when it did not (the queue runs `compensate`).
 */
import { eq } from "drizzle-orm";
import { decryptSecret } from "../../../crypto/secrets.ts";
import { type AppStatus, applications } from "../../../db/schema.ts";
import { isMissing, ProxmoxError, rootfsSizeBytes } from "../../../proxmox/index.ts";
import { type ContextOf, implementJob, type JobImplementation, type JobType } from "../../../queue/define.ts";
import { errorMessage, isTransient } from "../../../queue/queue.ts";
import { resolveEnvironment } from "../../catalog/index.ts";
import { guardedUpdateJob } from "../guarded-update.ts";
import { compose, files } from "../provision.ts";
import { type AppDeps, AppRun, splitEnvironment } from "../runtime.ts";
import { settle } from "../status.ts";
import { removeTemplateUnlessUsed } from "./deploy-oci.ts";
import {
  DeleteAppJob,
  ReconfigureAppJob,
  RestartAppJob,
  StartAppJob,
  StopAppJob,
  UpdateAppJob,
} from "./job-types.ts";

/** On permanent failure: the app goes to `error` with the reason; the container is left as it is. */
function failInto<P extends { app_id: string }, S extends string>(deps: AppDeps, verb: string) {
  return async (ctx: ContextOf<JobType<P, S>>, error: unknown) => {
    const run = await AppRun.load(deps, ctx, ctx.payload.app_id);
    const reason = `${verb} failed: ${errorMessage(error)}`;
    await run.log(reason, "error");
    await settle(deps.db, deps.events, run.app.id, "error", reason.slice(0, 1000));
  };
}

/**
 * Proxmox refused a change before applying any of it (a config PVE will not take): the app is as it was,
 * so it goes back to the state it was in, with the refusal as its reason, instead of `error`.
 */
class RefusedChange extends Error {}

/** On failure: a refused change returns the app to its previous state; anything else is failInto. */
function refusedOrFailed<P extends { app_id: string }, S extends string>(deps: AppDeps, verb: string) {
  const failed = failInto<P, S>(deps, verb);
  return async (ctx: ContextOf<JobType<P, S>>, error: unknown) => {
    if (!(error instanceof RefusedChange)) return failed(ctx, error);
    const run = await AppRun.load(deps, ctx, ctx.payload.app_id);
    const previous = (run.app.previousStatus ?? "running") as AppStatus;
    const reason = `${verb} refused by Proxmox, nothing changed: ${error.message}`;
    await run.log(reason, "error");
    await settle(deps.db, deps.events, run.app.id, previous, reason.slice(0, 1000), { previousStatus: null });
  };
}

/** A saga that runs `body` on the app and settles it in the state `body` returns. */
function simple<P extends { app_id: string }, S extends string>(
  deps: AppDeps,
  type: JobType<P, S>,
  verb: string,
  body: (run: AppRun<S>, payload: P) => Promise<AppStatus>,
  compensate: (ctx: ContextOf<JobType<P, S>>, error: unknown) => Promise<void> = failInto<P, S>(deps, verb),
): JobImplementation {
  return implementJob(type, {
    run: async (ctx) => {
      const run = await AppRun.load(deps, ctx, ctx.payload.app_id);
      const next = await body(run, ctx.payload);
      await settle(deps.db, deps.events, run.app.id, next, null, { previousStatus: null });
      await run.log(`${verb} done: the app is ${next}`);
    },
    compensate,
  });
}

export function lifecycleJobs(deps: AppDeps): JobImplementation[] {
  return [
    simple(deps, StartAppJob, "Start", async (run) => {
      await run.step("start", () => run.startContainer());
      await run.step("network", () => run.refreshAddress());
      await run.step("health", () => run.checkHealth());
      return "running";
    }),
    simple(deps, StopAppJob, "Stop", async (run) => {
      await run.step("shutdown", () => run.shutdownContainer());
      return "stopped";
    }),
    simple(deps, RestartAppJob, "Restart", async (run) => {
      await run.step("reboot", async () => {
        const status = await run.client.lxcStatus(run.node, run.vmid);
        const upid =
          status.status === "running"
            ? await run.client.rebootLxc(run.node, run.vmid, { timeout: 60 })
            : await run.client.startLxc(run.node, run.vmid);
        await run.waitTask(upid);
        await run.waitForState("running");
      });
      await run.step("network", () => run.refreshAddress());
      await run.step("health", () => run.checkHealth());
      return "running";
    }),
    guardedUpdateJob(deps, UpdateAppJob, {
      target: (run) => run.catalogEntry().version,
      update: async (run) => {
        const entry = run.catalogEntry();
        await run.step("write_files", async () => {
          // The current catalog version of the compose file; the app's own values (and secrets) are kept.
          await run.exec(files.writeCompose, entry.compose);
          await run.writeEnvFile(entry);
        });
        await run.step("pull", () => run.exec(compose.pull));
        await run.step("up", () => run.exec(compose.up));
      },
      succeeded: (run, to) => run.update({ catalogVersion: to }),
    }),
    simple(
      deps,
      ReconfigureAppJob,
      "Reconfigure",
      async (run, payload) => {
        const previous = (run.app.previousStatus ?? "running") as AppStatus;
        await run.step("resources", async () => {
          const r = payload.resources;
          if (!r) return;
          if (r.cores !== undefined || r.memory_mb !== undefined) {
            await run.client
              .updateLxcConfig(run.node, run.vmid, {
                ...(r.cores !== undefined ? { cores: r.cores } : {}),
                ...(r.memory_mb !== undefined ? { memory: r.memory_mb } : {}),
              })
              .catch((err: unknown) => {
                // A parameter PVE refuses (400): the config was not written. Busy or unreachable stays retryable.
                if (
                  err instanceof ProxmoxError &&
                  !isTransient(err) &&
                  err.kind === "http" &&
                  err.pveStatus < 500
                )
                  throw new RefusedChange(err.pveMessage || err.message);
                throw err;
              });
          }
          if (r.disk_gb !== undefined && r.disk_gb > run.app.resources.disk_gb) {
            const config = await run.client.lxcConfig(run.node, run.vmid);
            // An oci app keeps its data on its mount points (one per data volume, the first sized from
            // disk_gb at deploy): that is the disk that grows. Without one, the rootfs holds everything.
            const disk = run.app.runtime === "oci" && typeof config.mp0 === "string" ? "mp0" : "rootfs";
            // PVE refuses a resize to the current size ("disk is already at specified size"): a retried step,
            // or a disk grown outside Proximity, must compare with the live size first.
            const live = rootfsSizeBytes(disk === "mp0" ? (config.mp0 as string) : config.rootfs);
            if (live === undefined || live < r.disk_gb * 1024 ** 3) {
              await run.waitTask(await run.client.resizeLxc(run.node, run.vmid, disk, `${r.disk_gb}G`));
            }
          }
          await run.update({ resources: { ...run.app.resources, ...r } });
        });
        await run.step("environment", async () => {
          if (!payload.environment) return;
          const entry = run.catalogEntry();
          const env = resolveEnvironment(
            entry,
            { ...(await run.environment()), ...payload.environment, ...(await unseal(run, payload.secrets)) },
            {},
          );
          await run.update(await splitEnvironment(run.deps.keys, entry, env));
          if (run.app.runtime === "oci") {
            await reconfigureOciEnv(run, previous);
            return;
          }
          await run.writeEnvFile(entry);
          await run.exec(compose.up);
        });
        if (previous === "running") await run.step("health", () => run.checkHealth());
        return previous;
      },
      refusedOrFailed(deps, "Reconfigure"),
    ),
    implementJob(DeleteAppJob, {
      run: async (ctx) => {
        const run = await AppRun.load(deps, ctx, ctx.payload.app_id);
        const keep = ctx.payload.keep_container;
        await run.step("destroy", async () => {
          if (keep || run.app.vmid === null || run.app.node === null) return;
          await run.destroyContainer().catch((err) => {
            // The node may have lost the container already (status missing): gone is what we want.
            if (isMissing(err)) return;
            throw err;
          });
          // oci: the image archive Proximity pulled for this app, unless another app runs that image.
          if (run.app.ociTemplate) {
            await removeTemplateUnlessUsed(run, run.node, run.app.ociTemplate, "pulled for this app");
          }
        });
        // keep_backups (default true): the rows stay, app_id set null by the FK, with the app's hostname.
        if (!ctx.payload.keep_backups) await run.step("backups", () => run.deps.deleteBackups(run));
        await run.step("forget", async () => {
          await deps.db.delete(applications).where(eq(applications.id, run.app.id));
          await deps.events.publish({
            type: "app.status",
            app_id: run.app.id,
            status: "deleted",
            reason: null,
          });
        });
      },
      compensate: failInto(deps, "Delete"),
    }),
  ];
}

/**
 * OCI runtime: the app's environment is PVE's `env`, which an application container reads when it starts
 * (a change to a running one waits in `pending`). Write it, then stop and start the container so the app
 * runs with it. Safe to run again: `writeOciEnv` compares with the applied values, so a step that failed
 * before the restart writes and restarts again. Values go to PVE in the request body, never into the log.
 */
async function reconfigureOciEnv(run: AppRun, previous: AppStatus): Promise<void> {
  const entry = run.catalogEntry();
  const wrote = await run.writeOciEnv(entry, run.app.ip ?? run.app.hostname);
  if (previous !== "running") {
    await run.log(wrote ? "Environment written; it applies at the next start" : "Environment unchanged");
    return;
  }
  if (wrote) {
    await run.log("Environment written; restarting the container so the app reads it");
    await run.shutdownContainer();
  }
  await run.startContainer();
  await run.refreshAddress();
}

/** Secret values a job carries sealed in its payload (see AppsService.jobPayload). */
async function unseal(run: AppRun, sealed: string | undefined): Promise<Record<string, string>> {
  if (!sealed) return {};
  return JSON.parse(await decryptSecret(run.deps.keys, sealed)) as Record<string, string>;
}
