/**
 * The deploy saga (DESIGN §5): place → template → create → start → network → install Docker → write files →
 * pull → up → health → finish. Each step is checkpointed and safe to run again; transient failures are
 * retried by the queue; a permanent failure destroys the container this job created and leaves the app in
 * `error` with a reason the user can act on.
 */

import { AppServiceError } from "../../../core/errors.ts";
import { decryptSecret } from "../../../crypto/secrets.ts";
import { ProxmoxError } from "../../../proxmox/index.ts";
import { type ContextOf, implementJob, type JobImplementation } from "../../../queue/define.ts";
import { errorMessage } from "../../../queue/queue.ts";
import { renderEnvFile } from "../../catalog/index.ts";
import { liveCapacity, reserveNode, reserveVmid } from "../placement.ts";
import { compose, dockerInstallCommands, files, parseComposePs } from "../provision.ts";
import { type AppDeps, AppRun } from "../runtime.ts";
import { settle } from "../status.ts";
import { DEPLOY_STEPS, DeployAppJob } from "./job-types.ts";

export { DEPLOY_STEPS };

type DeployContext = ContextOf<typeof DeployAppJob>;

const OS = {
  "alpine-3.22": { prefix: "alpine-3.22-", ostype: "alpine" as const },
  "debian-12": { prefix: "debian-12-", ostype: "debian" as const },
};

/** The marker that lets a resumed job recognise a container it created itself. */
export function ownerMarker(appId: string): string {
  return `Managed by Proximity (app ${appId})`;
}

export async function containerIsOurs(run: AppRun, node: string, vmid: number): Promise<boolean> {
  try {
    const config = await run.client.lxcConfig(node, vmid);
    return typeof config.description === "string" && config.description.includes(run.app.id);
  } catch (err) {
    if (err instanceof ProxmoxError && /does not exist/.test(err.pveMessage)) return false;
    throw err;
  }
}

/** Makes sure the OS template is on the template storage of the node; returns its volid. */
export async function ensureTemplate(run: AppRun, node: string, os: keyof typeof OS): Promise<string> {
  const storage = (await run.deps.settings.get()).storage.templates;
  const { prefix } = OS[os];
  const present = await run.client.storageContent(node, storage, "vztmpl");
  const have = present.find((v) => v.volid.startsWith(`${storage}:vztmpl/${prefix}`));
  if (have) return have.volid;
  const available = (await run.client.aplinfo(node)).filter((t) => t.template.startsWith(prefix)).sort();
  const template = available.at(-1)?.template;
  if (!template) {
    throw new AppServiceError(
      `No ${os} template is offered by ${node}'s appliance index`,
      run.errorContext("template"),
    );
  }
  await run.log(`Downloading template ${template} to ${storage}`, "info", "template");
  await run.waitTask(await run.client.downloadTemplate(node, storage, template), node);
  return `${storage}:vztmpl/${template}`;
}

async function deploy(deps: AppDeps, ctx: DeployContext): Promise<void> {
  const run = await AppRun.load(deps, ctx, ctx.payload.app_id);
  const entry = run.catalogEntry();
  const settings = await deps.settings.get();

  await run.step("place", async () => {
    if (!run.app.node) {
      const capacity = await liveCapacity(run.client, settings.storage.rootfs);
      const preferred = ctx.payload.node;
      await reserveNode(deps.db, run.app.id, run.app.hostId, run.app.resources, capacity, preferred);
    }
    if (run.app.vmid === null) await reserveVmid(deps.db, run.client, run.app.id, run.app.hostId);
    await run.reload();
    await run.log(`Placed on ${run.app.node} as CT ${run.app.vmid}`, "info", "place");
  });
  await run.reload();

  const ostemplate = await run.step("template", () => ensureTemplate(run, run.node, entry.os_template));

  await run.step("create", async () => {
    const host = await deps.hosts.get(run.app.hostId);
    const password = run.app.rootPasswordEnc
      ? await decryptSecret(deps.keys, run.app.rootPasswordEnc)
      : undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      // Recorded before the call: from here on, compensation looks for the container.
      await ctx.save({ createRequested: true });
      try {
        const upid = await run.client.createLxc(run.node, {
          vmid: run.vmid,
          hostname: run.app.hostname,
          ostemplate,
          ostype: OS[entry.os_template].ostype,
          rootfs: { storage: settings.storage.rootfs, sizeGb: run.app.resources.disk_gb },
          cores: run.app.resources.cores,
          memory: run.app.resources.memory_mb,
          swap: settings.resources.swap_mb,
          net: {
            0: {
              name: "eth0",
              bridge: settings.network.bridge,
              ip: "dhcp",
              ...(settings.network.vlan ? { tag: settings.network.vlan } : {}),
            },
          },
          ...(settings.network.dns_servers.length
            ? { nameserver: settings.network.dns_servers.join(" ") }
            : {}),
          ...(settings.network.search_domain ? { searchdomain: settings.network.search_domain } : {}),
          unprivileged: true,
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
        });
        await run.waitTask(upid);
        return;
      } catch (err) {
        if (!(err instanceof ProxmoxError && /already exists/.test(err.pveMessage))) throw err;
        // Our own create from an attempt that died before it was checkpointed: carry on with it.
        if (await containerIsOurs(run, run.node, run.vmid)) return;
        // Someone else took the id between reservation and create: take another.
        await run.log(`CT ${run.vmid} was taken meanwhile; choosing another VMID`, "warn", "create");
        await run.update({ vmid: null });
        await reserveVmid(deps.db, run.client, run.app.id, run.app.hostId);
        await run.reload();
      }
    }
    throw new AppServiceError("Could not find a free VMID after 5 attempts", run.errorContext("create"));
  });

  await run.step("start", async () => {
    const status = await run.client.lxcStatus(run.node, run.vmid);
    if (status.status !== "running") await run.waitTask(await run.client.startLxc(run.node, run.vmid));
  });

  const ip = await run.step("network", async () => {
    const address = await run.waitForAddress();
    await run.update({ ip: address });
    return address;
  });

  await run.step("install_docker", async () => {
    for (const cmd of dockerInstallCommands(entry.os_template)) await run.exec(cmd.argv);
    await run.exec(["docker", "--version"]);
  });

  await run.step("write_files", async () => {
    await run.exec(files.mkdir);
    await run.exec(files.writeCompose, entry.compose);
    await run.exec(files.writeEnv, renderEnvFile(await run.environment()));
    await run.exec(files.lockEnv);
  });

  await run.step("pull", () => run.exec(compose.pull));
  await run.step("up", () => run.exec(compose.up));

  await run.step("health", async () => {
    const services = parseComposePs(await run.exec(compose.ps));
    const down = services.filter((s) => s.State !== "running");
    if (services.length === 0 || down.length) {
      throw new AppServiceError(
        `Services not running after start: ${down.map((s) => `${s.Service ?? s.Name} (${s.State})`).join(", ") || "none started"}`,
        run.errorContext("health"),
      );
    }
    await run.checkHealth();
  });

  await run.step("finish", async () => {
    const primary = entry.ports.find((p) => p.primary) ?? entry.ports[0];
    const url = primary ? `http://${ip}:${primary.container}` : null;
    await settle(deps.db, deps.events, run.app.id, "running", null, { url, ip, previousStatus: null });
    await run.log(`${entry.name} is running at ${url}`, "info", "finish");
  });
}

async function compensate(deps: AppDeps, ctx: DeployContext, error: unknown): Promise<void> {
  const run = await AppRun.load(deps, ctx, ctx.payload.app_id);
  const step = ctx.currentStep;
  const reason = `Deploy failed${step ? ` at step "${step}"` : ""}: ${errorMessage(error)}`;
  await run.log(reason, "error", step);
  if (ctx.data.createRequested && run.app.node && run.app.vmid !== null) {
    if (await containerIsOurs(run, run.app.node, run.app.vmid)) {
      await run.log(`Removing CT ${run.app.vmid} created by this deploy`, "warn", "compensate");
      await run.destroyContainer();
    }
  }
  // The reservation ends with the deploying state; the row stays so the user sees what happened.
  await settle(deps.db, deps.events, run.app.id, "error", reason.slice(0, 1000), {
    vmid: null,
    node: null,
    ip: null,
    url: null,
  });
}

export function deployJob(deps: AppDeps): JobImplementation {
  return implementJob(DeployAppJob, {
    run: (ctx) => deploy(deps, ctx),
    compensate: (ctx, err) => compensate(deps, ctx, err),
  });
}
