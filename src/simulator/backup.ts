/**
 * vzdump: one task per call, lock `backup` on each CT while it runs, archives named
 * `vzdump-lxc-<vmid>-<YYYY_MM_DD-HH_MM_SS>.tar[.zst|.gz|.lzo]` (local time) on a `backup` storage,
 * with notes from `notes-template`. The archive keeps a copy of the CT for restore.
 */

import { requirePriv } from "./acl.ts";
import type { Container, SimNode } from "./cluster.ts";
import { MIB } from "./cluster.ts";
import { bool, type Call, num, type Sim, startTask, str } from "./context.ts";
import { fail, InjectedFailure } from "./errors.ts";
import { copyGuestState } from "./guest.ts";
import { rootfsSize } from "./lxc-config.ts";
import { backUpMounts } from "./mountpoints.ts";

const EXT: Record<string, string> = {
  "0": "tar",
  "1": "tar.lzo",
  gzip: "tar.gz",
  lzo: "tar.lzo",
  zstd: "tar.zst",
};

const pad = (n: number) => String(n).padStart(2, "0");

/** The archive timestamp, in the node's local time like VZDump.pm's strftime. */
export function backupStamp(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  return `${d.getFullYear()}_${pad(d.getMonth() + 1)}_${pad(d.getDate())}-${pad(d.getHours())}_${pad(d.getMinutes())}_${pad(d.getSeconds())}`;
}

function duration(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

/**
 * VZDump.pm getlock: one backup job per node at a time; the next one waits up to `lockwait` minutes
 * (default 180) and then fails. Returns the release function.
 */
async function takeVzdumpLock(sim: Sim, node: SimNode, lockwaitMin: number, log: (l: string) => void) {
  if (node.vzdumpLock) {
    log("INFO: trying to get global lock - waiting...");
    const deadline = Date.now() + (lockwaitMin * 60_000) / sim.clock.speed;
    while (node.vzdumpLock) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("can't acquire lock '/var/run/vzdump.lock' - got timeout");
      await Promise.race([node.vzdumpLock, new Promise((r) => setTimeout(r, left))]);
    }
    log("INFO: got global lock");
  }
  let release!: () => void;
  node.vzdumpLock = new Promise<void>((r) => {
    release = () => {
      node.vzdumpLock = undefined;
      r();
    };
  });
  return release;
}

/** A backup job of root@pam (e.g. the nightly datacenter job) holding the node's lock for `seconds`. */
export function holdVzdumpLock(sim: Sim, nodeName: string, seconds: number): string {
  const node = sim.cluster.node(nodeName);
  return sim.tasks.start({
    node: nodeName,
    type: "vzdump",
    id: "",
    user: "root@pam",
    worker: async (ctx) => {
      const release = await takeVzdumpLock(sim, node, 180, ctx.log);
      try {
        ctx.log(`INFO: starting new backup job: vzdump --all 1 --mode snapshot --node ${nodeName}`);
        await ctx.work(seconds * 1000);
        ctx.log("INFO: Backup job finished successfully");
      } finally {
        release();
      }
    },
  }).upid;
}

export function vzdump(call: Call, node: string): string {
  const { sim, p } = call;
  const { cluster } = sim;
  cluster.node(node);
  // A backup addressed to another node answers "OK" instead of a UPID.
  const targetNode = str(p, "node");
  if (targetNode && targetNode !== node) return "OK";
  const sid = str(p, "storage") ?? "local";
  const storage = cluster.storage(node, sid);
  if (!storage.content.includes("backup"))
    fail(`can't use storage '${sid}' for backups - wrong content type`);
  if (p["notes-template"] !== undefined && p.storage === undefined) {
    fail("parameter 'notes-template' requires parameter 'storage'");
  }
  const all = bool(p, "all");
  const exclude = new Set(
    (str(p, "exclude") ?? "")
      .split(/[,;\s]+/)
      .filter(Boolean)
      .map(Number),
  );
  const vmids = all
    ? [...cluster.containers.values()].filter((c) => c.node === node).map((c) => c.vmid)
    : (str(p, "vmid") ?? "")
        .split(/[,;\s]+/)
        .filter(Boolean)
        .map(Number);
  if (!all && vmids.length === 0) fail("no guests selected - please set 'vmid', 'pool' or 'all'");
  const local = vmids
    .filter((v) => !exclude.has(v))
    .map((v) => cluster.containers.get(v))
    .filter((c): c is Container => c !== undefined && c.node === node);
  if (local.length === 0) return "OK";
  for (const ct of local) requirePriv(call, `/vms/${ct.vmid}`, ["VM.Backup"]);
  requirePriv(call, `/storage/${sid}`, ["Datastore.AllocateSpace"]);
  const lockwait = num(p, "lockwait") ?? 180;

  const compress = str(p, "compress") ?? "0";
  const mode = str(p, "mode") ?? "snapshot";
  const args = [`vzdump ${local.map((c) => c.vmid).join(" ")}`];
  for (const k of ["storage", "mode", "compress", "notes-template", "remove"]) {
    if (p[k] !== undefined) args.push(`--${k} ${typeof p[k] === "boolean" ? (p[k] ? 1 : 0) : p[k]}`);
  }
  const id = local.length === 1 ? String(local[0]!.vmid) : "";
  return startTask(call, node, "vzdump", id, async (ctx) => {
    const release = await takeVzdumpLock(sim, cluster.node(node), lockwait, ctx.log);
    try {
      await runBackups(ctx);
    } finally {
      release();
    }
  }).upid;

  async function runBackups(ctx: Parameters<Parameters<typeof startTask>[4]>[0]): Promise<void> {
    ctx.log(`INFO: starting new backup job: ${args.join(" ")} --node ${node}`);
    let errors = 0;
    for (const ct of local) {
      const began = sim.clock.now();
      ctx.log(`INFO: Starting Backup of VM ${ct.vmid} (lxc)`);
      ctx.log(
        `INFO: Backup started at ${new Date(began * 1000).toISOString().replace("T", " ").slice(0, 19)}`,
      );
      ctx.log(`INFO: status = ${ct.status}`);
      if (ct.config.lock) {
        ctx.log(`ERROR: Backup of VM ${ct.vmid} failed - CT is locked (${ct.config.lock})`);
        errors++;
        continue;
      }
      ct.config.lock = "backup";
      try {
        ctx.log(`INFO: CT Name: ${ct.config.hostname ?? `CT${ct.vmid}`}`);
        ctx.log("INFO: including mount point rootfs ('/') in backup");
        const mounts = backUpMounts(cluster, ct, ctx.log);
        ctx.log(`INFO: backup mode: ${mode}`);
        const file = `vzdump-lxc-${ct.vmid}-${backupStamp(began)}.${EXT[compress]}`;
        ctx.log(`INFO: creating vzdump archive '/var/lib/vz/dump/${file}'`);
        const fileBytes = [...ct.guest.files.values()].reduce((n, f) => n + f.data.length, 0);
        const ratio = compress === "0" ? 1 : compress === "zstd" ? 0.4 : 0.5;
        const used = Math.min(rootfsSize(ct.config), 600 * MIB) * 0.5 + fileBytes;
        // Reading the used blocks at ~150 MiB/s dominates a backup's duration.
        await ctx.work(sim.rng.between(3000, 5000) + (used / (150 * MIB)) * 1000);
        const size = Math.round(used * ratio);
        if (size > storage.total - cluster.storageUsed(storage)) {
          throw new Error(`vma_queue_write: write error - No space left on device`);
        }
        const config = { ...ct.config };
        delete config.lock;
        const notesTemplate = str(p, "notes-template");
        const notes = notesTemplate
          ?.replaceAll("{{cluster}}", cluster.name)
          .replaceAll("{{guestname}}", String(ct.config.hostname ?? `CT${ct.vmid}`))
          .replaceAll("{{node}}", node)
          .replaceAll("{{vmid}}", String(ct.vmid));
        storage.volumes.set(`backup/${file}`, {
          volid: `${sid}:backup/${file}`,
          storage: sid,
          node,
          content: "backup",
          format: EXT[compress]!,
          size,
          ctime: began,
          vmid: ct.vmid,
          ...(notes ? { notes } : {}),
          ...(bool(p, "protected") ? { protected: true } : {}),
          backup: { config, guest: copyGuestState(ct.guest) },
          mounts,
        });
        ctx.log(`INFO: archive file size: ${Math.max(1, Math.round(size / MIB))}MB`);
        if (notes) ctx.log("INFO: adding notes to backup");
        ctx.log(`INFO: Finished Backup of VM ${ct.vmid} (${duration(sim.clock.now() - began)})`);
      } catch (e) {
        ctx.log(`ERROR: Backup of VM ${ct.vmid} failed - ${(e as Error).message}`);
        if (e instanceof InjectedFailure) throw e;
        errors++;
      } finally {
        if (ct.config.lock === "backup") delete ct.config.lock;
      }
    }
    if (errors > 0) {
      ctx.log("INFO: Backup job finished with errors");
      throw new Error("job errors");
    }
    ctx.log("INFO: Backup job finished successfully");
  }
}
