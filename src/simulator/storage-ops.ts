/**
 * Storage endpoints: storage status with capacity, content listings with the
 * per-type fields Plugin.pm returns, deleting volumes as `imgdel` tasks, and the appliance index with
 * template downloads as `download` tasks.
 */
import type { Storage, Volume } from "./cluster.ts";
import { type Call, num, startTask, str } from "./context.ts";
import { fail, paramFail } from "./errors.ts";
import { APPLIANCES, findAppliance, templateFormat } from "./templates.ts";

export function storageStatus(call: Call, node: string): unknown[] {
  const { cluster } = call.sim;
  const { p } = call;
  const n = cluster.node(node);
  const only = str(p, "storage");
  if (only && !n.storages.has(only)) paramFail({ storage: "No such storage." });
  const contentFilter = (str(p, "content") ?? "").split(",").filter(Boolean);
  return [...n.storages.values()]
    .filter((s) => !only || s.id === only)
    .filter((s) => contentFilter.every((c) => s.content.includes(c as Storage["content"][number])))
    .map((s) => {
      const used = cluster.storageUsed(s);
      return {
        storage: s.id,
        type: s.type,
        content: s.content.join(","),
        active: 1,
        enabled: 1,
        shared: 0,
        total: s.total,
        used,
        avail: s.total - used,
        used_fraction: used / s.total,
      };
    });
}

function contentEntry(v: Volume): Record<string, unknown> {
  const base: Record<string, unknown> = {
    volid: v.volid,
    content: v.content,
    format: v.format,
    size: v.size,
    ctime: v.ctime,
  };
  if (v.content === "backup") {
    base.subtype = "lxc";
    base.vmid = v.vmid;
    if (v.notes) base.notes = v.notes.split("\n")[0];
    if (v.protected) base.protected = 1;
  }
  if (v.content === "rootdir") {
    base.vmid = v.vmid;
    base.used = Math.round(v.size * 0.12);
  }
  return base;
}

export function listContent(call: Call, node: string, sid: string): unknown[] {
  const { p } = call;
  const s = call.sim.cluster.storage(node, sid);
  const content = str(p, "content");
  const vmid = num(p, "vmid");
  return [...s.volumes.values()]
    .filter((v) => !content || v.content === content)
    .filter((v) => vmid === undefined || v.vmid === vmid)
    .map(contentEntry);
}

/** `{volume}` may be the full volid, or the volname relative to `{storage}`. */
function resolveVolume(call: Call, node: string, sid: string, volume: string): { s: Storage; name: string } {
  const s = call.sim.cluster.storage(node, sid);
  const name = volume.startsWith(`${sid}:`) ? volume.slice(sid.length + 1) : volume;
  return { s, name };
}

function volumePath(s: Storage, name: string): string {
  if (s.type === "lvmthin") return `/dev/pve/${name}`;
  const [dir, ...rest] = name.split("/");
  const sub = { backup: "dump", vztmpl: "template/cache", iso: "template/iso" }[dir ?? ""] ?? "images";
  return `${s.path}/${sub}/${rest.join("/")}`;
}

export function volumeAttributes(call: Call, node: string, sid: string, volume: string): unknown {
  const { s, name } = resolveVolume(call, node, sid, volume);
  const v = s.volumes.get(name);
  if (!v) fail(`volume '${sid}:${name}' does not exist`);
  return {
    path: volumePath(s, name),
    size: v.size,
    used: v.content === "rootdir" ? Math.round(v.size * 0.12) : v.size,
    format: v.format,
    ...(v.notes ? { notes: v.notes } : {}),
    ...(v.protected ? { protected: 1 } : {}),
  };
}

/** DELETE content → UPID (`imgdel`), or null when the task finished within `delay` seconds. */
export async function deleteVolume(
  call: Call,
  node: string,
  sid: string,
  volume: string,
): Promise<string | null> {
  const { sim, p } = call;
  const { s, name } = resolveVolume(call, node, sid, volume);
  const v = s.volumes.get(name);
  if (v?.content === "rootdir" && v.vmid !== undefined && sim.cluster.containers.get(v.vmid)?.node === node) {
    fail(`unable to delete '${v.volid}' - volume is still in use (referenced by CT ${v.vmid})`);
  }
  const task = startTask(call, node, "imgdel", `${v?.vmid ?? ""}@${sid}`, async (ctx) => {
    await ctx.work(sim.rng.between(200, 600));
    if (!v) {
      ctx.warn(`volume '${sid}:${name}' does not exist`);
      return;
    }
    if (v.protected) throw new Error(`cannot remove protected volume '${name}' on '${sid}'`);
    ctx.log(`Removed volume '${sid}:${name}'`);
    s.volumes.delete(name);
  });
  const delay = num(p, "delay");
  if (delay !== undefined) {
    await Promise.race([task.done, new Promise((r) => setTimeout(r, delay * 1000))]);
    if (task.status === "stopped" && task.exitstatus === "OK") return null;
  }
  return task.upid;
}

export function aplinfo(): unknown[] {
  return APPLIANCES.map(({ sizeBytes: _size, ostype: _ostype, ...rest }) => rest);
}

/** POST /nodes/{node}/aplinfo → UPID (`download`, id = template name). */
export function downloadTemplate(call: Call, node: string): string {
  const { sim, p } = call;
  const sid = str(p, "storage")!;
  const templateName = str(p, "template")!;
  const s = sim.cluster.storage(node, sid);
  if (!s.content.includes("vztmpl")) fail(`storage '${sid}' does not support templates`);
  const appliance = findAppliance(templateName);
  if (!appliance) paramFail({ template: "no such template" });
  return startTask(call, node, "download", templateName, async (ctx) => {
    const dest = `${s.path}/template/cache/${templateName}`;
    ctx.log(`downloading ${appliance.location} to ${dest}`);
    ctx.log(
      `--${new Date(sim.clock.nowMs()).toISOString().replace("T", " ").slice(0, 19)}--  ${appliance.location}`,
    );
    ctx.log("Resolving download.proxmox.com (download.proxmox.com)... 212.224.123.70");
    ctx.log(
      `Length: ${appliance.sizeBytes} (${Math.round(appliance.sizeBytes / 2 ** 20)}M) [application/octet-stream]`,
    );
    // Bigger templates take longer (a few simulated seconds at most).
    await ctx.work(800 + Math.min(3000, appliance.sizeBytes / 2 ** 16));
    const free = s.total - sim.cluster.storageUsed(s) + (s.volumes.get(`vztmpl/${templateName}`)?.size ?? 0);
    if (appliance.sizeBytes > free) throw new Error(`write to '${dest}.tmp' failed: No space left on device`);
    s.volumes.set(`vztmpl/${templateName}`, {
      volid: `${sid}:vztmpl/${templateName}`,
      storage: sid,
      node,
      content: "vztmpl",
      format: templateFormat(templateName),
      size: appliance.sizeBytes,
      ctime: sim.clock.now(),
    });
    ctx.log("calculating checksum...OK, checksum verified");
    ctx.log(`download of '${appliance.location}' to '${dest}' finished`);
  }).upid;
}
