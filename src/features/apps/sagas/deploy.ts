/**
 * The deploy saga: place → template → create → start → network → install Docker → write files →
 * pull → seed the entry's files into its volumes → up → health → finish. Each step is checkpointed and safe to run again; transient failures are
 * retried by the queue; a permanent failure destroys the container this job created and leaves the app in
 * `error` with a reason the user can act on.
 */

import { AppServiceError } from "../../../core/errors.ts";
import { decryptSecret } from "../../../crypto/secrets.ts";
import type { applications } from "../../../db/schema.ts";
import {
  type CreateLxcParams,
  isMissing,
  ProxmoxError,
  pickAppliance,
  pickStored,
  storageFor,
} from "../../../proxmox/index.ts";
import { type ContextOf, implementJob, type JobImplementation } from "../../../queue/define.ts";
import { errorMessage } from "../../../queue/queue.ts";
import { storageSetting } from "../../settings/settings.schemas.ts";
import { appUrl } from "../app-url.ts";
import { lxcNetwork } from "../network.ts";
import { liveCapacity, reserveNode, reserveVmid } from "../placement.ts";
import {
  compose,
  composeVersion,
  dockerInstallCommands,
  files,
  isRuncSysctlFailure,
  parseComposePs,
} from "../provision.ts";
import { type AppDeps, AppRun } from "../runtime.ts";
import { seedEntryFiles } from "../seed-files.ts";
import { settle } from "../status.ts";
import { type Distro, TEMPLATE_WISHES } from "../templates.ts";
import { DEPLOY_STEPS, DeployAppJob } from "./job-types.ts";

export { DEPLOY_STEPS };

type DeployContext = ContextOf<typeof DeployAppJob>;

/** The marker that lets a resumed job recognise a container it created itself. */
export function ownerMarker(appId: string): string {
  return `Managed by Proximity (app ${appId})`;
}

export async function containerIsOurs(run: AppRun, node: string, vmid: number): Promise<boolean> {
  try {
    const config = await run.client.lxcConfig(node, vmid);
    return typeof config.description === "string" && config.description.includes(run.app.id);
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

/**
 * Makes sure an OS template for the catalog's wish is on a template storage of the node: the best one
 * already there, else the best the appliance index offers (by package and version, never by name
 * prefix). Returns its volid and the distribution it runs.
 */
async function ensureTemplate(
  run: AppRun,
  node: string,
  os: keyof typeof TEMPLATE_WISHES,
): Promise<{ volid: string; distro: Distro }> {
  const storage = await storageFor(
    run.client,
    node,
    "templates",
    storageSetting(await run.deps.settings.get(), "templates"),
  );
  const wish = TEMPLATE_WISHES[os];
  const present = await run.client.storageContent(node, storage, "vztmpl");
  const offered = pickAppliance(await run.client.aplinfo(node), wish);
  const stored = pickStored(present, wish);
  // A stored template of the first-choice package is used as is; otherwise the index may offer better.
  if (stored && (!offered || stored.distro === offered.distro))
    return { volid: stored.volid, distro: stored.distro };
  if (!offered) {
    throw new AppServiceError(
      `No ${os} template is offered by ${node}'s appliance index (run \`pveam update\` on the node)`,
      run.errorContext("template"),
    );
  }
  await run.log(`Downloading template ${offered.template} to ${storage}`, "info", "template");
  await run.waitTask(await run.client.downloadTemplate(node, storage, offered.template), node);
  return { volid: `${storage}:vztmpl/${offered.template}`, distro: offered.distro };
}

/** The place step of both deploys: a node with room for the app (the preferred one if given) and a VMID. */
export async function placeApp(
  run: AppRun,
  settings: Awaited<ReturnType<AppDeps["settings"]["get"]>>,
  preferred: string | undefined,
): Promise<void> {
  if (!run.app.node) {
    const capacity = await liveCapacity(run.client, storageSetting(settings, "rootfs"), (node, reason) =>
      run.log(`Node ${node} skipped: ${reason}`, "warn", "place"),
    );
    await reserveNode(run.deps.db, run.app.id, run.app.hostId, run.app.resources, capacity, preferred);
  }
  if (run.app.vmid === null) await reserveVmid(run.deps.db, run.client, run.app.id, run.app.hostId);
  await run.reload();
  await run.log(`Placed on ${run.app.node} as CT ${run.app.vmid}`, "info", "place");
}

/**
 * The create step of both deploys: creates the container from `params()` (called per attempt, with the
 * current VMID), recording first that compensation must look for it. A container of this app that already
 * exists (an attempt that died before its checkpoint) is kept; a VMID someone else took meanwhile is replaced.
 */
export async function createContainer(
  run: AppRun,
  ctx: { save(patch: Record<string, unknown>): Promise<void> },
  params: () => CreateLxcParams,
): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    // Recorded before the call: from here on, compensation looks for the container.
    await ctx.save({ createRequested: true });
    try {
      await run.waitTask(await run.client.createLxc(run.node, params()));
      return;
    } catch (err) {
      if (!(err instanceof ProxmoxError && /already exists/.test(err.pveMessage))) throw err;
      // Our own create from an attempt that died before it was checkpointed: carry on with it.
      if (await containerIsOurs(run, run.node, run.vmid)) return;
      // Someone else took the id between reservation and create: take another.
      await run.log(`CT ${run.vmid} was taken meanwhile; choosing another VMID`, "warn", "create");
      await run.update({ vmid: null });
      await reserveVmid(run.deps.db, run.client, run.app.id, run.app.hostId);
      await run.reload();
    }
  }
  throw new AppServiceError("Could not find a free VMID after 5 attempts", run.errorContext("create"));
}

/** A job checkpointed by an older version stored only the volid. */
function templateFromCheckpoint(stepped: unknown): { volid: string; distro: Distro } {
  if (typeof stepped !== "string") return stepped as { volid: string; distro: Distro };
  const distro: Distro = stepped.includes("alpine")
    ? "alpine"
    : stepped.includes("debian-13")
      ? "debian-13"
      : "debian-12";
  return { volid: stepped, distro };
}

async function deploy(deps: AppDeps, ctx: DeployContext): Promise<void> {
  const run = await AppRun.load(deps, ctx, ctx.payload.app_id);
  const entry = run.catalogEntry();
  const settings = await deps.settings.get();

  await run.step("place", () => placeApp(run, settings, ctx.payload.node));
  await run.reload();

  const stepped: unknown = await run.step("template", () => ensureTemplate(run, run.node, entry.os_template));
  const template = templateFromCheckpoint(stepped);
  const ostemplate = template.volid;

  await run.step("create", async () => {
    const host = await deps.hosts.get(run.app.hostId);
    const password = run.app.rootPasswordEnc
      ? await decryptSecret(deps.keys, run.app.rootPasswordEnc)
      : undefined;
    const rootfsStorage = await storageFor(
      run.client,
      run.node,
      "rootfs",
      storageSetting(settings, "rootfs"),
    );
    await createContainer(run, ctx, () => ({
      vmid: run.vmid,
      hostname: run.app.hostname,
      ostemplate,
      ostype: TEMPLATE_WISHES[entry.os_template].ostype,
      rootfs: { storage: rootfsStorage, sizeGb: run.app.resources.disk_gb },
      cores: run.app.resources.cores,
      memory: run.app.resources.memory_mb,
      swap: settings.resources.swap_mb,
      ...lxcNetwork(settings.network),
      // Explicit: PVE 9 defaults to unprivileged, 8.4 to privileged (which a token may not create on 9).
      unprivileged: true,
      // nesting is required for Docker (AppArmor 4 userns on PVE 9) and systemd 257 in Debian 13.
      // keyctl can only be set by root@pam with a ticket; API tokens are refused it by PVE.
      features: {
        nesting: true,
        ...(host.authKind === "ticket" && host.username === "root@pam" ? { keyctl: true } : {}),
      },
      tags: ["proximity"],
      description: ownerMarker(run.app.id),
      sshPublicKeys: deps.sshPublicKey,
      ...(password ? { password } : {}),
      onboot: true,
    }));
  });

  await run.step("start", () => run.startContainer());

  const ip = await run.step("network", () => run.recordAddress());

  await run.step("install_docker", async () => {
    for (const cmd of dockerInstallCommands(template.distro)) await run.exec(cmd.argv, cmd.stdin);
    await run.exec(["docker", "--version"]);
    await run.exec(composeVersion).catch((err) => {
      throw new AppServiceError(
        `Docker Compose v2 (\`docker compose\`) is missing in CT ${run.vmid} after installing Docker on ${template.distro}: ${errorMessage(err)}`,
        run.errorContext("install_docker"),
      );
    });
  });

  await run.step("write_files", async () => {
    await run.exec(files.mkdir);
    await run.exec(files.writeCompose, entry.compose);
    // After the network step: `.env` carries the app's address, hostname and URL.
    await run.writeEnvFile(entry);
  });

  await run.step("pull", () => run.exec(compose.pull));
  // The entry's files go into the app's volumes before it first starts (never again: later deploys keep
  // what the app or the user changed).
  await run.step("seed_files", () => seedEntryFiles(run, entry));
  await run.step("up", () =>
    run.exec(compose.up).catch((err) => {
      if (!isRuncSysctlFailure(errorMessage(err))) throw err;
      throw new AppServiceError(
        `Docker cannot start containers in CT ${run.vmid}: node ${run.node} runs an lxc-pve older than 6.0.5-2, whose AppArmor profile blocks runc ≥ 1.2.8 ("ip_unprivileged_port_start … permission denied"). Upgrade the node (apt update && apt full-upgrade, for lxc-pve ≥ 6.0.5-2) and deploy again.`,
        run.errorContext("up"),
      );
    }),
  );

  await run.step("health", async () => {
    const services = parseComposePs(await run.exec(compose.ps));
    const down = services.filter((s) => s.State !== "running");
    if (services.length === 0 || down.length) {
      throw new AppServiceError(
        `Services not running after start: ${down.map((s) => `${s.Service ?? s.Name} (${s.State})`).join(", ") || "none started"}`,
        run.errorContext("health"),
      );
    }
    await run.checkHealth("", "first_boot");
  });

  await run.step("finish", async () => {
    const url = appUrl(entry, ip);
    await settle(deps.db, deps.events, run.app.id, "running", null, { url, ip, previousStatus: null });
    await run.log(`${entry.name} is running at ${url ?? `${ip} (no web interface)`}`, "info", "finish");
  });
}

/**
 * The compensation of both deploys: removes the container this job created (when it is ours), then what
 * the runtime's own `cleanUp` removes on the node, and leaves the app in `error` with a reason naming the
 * step. The row stays, so the user sees what happened; the reservation ends with the deploying state.
 */
export async function abandonDeploy(
  run: AppRun,
  ctx: { currentStep: string | undefined; data: Record<string, unknown> },
  error: unknown,
  cleanUp?: (node: string) => Promise<void>,
  clear: Partial<typeof applications.$inferInsert> = {},
): Promise<void> {
  const step = ctx.currentStep;
  const reason = `Deploy failed${step ? ` at step "${step}"` : ""}: ${errorMessage(error)}`;
  await run.log(reason, "error", step);
  const node = run.app.node;
  if (ctx.data.createRequested && node && run.app.vmid !== null) {
    if (await containerIsOurs(run, node, run.app.vmid)) {
      await run.log(`Removing CT ${run.app.vmid} created by this deploy`, "warn", "compensate");
      await run.destroyContainer();
    }
  }
  if (node && cleanUp) await cleanUp(node);
  await settle(run.deps.db, run.deps.events, run.app.id, "error", reason.slice(0, 1000), {
    vmid: null,
    node: null,
    ip: null,
    url: null,
    ...clear,
  });
}

async function compensate(deps: AppDeps, ctx: DeployContext, error: unknown): Promise<void> {
  await abandonDeploy(await AppRun.load(deps, ctx, ctx.payload.app_id), ctx, error);
}

export function deployJob(deps: AppDeps): JobImplementation {
  return implementJob(DeployAppJob, {
    run: (ctx) => deploy(deps, ctx),
    compensate: (ctx, err) => compensate(deps, ctx, err),
  });
}
