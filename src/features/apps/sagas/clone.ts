/**
 * Clone: a full copy of an app's container under a new hostname and VMID. A running source is cloned from a
 * snapshot (consistent, no downtime); the snapshot is always removed afterwards, success or not. The copy
 * gets its own root password; app secrets (e.g. database passwords) stay, because the copied data volumes
 * were initialised with them. An oci app's clone copies its data mount points too (a full clone copies every
 * volume); it has no login, and its environment is rewritten for its own address before the health check.
 */
import { eq } from "drizzle-orm";
import { decryptSecret } from "../../../crypto/secrets.ts";
import { applications } from "../../../db/schema.ts";
import { isMissing } from "../../../proxmox/index.ts";
import { type ContextOf, implementJob, type JobImplementation } from "../../../queue/define.ts";
import { errorMessage } from "../../../queue/queue.ts";
import { reserveVmid } from "../placement.ts";
import { compose } from "../provision.ts";
import { type AppDeps, AppRun } from "../runtime.ts";
import { settle } from "../status.ts";
import { containerIsOurs, ownerMarker } from "./deploy.ts";
import { CloneAppJob } from "./job-types.ts";

type CloneContext = ContextOf<typeof CloneAppJob>;

async function clone(deps: AppDeps, ctx: CloneContext): Promise<void> {
  const source = await AppRun.load(deps, ctx, ctx.payload.app_id);
  const target = await AppRun.load(deps, ctx, ctx.payload.target_app_id);
  // PVE snapshot names are `pve-configid`: a letter, then letters, digits and underscores.
  const snapname = `proximity_clone_${ctx.job.id.slice(0, 8)}`;

  await target.step("reserve", async () => {
    await target.update({ node: source.node });
    if (target.app.vmid === null) await reserveVmid(deps.db, target.client, target.app.id, target.app.hostId);
    await target.reload();
  });
  await target.reload();

  await target.step("snapshot", async () => {
    // Decided from the live status: PVE refuses a full clone of a running CT without a snapshot, and the
    // app's recorded status may be stale (started or stopped outside Proximity).
    const live = await source.client.lxcStatus(source.node, source.vmid);
    if (live.status !== "running") return;
    await ctx.save({ snapshot: snapname });
    const existing = await source.client.listSnapshots(source.node, source.vmid);
    if (!existing.some((s) => s.name === snapname)) {
      await source.waitTask(
        await source.client.createSnapshot(source.node, source.vmid, snapname, "Proximity clone"),
      );
    }
  });

  await target.step("clone", async () => {
    await ctx.save({ createRequested: true });
    if (await containerIsOurs(target, target.node, target.vmid)) return;
    const upid = await source.client.cloneLxc(source.node, source.vmid, {
      newid: target.vmid,
      hostname: target.app.hostname,
      description: ownerMarker(target.app.id),
      full: true,
      storage: (await deps.settings.get()).storage.rootfs,
      ...(ctx.data.snapshot ? { snapname: String(ctx.data.snapshot) } : {}),
    });
    await source.waitTask(upid);
  });

  await target.step("cleanup_snapshot", () => removeSnapshot(source, ctx));

  await target.step("start", () => target.startContainer());
  let ip = await target.step("network", () => target.recordAddress());
  await target.step("secrets", async () => {
    if (!target.app.rootPasswordEnc) return;
    // The new root password travels on stdin, never on a command line.
    await target.exec(["chpasswd"], `root:${await decryptSecret(deps.keys, target.app.rootPasswordEnc)}\n`);
  });
  // An lxc clone runs what the source ran, as it was: nothing to write for its new address.
  const entry = target.app.runtime === "lxc" ? undefined : target.catalogEntry();
  ip = await target.step("up", async () => {
    if (!entry) return ip;
    if (target.app.runtime === "oci") {
      // The copied `env` names the source's address and hostname: write the clone's, and restart.
      if (!(await target.writeOciEnv(entry, ip))) return ip;
      await target.stopContainer();
      await target.startContainer();
      return target.recordAddress();
    }
    // The clone has its own address and hostname: `.env` still names the source's.
    await target.writeEnvFile(entry);
    await target.exec(compose.up);
    return ip;
  });
  await target.step("health", () => target.checkHealth());
  await target.step("finish", async () => {
    await settle(deps.db, deps.events, target.app.id, "running", null, { url: target.urlAt(ip) });
    await settle(deps.db, deps.events, source.app.id, source.app.previousStatus ?? "running", null, {
      previousStatus: null,
    });
    await target.log(`Cloned from ${source.app.hostname}`);
  });
}

async function removeSnapshot(source: AppRun<string>, ctx: CloneContext): Promise<void> {
  if (!ctx.data.snapshot) return;
  try {
    await source.waitTask(
      await source.client.deleteSnapshot(source.node, source.vmid, String(ctx.data.snapshot)),
    );
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
}

async function compensate(deps: AppDeps, ctx: CloneContext, error: unknown): Promise<void> {
  const source = await AppRun.load(deps, ctx, ctx.payload.app_id);
  const reason = `Clone failed: ${errorMessage(error)}`;
  await removeSnapshot(source, ctx).catch((err) =>
    source.log(`Could not remove the clone snapshot: ${errorMessage(err)}`, "warn"),
  );
  const [targetRow] = await deps.db
    .select()
    .from(applications)
    .where(eq(applications.id, ctx.payload.target_app_id));
  if (targetRow) {
    const target = await AppRun.load(deps, ctx, targetRow.id);
    if (ctx.data.createRequested && target.app.node && target.app.vmid !== null) {
      if (await containerIsOurs(target, target.app.node, target.app.vmid)) await target.destroyContainer();
    }
    await target.log(reason, "error");
    await settle(deps.db, deps.events, target.app.id, "error", reason.slice(0, 1000), {
      vmid: null,
      node: null,
      ip: null,
    });
  }
  await source.log(reason, "error");
  // The source itself was only read: it goes back to where it was.
  await settle(deps.db, deps.events, source.app.id, source.app.previousStatus ?? "running", null, {
    previousStatus: null,
  });
}

export function cloneJob(deps: AppDeps): JobImplementation {
  return implementJob(CloneAppJob, {
    run: (ctx) => clone(deps, ctx),
    compensate: (ctx, e) => compensate(deps, ctx, e),
  });
}
