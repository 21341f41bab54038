/**
 * The deploy saga of the OCI runtime (PVE 9.1+): place → pull → create → environment → start → network →
 * address_env → health → finish. The entry's one image is pulled as a template archive, the container is
 * created from it with a mount point per data volume, and the app's environment is merged into the one PVE
 * took from the image before the first start (so first-boot values such as an initial admin password are
 * the app's own). Values that depend on the address are provisional until the address is known; if they
 * change, they are written again and the container restarted before the health check.
 *
 * A permanent failure removes the container this job created and the template it pulled (unless another
 * app uses that image), and leaves the app in `error` with a reason naming the step.
 */

import { and, eq, ne } from "drizzle-orm";
import { AppServiceError } from "../../../core/errors.ts";
import { applications } from "../../../db/schema.ts";
import {
  type CreateLxcParams,
  type LxcMountPoint,
  ociArchiveVolid,
  ProxmoxError,
  storageFor,
} from "../../../proxmox/index.ts";
import { type ContextOf, implementJob, type JobImplementation } from "../../../queue/define.ts";
import { errorMessage } from "../../../queue/queue.ts";
import type { CatalogEntry } from "../../catalog/catalog.schemas.ts";
import { ociService } from "../../catalog/index.ts";
import { storageSetting } from "../../settings/settings.schemas.ts";
import { appUrl } from "../app-url.ts";
import { lxcNetwork } from "../network.ts";
import { ociFilename, ociReference } from "../oci-image.ts";
import { type AppDeps, AppRun } from "../runtime.ts";
import { settle } from "../status.ts";
import { abandonDeploy, createContainer, ownerMarker, placeApp } from "./deploy.ts";
import { DeployOciAppJob } from "./job-types.ts";

type OciDeployContext = ContextOf<typeof DeployOciAppJob>;

/** What the pull step leaves for later steps and for compensation. */
interface PulledTemplate {
  volid: string;
  /** This job pulled it (it was not on the storage before): compensation may remove it. */
  pulled: boolean;
}

export function ociImageOf(entry: CatalogEntry, run: AppRun) {
  const service = ociService(entry.compose);
  if (Array.isArray(service)) {
    throw new AppServiceError(
      `${entry.name} cannot run as an OCI container: ${service.join("; ")}`,
      run.errorContext(),
    );
  }
  const reference = ociReference(service.image);
  return { service, reference, filename: ociFilename(reference) };
}

/**
 * What an application container of this app is created with, by the deploy and by an update (which passes
 * the old container's MAC address, so the DHCP server hands the new one the app's address).
 */
export function ociContainerParams(
  run: AppRun,
  settings: Awaited<ReturnType<AppDeps["settings"]["get"]>>,
  ct: {
    vmid: number;
    ostemplate: string;
    rootfs: CreateLxcParams["rootfs"];
    hwaddr?: string;
    description?: string;
  },
): CreateLxcParams {
  return {
    vmid: ct.vmid,
    hostname: run.app.hostname,
    ostemplate: ct.ostemplate,
    rootfs: ct.rootfs,
    cores: run.app.resources.cores,
    memory: run.app.resources.memory_mb,
    swap: settings.resources.swap_mb,
    ...lxcNetwork(settings.network, { hostManaged: true, ...(ct.hwaddr ? { hwaddr: ct.hwaddr } : {}) }),
    unprivileged: true,
    tags: ["proximity"],
    description: ct.description ?? ownerMarker(run.app.id),
    onboot: true,
  };
}

/**
 * The pull step of the deploy and of an update: the image as a template archive on the node's template
 * storage, unless it is there already. Records `template` and `pulled` in the job data before the pull,
 * so compensation can remove an archive this job stored (and only such an archive).
 */
export async function pullImage(
  run: AppRun,
  ctx: { save(patch: Record<string, unknown>): Promise<void> },
  settings: Awaited<ReturnType<AppDeps["settings"]["get"]>>,
  image: { reference: string; filename: string },
): Promise<PulledTemplate> {
  const storage = await storageFor(run.client, run.node, "templates", storageSetting(settings, "templates"));
  const volid = ociArchiveVolid(storage, image.reference, image.filename);
  const present = await run.client.storageContent(run.node, storage, "vztmpl");
  // Also after an attempt whose pull finished before it failed: `pulled` in the job data stays as saved.
  if (present.some((v) => v.volid === volid)) {
    await run.log(`Image ${image.reference} is already on ${storage} (${volid})`, "info", "pull");
    return { volid, pulled: false };
  }
  await run.log(`Pulling ${image.reference} to ${storage}`, "info", "pull");
  // Recorded before the call: compensation removes what a pull of this job may have stored.
  await ctx.save({ template: volid, pulled: true });
  try {
    const upid = await run.client.ociRegistryPull(run.node, storage, {
      reference: image.reference,
      filename: image.filename,
    });
    await run.waitTask(upid);
  } catch (err) {
    // Another deploy of the same image stored it meanwhile: use it, and leave it to that app.
    if (err instanceof ProxmoxError && /refusing to override existing file/.test(err.pveMessage)) {
      await ctx.save({ pulled: false });
      return { volid, pulled: false };
    }
    // Transient (node unreachable, a dropped connection): the queue runs the step again.
    if (err instanceof ProxmoxError && err.retryable) throw err;
    throw new AppServiceError(
      `Pulling ${image.reference} failed: ${errorMessage(err)}`,
      run.errorContext("pull"),
    );
  }
  return { volid, pulled: true };
}

async function deployOci(deps: AppDeps, ctx: OciDeployContext): Promise<void> {
  const run = await AppRun.load(deps, ctx, ctx.payload.app_id);
  const entry = run.catalogEntry();
  const settings = await deps.settings.get();
  const image = ociImageOf(entry, run);

  await run.step("place", () => placeApp(run, settings, ctx.payload.node));
  await run.reload();

  const template: PulledTemplate = await run.step("pull", () => pullImage(run, ctx, settings, image));

  await run.step("create", async () => {
    const rootfsStorage = await storageFor(
      run.client,
      run.node,
      "rootfs",
      storageSetting(settings, "rootfs"),
    );
    // Each data volume gets its own mount point. The app's data lives there, so the first one has the
    // app's disk size (the one a resize grows) and the others and the rootfs (the image) the entry's
    // minimum. Without a data volume, the rootfs holds everything and has the app's disk size.
    const volumes = image.service.volumes;
    const mp: Record<number, LxcMountPoint> = {};
    volumes.forEach((v, i) => {
      const sizeGb = i === 0 ? run.app.resources.disk_gb : entry.min.disk_gb;
      mp[i] = { storage: rootfsStorage, sizeGb, mp: v.path, backup: true };
    });
    const rootfsGb = volumes.length ? entry.min.disk_gb : run.app.resources.disk_gb;
    await createContainer(run, ctx, () => ({
      ...ociContainerParams(run, settings, {
        vmid: run.vmid,
        ostemplate: template.volid,
        rootfs: { storage: rootfsStorage, sizeGb: rootfsGb },
      }),
      ...(volumes.length ? { mp } : {}),
    }));
    await run.update({ ociImage: image.reference, ociTemplate: template.pulled ? template.volid : null });
  });

  await run.step("environment", async () => {
    // PVE wrote the image's Env into `env`; the app's values are merged over it before the first start.
    // The hostname stands in for the address until the container has one (address_env corrects it).
    const wrote = await run.writeOciEnv(entry, run.app.hostname);
    await run.log(
      wrote
        ? `Set the environment of ${entry.name} (merged over the image's)`
        : "The app sets no environment of its own; the image's is kept",
      "info",
      "environment",
    );
  });

  await run.step("start", () => run.startContainer());

  await run.step("network", () => run.recordAddress());
  await run.reload();

  await run.step("address_env", async () => {
    if (!(await run.writeOciEnv(entry, run.app.ip!))) return;
    await run.log("Values that depend on the address changed: restarting with them", "info");
    // `env` of a running container waits in `pending` until the next start.
    await run.stopContainer();
    await run.startContainer();
    await run.recordAddress();
  });
  await run.reload();

  await run.step("health", () => run.checkHealth("", "first_boot"));

  await run.step("finish", async () => {
    const ip = run.app.ip!;
    const url = appUrl(entry, ip);
    await settle(deps.db, deps.events, run.app.id, "running", null, { url, ip, previousStatus: null });
    await run.log(
      `${entry.name} is running at ${url ?? `${ip} (no web interface)`} (OCI container)`,
      "info",
      "finish",
    );
  });
}

/**
 * Whether another app on the same node runs (or is being deployed from) the image of this archive. An app
 * whose container is not created yet has no `ociImage`: its entry's image stands in for it.
 */
async function templateInUse(run: AppRun, node: string, volid: string): Promise<boolean> {
  const storage = volid.slice(0, volid.indexOf(":"));
  const archiveOf = (reference: string) => ociArchiveVolid(storage, reference, ociFilename(reference));
  const others = await run.deps.db
    .select({ catalogId: applications.catalogId, ociImage: applications.ociImage })
    .from(applications)
    .where(
      and(
        eq(applications.hostId, run.app.hostId),
        eq(applications.node, node),
        eq(applications.runtime, "oci"),
        ne(applications.id, run.app.id),
      ),
    );
  return others.some((o) => {
    if (o.ociImage) return archiveOf(o.ociImage) === volid;
    const entry = o.catalogId ? run.deps.catalog.get(o.catalogId) : undefined;
    const service = entry ? ociService(entry.compose) : [];
    return !Array.isArray(service) && archiveOf(ociReference(service.image)) === volid;
  });
}

/**
 * Removes a template archive Proximity pulled, unless another app on the node runs that image (a later
 * deploy of it would need to pull it again, which is all the archive saves). A missing archive is fine.
 */
export async function removeTemplateUnlessUsed(
  run: AppRun,
  node: string,
  volid: string,
  why: string,
): Promise<void> {
  if (await templateInUse(run, node, volid)) return;
  const storage = volid.slice(0, volid.indexOf(":"));
  const stored = await run.client.storageContent(node, storage, "vztmpl");
  if (!stored.some((v) => v.volid === volid)) return;
  await run.log(`Removing the template ${volid} ${why}`);
  await run.waitTask(await run.client.deleteVolume(node, storage, volid), node, "volume");
}

async function compensate(deps: AppDeps, ctx: OciDeployContext, error: unknown): Promise<void> {
  const run = await AppRun.load(deps, ctx, ctx.payload.app_id);
  const volid = typeof ctx.data.template === "string" ? ctx.data.template : undefined;
  await abandonDeploy(
    run,
    ctx,
    error,
    async (node) => {
      if (volid && ctx.data.pulled === true) {
        await removeTemplateUnlessUsed(run, node, volid, "pulled by this deploy");
      }
    },
    { ociImage: null, ociTemplate: null },
  );
}

export function deployOciJob(deps: AppDeps): JobImplementation {
  return implementJob(DeployOciAppJob, {
    run: (ctx) => deployOci(deps, ctx),
    compensate: (ctx, err) => compensate(deps, ctx, err),
  });
}
