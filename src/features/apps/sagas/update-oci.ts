/**
 * The update of an app with the oci runtime. PVE cannot swap the image of an application container (its
 * layers are squashed into the root disk), so an update is a new container:
 *
 *   prepare → pull → create → environment → stop_old → move_data → start → network → health → switch
 *
 * The new container is created from the catalog's current image with the old one's MAC address (so DHCP
 * hands it the app's address), gets the app's environment merged over the new image's, and receives the
 * data mount points of the old one (move_volume with target-vmid: PVE renames each volume to the new
 * container). The old container stays, stopped, until the new one answers its health check; only then does
 * the app switch to the new container and the old one go.
 *
 * A failure before the switch rolls back: the data goes back to the old container, which starts again, and
 * the new container — and the template this job pulled, unless another app runs that image — is removed.
 * The app ends `running` on its old version with the reason, or `error` if the rollback could not bring it
 * back. A failure after the switch (removing the old container) leaves the app running on the new version.
 */
import { AppServiceError } from "../../../core/errors.ts";
import { isMissing, ProxmoxError, rootfsSizeBytes, storageFor } from "../../../proxmox/index.ts";
import { type ContextOf, implementJob, type JobImplementation } from "../../../queue/define.ts";
import { errorMessage } from "../../../queue/queue.ts";
import { storageSetting } from "../../settings/settings.schemas.ts";
import { appUrl } from "../app-url.ts";
import { freeVmid } from "../placement.ts";
import { type AppDeps, AppRun } from "../runtime.ts";
import { settle } from "../status.ts";
import { containerIsOurs, ownerMarker } from "./deploy.ts";
import { ociContainerParams, ociImageOf, pullImage, removeTemplateUnlessUsed } from "./deploy-oci.ts";
import { UpdateOciAppJob } from "./job-types.ts";

type UpdateContext = ContextOf<typeof UpdateOciAppJob>;

/** What the update learnt about the old container before it touched anything (kept in the job data). */
interface OldContainer {
  vmid: number;
  running: boolean;
  ip: string | null;
  version: string | null;
  image: string | null;
  /** The archive Proximity pulled for the old version: removed after the switch unless another app runs it. */
  template: string | null;
  /** mp0, mp1, …: the volume mount points that move to the new container. */
  mounts: string[];
  hwaddr?: string;
  rootfsGb: number;
}

const MOUNT_KEY = /^mp\d+$/;

/** The marker of a container an update creates: compensation removes only such a container. */
function updateMarker(appId: string, version: string): string {
  return `Managed by Proximity (app ${appId}, update to ${version})`;
}

function oldOf(ctx: UpdateContext): OldContainer | undefined {
  return ctx.data.old as OldContainer | undefined;
}

function newVmidOf(ctx: UpdateContext): number | undefined {
  return typeof ctx.data.newVmid === "number" ? ctx.data.newVmid : undefined;
}

/** Moves every volume mount point of `from` that `to` does not have yet; returns the keys moved. */
async function moveMounts(run: AppRun, from: number, to: number, keys: readonly string[]): Promise<string[]> {
  const source = await run.client.lxcConfig(run.node, from);
  const target = await run.client.lxcConfig(run.node, to);
  const moved: string[] = [];
  for (const key of keys) {
    // A step run again after a partial move: what is already on the target stays there.
    if (source[key] === undefined || target[key] !== undefined) continue;
    await run.waitTask(
      await run.client.reassignVolume(run.node, from, key as `mp${number}`, { vmid: to }),
      run.node,
      "volume",
    );
    moved.push(key);
  }
  return moved;
}

async function updateOci(deps: AppDeps, ctx: UpdateContext): Promise<void> {
  const run = await AppRun.load(deps, ctx, ctx.payload.app_id);
  const entry = run.catalogEntry();
  const settings = await deps.settings.get();
  const image = ociImageOf(entry, run);

  const old = await run.step("prepare", async () => {
    const [config, status] = await Promise.all([
      run.client.lxcConfig(run.node, run.vmid),
      run.client.lxcStatus(run.node, run.vmid),
    ]);
    const hwaddr = /hwaddr=([0-9A-Fa-f:]{17})/.exec(String(config.net0 ?? ""))?.[1];
    const rootfsBytes = rootfsSizeBytes(config.rootfs);
    const facts: OldContainer = {
      vmid: run.vmid,
      running: status.status === "running",
      ip: run.app.ip,
      version: run.app.catalogVersion,
      image: run.app.ociImage,
      template: run.app.ociTemplate,
      mounts: Object.keys(config).filter((k) => MOUNT_KEY.test(k) && String(config[k]).includes(":")),
      ...(hwaddr ? { hwaddr } : {}),
      rootfsGb: rootfsBytes ? Math.max(1, Math.ceil(rootfsBytes / 1024 ** 3)) : entry.min.disk_gb,
    };
    if (facts.image === image.reference) {
      throw new AppServiceError(
        `${entry.name} already runs ${image.reference}: there is nothing to update to`,
        run.errorContext("prepare"),
      );
    }
    await ctx.save({ old: facts });
    await run.log(
      `Updating ${entry.name} ${facts.version ?? "?"} → ${entry.version}: a new container from ${image.reference}, the data of CT ${facts.vmid} (${facts.mounts.join(", ") || "no data volumes"}) moved to it`,
      "info",
      "prepare",
    );
    return facts;
  });

  const template = await run.step("pull", () => pullImage(run, ctx, settings, image));

  const newVmid = await run.step("create", async () => {
    const rootfsStorage = await storageFor(
      run.client,
      run.node,
      "rootfs",
      storageSetting(settings, "rootfs"),
    );
    for (let attempt = 0; attempt < 5; attempt++) {
      const saved = newVmidOf(ctx);
      const vmid = saved ?? (await freeVmid(deps.db, run.client, run.app.hostId, run.app.id));
      // Recorded before the call: from here on, compensation looks for the new container.
      await ctx.save({ newVmid: vmid });
      try {
        await run.waitTask(
          await run.client.createLxc(run.node, {
            ...ociContainerParams(run, settings, {
              vmid,
              ostemplate: template.volid,
              rootfs: { storage: rootfsStorage, sizeGb: old.rootfsGb },
              ...(old.hwaddr ? { hwaddr: old.hwaddr } : {}),
              description: updateMarker(run.app.id, entry.version),
            }),
            // The old container keeps starting at boot until the switch; two with one MAC must not.
            onboot: false,
          }),
        );
        await run.log(`Created CT ${vmid} from ${template.volid}`, "info", "create");
        return vmid;
      } catch (err) {
        if (!(err instanceof ProxmoxError && /already exists/.test(err.pveMessage))) throw err;
        if (await containerIsOurs(run, run.node, vmid)) return vmid;
        await run.log(`CT ${vmid} was taken meanwhile; choosing another VMID`, "warn", "create");
        await ctx.save({ newVmid: null });
      }
    }
    throw new AppServiceError("Could not find a free VMID after 5 attempts", run.errorContext("create"));
  });

  await run.step("environment", async () => {
    // The new image's env as PVE wrote it, with the app's values over it (the address stays the app's).
    await run.writeOciEnv(entry, old.ip ?? run.app.hostname, newVmid);
  });

  await run.step("stop_old", async () => {
    await run.log(`Stopping CT ${old.vmid} (it is kept until CT ${newVmid} is healthy)`, "info", "stop_old");
    // A clean shutdown: the app closes its database before its volume moves.
    await run.shutdownContainer(old.vmid);
  });

  await run.step("move_data", async () => {
    const moved = await moveMounts(run, old.vmid, newVmid, old.mounts);
    if (moved.length)
      await run.log(`Moved ${moved.join(", ")} from CT ${old.vmid} to CT ${newVmid}`, "info", "move_data");
  });

  await run.step("start", () => run.startContainer(run.node, newVmid));

  const ip = await run.step("network", async () => {
    const address = await run.waitForAddress(newVmid);
    if (address !== old.ip && (await run.writeOciEnv(entry, address, newVmid))) {
      await run.log(`The new container has the address ${address}: restarting it with that address`, "warn");
      await run.stopContainer(newVmid);
      await run.startContainer(run.node, newVmid);
      return run.waitForAddress(newVmid);
    }
    return address;
  });

  await run.step("health", () => run.checkHealth(` after the update to ${entry.version}`, "later", ip));

  await run.step("switch", async () => {
    // The commit point: from here on the app is the new container, and a failure no longer rolls back.
    if (run.app.vmid !== newVmid) {
      await run.update({
        vmid: newVmid,
        ip,
        url: appUrl(entry, ip) ?? run.app.url,
        catalogVersion: entry.version,
        ociImage: image.reference,
        // The archive stays "ours" when this app's earlier update pulled it (a restore went back since).
        ociTemplate: template.pulled || old.template === template.volid ? template.volid : null,
      });
      await run.client.updateLxcConfig(run.node, newVmid, {
        onboot: true,
        description: ownerMarker(run.app.id),
      });
    }
    await run.log(`Removing CT ${old.vmid} (${old.version ?? "old version"})`, "info", "switch");
    await run.destroyContainer(run.node, old.vmid);
    // The previous image's archive, if Proximity pulled it for this app and no other app runs it.
    if (old.template && old.template !== template.volid) {
      await removeTemplateUnlessUsed(run, run.node, old.template, "of the previous version");
    }
  });

  await settle(deps.db, deps.events, run.app.id, "running", null, { previousStatus: null });
  await run.log(`${entry.name} is running ${entry.version} in CT ${newVmid}, with its data`, "info");
}

/** Rolls back what the update did before its switch; see the module comment. */
async function compensate(deps: AppDeps, ctx: UpdateContext, error: unknown): Promise<void> {
  const run = await AppRun.load(deps, ctx, ctx.payload.app_id);
  const step = ctx.currentStep;
  const old = oldOf(ctx);
  const newVmid = newVmidOf(ctx);
  const failure = `Update failed${step ? ` at step "${step}"` : ""}: ${errorMessage(error)}`;
  await run.log(failure, "error", step);

  // Switched already: the new container is the app; only the clean-up of the old one failed.
  if (newVmid !== undefined && run.app.vmid === newVmid) {
    const reason = `${failure}. The app runs the new version; CT ${old?.vmid ?? "?"} may still exist and can be removed by hand.`;
    await settle(deps.db, deps.events, run.app.id, "running", reason.slice(0, 1000), {
      previousStatus: null,
    });
    return;
  }

  // Refused before anything changed (nothing to update to, the old container unreadable).
  if (!old) {
    await settle(
      deps.db,
      deps.events,
      run.app.id,
      run.app.previousStatus ?? "running",
      failure.slice(0, 1000),
      {
        previousStatus: null,
      },
    );
    return;
  }

  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      problems.push(`${what}: ${errorMessage(err)}`);
      await run.log(`Rollback: ${what} failed: ${errorMessage(err)}`, "error", "compensate");
    }
  };

  if (newVmid !== undefined && run.app.node) {
    const exists = await run.client.lxcConfig(run.node, newVmid).then(
      (c) => typeof c.description === "string" && c.description.includes(run.app.id),
      (err) => {
        if (isMissing(err)) return false;
        throw err;
      },
    );
    if (exists) {
      await attempt(`stopping CT ${newVmid}`, () => run.stopContainer(newVmid));
      await attempt(`moving the data back to CT ${old.vmid}`, async () => {
        const back = await moveMounts(run, newVmid, old.vmid, old.mounts);
        if (back.length)
          await run.log(`Moved ${back.join(", ")} back to CT ${old.vmid}`, "warn", "compensate");
      });
      // Only once the data is back: destroying the new container would destroy volumes still attached to it.
      if (problems.length === 0) {
        await run.log(`Removing CT ${newVmid} created by this update`, "warn", "compensate");
        await attempt(`removing CT ${newVmid}`, () => run.destroyContainer(run.node, newVmid));
      }
    }
  }

  const volid = typeof ctx.data.template === "string" ? ctx.data.template : undefined;
  if (volid && ctx.data.pulled === true && run.app.node) {
    await attempt("removing the pulled template", () =>
      removeTemplateUnlessUsed(run, run.node, volid, "pulled by this update"),
    );
  }

  let running = false;
  if (old.running && problems.length === 0) {
    await attempt(`starting CT ${old.vmid} again`, async () => {
      await run.startContainer();
      await run.refreshAddress();
      await run.checkHealth(" after the rollback");
      running = true;
    });
  }
  const rolledBack = problems.length === 0;
  const reason = rolledBack
    ? `${failure}. Rolled back: ${run.app.name} ${old.version ?? ""} ${old.running ? "runs again" : "is back"} in CT ${old.vmid}, with its data.`
    : `${failure}. The rollback did not complete (${problems.join("; ")}); check CT ${old.vmid}${newVmid !== undefined ? ` and CT ${newVmid}` : ""} on ${run.app.node}.`;
  const next = !rolledBack ? "error" : !old.running ? "stopped" : running ? "running" : "error";
  await settle(deps.db, deps.events, run.app.id, next, reason.replace(/\s+/g, " ").slice(0, 1000), {
    previousStatus: null,
  });
}

export function updateOciJob(deps: AppDeps): JobImplementation {
  return implementJob(UpdateOciAppJob, {
    run: (ctx) => updateOci(deps, ctx),
    compensate: (ctx, err) => compensate(deps, ctx, err),
  });
}
