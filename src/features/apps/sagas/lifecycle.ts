/**
 * Start, stop, restart, update, reconfigure and delete. Each returns the app to a stable state: the one the
 * operation aims at when it worked, `error` with the reason when it did not (the queue runs `compensate`).
 */
import { eq } from "drizzle-orm";
import { decryptSecret } from "../../../crypto/secrets.ts";
import { type AppResources, type AppStatus, applications } from "../../../db/schema.ts";
import { ProxmoxError } from "../../../proxmox/index.ts";
import { errorMessage, JOB_SECRETS_KEY, type JobContext, type JobDefinition } from "../../../queue/queue.ts";
import { renderEnvFile, resolveEnvironment } from "../../catalog/index.ts";
import { compose, files } from "../provision.ts";
import { type AppDeps, AppRun, splitEnvironment } from "../runtime.ts";
import { settle } from "../status.ts";

/** On permanent failure: the app goes to `error` with the reason; the container is left as it is. */
function failInto(deps: AppDeps, verb: string) {
  return async (ctx: JobContext, error: unknown) => {
    const run = await AppRun.load(deps, ctx, String(ctx.job.payload.app_id));
    const reason = `${verb} failed: ${errorMessage(error)}`;
    await run.log(reason, "error");
    await settle(deps.db, deps.events, run.app.id, "error", reason.slice(0, 1000));
  };
}

function simple(
  deps: AppDeps,
  kind: string,
  verb: string,
  steps: string[],
  body: (run: AppRun) => Promise<AppStatus>,
): JobDefinition {
  return {
    kind,
    steps,
    run: async (ctx) => {
      const run = await AppRun.load(deps, ctx, String(ctx.job.payload.app_id));
      const next = await body(run);
      await settle(deps.db, deps.events, run.app.id, next, null, { previousStatus: null });
      await run.log(`${verb} done: the app is ${next}`);
    },
    compensate: failInto(deps, verb),
  };
}

export function lifecycleJobs(deps: AppDeps): JobDefinition[] {
  return [
    simple(deps, "start_app", "Start", ["start", "network", "health"], async (run) => {
      await run.step("start", async () => {
        const status = await run.client.lxcStatus(run.node, run.vmid);
        if (status.status !== "running") await run.waitTask(await run.client.startLxc(run.node, run.vmid));
      });
      await run.step("network", () => run.refreshAddress());
      await run.step("health", () => run.checkHealth());
      return "running";
    }),
    simple(deps, "stop_app", "Stop", ["shutdown"], async (run) => {
      await run.step("shutdown", async () => {
        const status = await run.client.lxcStatus(run.node, run.vmid);
        if (status.status === "running") {
          // A clean shutdown first; PVE stops it hard after the timeout.
          await run.waitTask(
            await run.client.shutdownLxc(run.node, run.vmid, { timeout: 60, forceStop: true }),
          );
        }
      });
      return "stopped";
    }),
    simple(deps, "restart_app", "Restart", ["reboot", "network", "health"], async (run) => {
      await run.step("reboot", async () => {
        const status = await run.client.lxcStatus(run.node, run.vmid);
        const upid =
          status.status === "running"
            ? await run.client.rebootLxc(run.node, run.vmid, { timeout: 60 })
            : await run.client.startLxc(run.node, run.vmid);
        await run.waitTask(upid);
      });
      await run.step("network", () => run.refreshAddress());
      await run.step("health", () => run.checkHealth());
      return "running";
    }),
    simple(deps, "update_app", "Update", ["write_files", "pull", "up", "health"], async (run) => {
      const entry = run.catalogEntry();
      await run.step("write_files", async () => {
        // The current catalog version of the compose file; the app's own values (and secrets) are kept.
        const env = resolveEnvironment(entry, await run.environment(), {});
        await run.exec(files.writeCompose, entry.compose);
        await run.exec(files.writeEnv, renderEnvFile(env));
        await run.exec(files.lockEnv);
      });
      await run.step("pull", () => run.exec(compose.pull));
      await run.step("up", () => run.exec(compose.up));
      await run.step("health", () => run.checkHealth());
      await run.update({ catalogVersion: entry.version });
      return "running";
    }),
    simple(deps, "reconfigure_app", "Reconfigure", ["resources", "environment", "health"], async (run) => {
      const payload = run.ctx.job.payload as {
        resources?: Partial<AppResources>;
        environment?: Record<string, string>;
      };
      const previous = (run.app.previousStatus ?? "running") as AppStatus;
      await run.step("resources", async () => {
        const r = payload.resources;
        if (!r) return;
        if (r.cores !== undefined || r.memory_mb !== undefined) {
          await run.client.updateLxcConfig(run.node, run.vmid, {
            ...(r.cores !== undefined ? { cores: r.cores } : {}),
            ...(r.memory_mb !== undefined ? { memory: r.memory_mb } : {}),
          });
        }
        if (r.disk_gb !== undefined && r.disk_gb > run.app.resources.disk_gb) {
          await run.waitTask(await run.client.resizeLxc(run.node, run.vmid, "rootfs", `${r.disk_gb}G`));
        }
        await run.update({ resources: { ...run.app.resources, ...r } });
      });
      await run.step("environment", async () => {
        if (!payload.environment) return;
        const entry = run.catalogEntry();
        const env = resolveEnvironment(
          entry,
          { ...(await run.environment()), ...payload.environment, ...(await jobSecrets(run)) },
          {},
        );
        await run.exec(files.writeEnv, renderEnvFile(env));
        await run.exec(files.lockEnv);
        await run.exec(compose.up);
        await run.update(await splitEnvironment(run.deps.keys, entry, env));
      });
      if (previous === "running") await run.step("health", () => run.checkHealth());
      return previous;
    }),
    {
      kind: "delete_app",
      steps: ["destroy", "backups", "forget"],
      run: async (ctx) => {
        const run = await AppRun.load(deps, ctx, String(ctx.job.payload.app_id));
        const keep = ctx.job.payload.keep_container === true;
        await run.step("destroy", async () => {
          if (keep || run.app.vmid === null || run.app.node === null) return;
          await run.destroyContainer().catch((err) => {
            // The node may have lost the container already (status missing): gone is what we want.
            if (err instanceof ProxmoxError && /does not exist|no such/i.test(err.pveMessage)) return;
            throw err;
          });
        });
        // keep_backups (default true): the rows stay, app_id set null by the FK, with the app's hostname.
        if (ctx.job.payload.keep_backups === false)
          await run.step("backups", () => run.deps.deleteBackups(run));
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
    },
  ];
}

/** Secret values a job carries encrypted in its payload (see AppsService.jobPayload). */
async function jobSecrets(run: AppRun): Promise<Record<string, string>> {
  const sealed = run.ctx.job.payload[JOB_SECRETS_KEY];
  if (typeof sealed !== "string") return {};
  return JSON.parse(await decryptSecret(run.deps.keys, sealed)) as Record<string, string>;
}
