/**
 * LXC lifecycle: synchronous pre-checks that fail with PVE's texts, then a worker task
 * that holds the config flock and does the work on simulated time.
 */

import { requirePriv } from "./acl.ts";
import type { Container, LxcConfig, SimNode, Storage } from "./cluster.ts";
import { GIB } from "./cluster.ts";
import { acquireFlock, bool, type Call, checkLock, num, type Sim, startTask, str } from "./context.ts";
import { fail, InjectedFailure, PveError, paramFail } from "./errors.ts";
import { copyGuestState, newGuestState } from "./guest.ts";
import {
  configDigest,
  formatSize,
  netKeys,
  normaliseTags,
  parseProps,
  parseSize,
  printProps,
  rootfsSize,
  rootfsVolid,
} from "./lxc-config.ts";
import {
  allocMounts,
  cloneMounts,
  type MountPlan,
  planCreateMounts,
  planRestoreMounts,
} from "./mountpoints.ts";
import { applyOciImage, checkHostManagedStart, ociImageOf, writeAppData } from "./oci.ts";
import type { Params } from "./params.ts";
import type { TaskContext, TaskRecord } from "./tasks.ts";
import { distroOf, findAppliance } from "./templates.ts";

/** Keys PVE 9 keeps pending while the CT runs (not hot-pluggable); they apply at the next start. */
const PENDING_WHILE_RUNNING = ["entrypoint", "env"];

const isRoot = (authid: string) => authid === "root@pam";

/** Keys of create/PUT that are copied into the config as they are. */
const PLAIN_KEYS = [
  "arch",
  "cmode",
  "console",
  "cores",
  "cpulimit",
  "cpuunits",
  "debug",
  "entrypoint",
  "env",
  "hookscript",
  "hostname",
  "memory",
  "nameserver",
  "onboot",
  "ostype",
  "protection",
  "searchdomain",
  "startup",
  "swap",
  "template",
  "timezone",
  "tty",
  "unprivileged",
  "features",
  "lock",
];

/** check_ct_modify_config_perm's feature rules; `root@pam` by ticket skips them (a token never does). */
function checkFeaturePerms(call: Call, features: string | undefined, unprivileged: boolean): void {
  if (features === undefined || isRoot(call.authid)) return;
  const set = [...parseProps(features, "_").entries()].filter(([, v]) => v !== "0");
  if (!unprivileged) {
    throw new PveError(
      403,
      "Permission check failed (changing feature flags for privileged container is only allowed for root@pam)",
    );
  }
  if (set.some(([k]) => k !== "nesting")) {
    throw new PveError(
      403,
      "Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)",
    );
  }
}

/** check_ct_modify_config_perm: `entrypoint` and `env` are options (VM.Config.Options). */
function checkOptionPerms(call: Call, vmid: number): void {
  if (call.p.entrypoint !== undefined || call.p.env !== undefined) {
    requirePriv(call, `/vms/${vmid}`, ["VM.Config.Options"]);
  }
}

function checkSshKeys(keys: string | undefined): void {
  if (!keys) return;
  for (const line of keys.split("\n")) {
    const l = line.trim();
    if (!l || l.startsWith("#")) continue;
    if (!/^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-\S+)\s+[A-Za-z0-9+/]+=*(\s.*)?$/.test(l)) {
      fail("SSH public key validation error");
    }
  }
}

/** Writes a value the way the config file holds it (booleans as 1/0). */
function configValue(v: unknown): string | number {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") return v;
  return String(v);
}

/** net[n]: PVE fills in a MAC and `type=veth` when the caller gave none. */
function normaliseNet(sim: Sim, value: string): string {
  const props = parseProps(value, "name");
  if (!props.has("hwaddr")) props.set("hwaddr", sim.cluster.newMac());
  if (!props.has("type")) props.set("type", "veth");
  return printProps(props, "name");
}

/** Applies create/PUT keys onto a config (shared by create, restore and PUT config). */
function applyKeys(sim: Sim, config: LxcConfig, p: Params): void {
  for (const [k, v] of Object.entries(p)) {
    if (PLAIN_KEYS.includes(k)) {
      if (k === "lock") continue;
      config[k] = configValue(v);
    } else if (k === "tags") {
      const tags = normaliseTags(String(v));
      if (tags) config.tags = tags;
      else delete config.tags;
    } else if (k === "description") {
      config.description = String(v);
    } else if (/^net\d+$/.test(k)) {
      config[k] = normaliseNet(sim, String(v));
    } else if (/^(mp|unused|dev)\d+$/.test(k)) {
      config[k] = String(v);
    }
  }
}

interface RootfsPlan {
  storage: Storage;
  size?: number;
  options: Map<string, string>;
}

/** rootfs=`local-lvm:8` (new 8 GiB volume), a bare `8`, or omitted (`<storage>:4`). */
function planRootfs(call: Call, node: SimNode, p: Params): RootfsPlan {
  const defaultStorage = str(p, "storage") ?? "local";
  const rootfs = str(p, "rootfs");
  let sid = defaultStorage;
  let size: number | undefined;
  const options = rootfs ? parseProps(rootfs) : new Map<string, string>();
  const volume = options.get("volume");
  options.delete("volume");
  options.delete("size");
  if (volume !== undefined) {
    const bare = /^(\d+(?:\.\d+)?)$/.exec(volume);
    const alloc = /^([^:]+):(\d+(?:\.\d+)?)$/.exec(volume);
    if (bare) size = Number(bare[1]) * GIB;
    else if (alloc) {
      sid = alloc[1]!;
      size = Number(alloc[2]) * GIB;
    } else
      fail(`unable to parse rootfs volume '${volume}' - only new volumes (<storage>:<size>) are supported`);
  }
  const storage = node.storages.get(sid);
  if (!storage) fail(`storage '${sid}' does not exist`);
  if (!storage.content.includes("rootdir")) {
    paramFail({ storage: `storage '${sid}' does not support container directories` });
  }
  void call;
  return { storage, size: size !== undefined ? Math.round(size) : undefined, options };
}

/** POST /nodes/{node}/lxc: create, or restore with restore=1 (+force to overwrite a stopped CT). */
export function createLxc(call: Call, nodeName: string): string {
  const { sim, p } = call;
  const { cluster } = sim;
  const node = cluster.node(nodeName);
  const vmid = num(p, "vmid")!;
  const restore = bool(p, "restore");
  const force = bool(p, "force");
  const ostemplate = str(p, "ostemplate")!;
  // PVE 9 creates unprivileged containers unless told otherwise (pve-container 103068a); restore keeps
  // the backup's value.
  const unprivileged =
    p.unprivileged !== undefined
      ? bool(p, "unprivileged")
      : restore
        ? Number(cluster.findVolume(nodeName, ostemplate)?.volume.backup?.config.unprivileged ?? 0) === 1
        : sim.pve.major >= 9;

  const existing = cluster.containers.get(vmid);
  // Permissions PVE checks in code (LXC.pm create_vm): the guest, the storages, the bridges.
  if (existing && restore) requirePriv(call, `/vms/${vmid}`, ["VM.Backup"]);
  else requirePriv(call, `/vms/${vmid}`, ["VM.Allocate"]);
  if (!unprivileged && sim.pve.major >= 9) requirePriv(call, "/", ["Sys.Modify"]);
  if (existing) {
    if (restore && force && existing.node === nodeName) {
      if (existing.status === "running") fail("can't overwrite running container");
      checkLock(existing);
    } else {
      cluster.assertVmidFree(vmid);
    }
  }
  checkSshKeys(str(p, "ssh-public-keys"));
  if (p.unique !== undefined && !restore) paramFail({ unique: "missing property - 'restore' for 'unique'" });

  const colon = ostemplate.indexOf(":");
  if (colon < 0 && !isRoot(call.authid)) {
    // The Perl die has no trailing newline, so Perl appends the location.
    fail("Only root can pass arbitrary filesystem paths. at /usr/share/perl5/PVE/Storage.pm line 536.");
  }
  if (colon >= 0) {
    const sid = ostemplate.slice(0, colon);
    if (!node.storages.has(sid)) fail(`storage '${sid}' does not exist`);
    const vtype = ostemplate.slice(colon + 1).split("/")[0];
    const want = restore ? "backup" : "vztmpl";
    if (vtype !== want) fail(`unable to use volume ${ostemplate} - content type needs to be '${want}'`);
  }
  const plan = planRootfs(call, node, p);
  requirePriv(call, `/storage/${plan.storage.id}`, ["Datastore.AllocateSpace"]);
  const mounts = restore ? [] : planCreateMounts(call, node, p);
  if (colon >= 0) {
    requirePriv(
      call,
      `/storage/${ostemplate.slice(0, colon)}`,
      ["Datastore.AllocateSpace", "Datastore.Audit"],
      true,
    );
  }
  for (const k of Object.keys(p).filter((k) => /^net\d+$/.test(k))) {
    const bridge = parseProps(String(p[k]), "name").get("bridge");
    // check_bridge_access → check_vnet_access: a plain bridge lives in the `localnetwork` zone.
    if (bridge) requirePriv(call, `/sdn/zones/localnetwork/${bridge}`, ["SDN.Use"]);
  }
  checkFeaturePerms(call, str(p, "features"), unprivileged);
  checkOptionPerms(call, vmid);

  const ct = existing ?? cluster.register(nodeName, vmid, "create");
  ct.config.lock = "create";
  // The worker holds the config flock for the whole create.
  let release!: () => void;
  ct.flock = new Promise<void>((r) => {
    release = () => {
      ct.flock = undefined;
      r();
    };
  });

  const verb = restore ? "restore" : "create";
  const task = startTask(
    call,
    nodeName,
    restore ? "vzrestore" : "vzcreate",
    String(vmid),
    async (ctx) => {
      try {
        await createWorker(
          call,
          ctx,
          ct,
          plan,
          mounts,
          restore,
          ostemplate,
          existing !== undefined,
          unprivileged,
        );
      } catch (e) {
        if (e instanceof InjectedFailure) throw e;
        throw new Error(`unable to ${verb} CT ${vmid} - ${(e as Error).message}`);
      } finally {
        release();
      }
      if (bool(p, "start")) spawnStart(call, ct);
    },
    () => {
      // A failed create leaves nothing behind: no config, no volumes.
      if (cluster.containers.get(vmid) === ct) cluster.destroy(ct);
    },
  );
  return task.upid;
}

async function createWorker(
  call: Call,
  ctx: TaskContext,
  ct: Container,
  plan: RootfsPlan,
  createMounts: MountPlan[],
  restore: boolean,
  ostemplate: string,
  overwriting: boolean,
  unprivileged: boolean,
): Promise<void> {
  const { sim, p } = call;
  const { cluster, rng } = sim;
  const source = cluster.findVolume(ct.node, ostemplate);
  if (!source) throw new Error(`can't find file '${ostemplate}'`);
  const backup = source.volume.backup;
  if (restore && !backup) throw new Error(`unable to read backup archive '${ostemplate}'`);
  if (restore) ctx.log(`recovering backed-up configuration from '${ostemplate}'`);

  // archive_is_oci_format is not consulted for restores.
  const image = restore ? undefined : ociImageOf(source.volume);
  const size = plan.size ?? (backup ? rootfsSize(backup.config) : 4 * GIB);
  await ctx.work(rng.between(200, 400));
  // restore + force allocates the new disks before the old ones go (LXC.pm create_vm): both must fit.
  const oldVolumes = overwriting
    ? [...cluster.node(ct.node).storages.values()].flatMap((s) =>
        [...s.volumes]
          .filter(([, v]) => v.vmid === ct.vmid && v.content === "rootdir")
          .map(([name]) => ({ s, name })),
      )
    : [];
  const vol = cluster.allocDisk(plan.storage, ct.vmid, size);
  // Mount point volumes are allocated with the root disk, before the old ones go (restore + force).
  const mountPlans =
    restore && backup ? planRestoreMounts(backup.config, source.volume.mounts, plan.storage) : createMounts;
  const mountValues = allocMounts(cluster, ct.vmid, mountPlans, ctx.log);
  for (const { s, name } of oldVolumes) {
    s.volumes.delete(name);
    ctx.log(`  Logical volume "${name}" successfully removed.`);
  }
  ctx.log(`  Logical volume "${vol.volid.split(":")[1]}" created.`);
  const blocks = size / 4096;
  ctx.log(`Creating filesystem with ${blocks} 4k blocks and ${Math.floor(blocks / 4)} inodes`);
  await ctx.work(rng.between(800, 1400));
  if (restore) {
    ctx.log(`restoring '${ostemplate}' now..`);
  } else {
    const file = ostemplate.slice(ostemplate.indexOf("/") + 1);
    if (image) ctx.log("Detected OCI archive");
    ctx.log(`extracting archive '/var/lib/vz/template/cache/${file}'`);
    ctx.log(
      `Total bytes read: ${source.volume.size * 4} (${Math.round((source.volume.size * 4) / 2 ** 20)}MiB, 180MiB/s)`,
    );
  }
  // Unpacking runs at roughly 180 MiB/s of uncompressed data (four times the archive's size).
  await ctx.work(rng.between(3000, 6000) + ((source.volume.size * 4) / (180 * 2 ** 20)) * 1000);

  let config: LxcConfig;
  if (restore && backup) {
    ctx.log("merging backed-up and given configuration..");
    config = { ...backup.config };
    delete config.lock;
    if (bool(p, "unique"))
      for (const k of netKeys(config)) config[k] = regenerateMac(call.sim, String(config[k]));
  } else {
    const file = ostemplate.slice(ostemplate.indexOf("/") + 1);
    const ostype = image
      ? "unmanaged"
      : (findAppliance(file, sim.pve.major)?.ostype ?? /^(\w+)-/.exec(file)?.[1] ?? "unmanaged");
    config = { arch: "amd64", hostname: `CT${ct.vmid}`, memory: 512, swap: 512, ostype };
    ctx.log(`Detected container architecture: amd64`);
  }
  applyKeys(sim, config, p);
  if (!restore && p.unprivileged === undefined && unprivileged) config.unprivileged = 1;
  const distro =
    restore && backup ? backup.guest.distro : distroOf(ostemplate.slice(ostemplate.indexOf("/") + 1));
  // Debian 13 ships systemd 257: PVE 9 warns at create when nesting is off (fix #6897); the task then
  // ends "WARNINGS: 1", which is still a success.
  if (sim.pve.major >= 9 && distro === "debian-13" && !/(^|,)nesting=1/.test(String(config.features ?? ""))) {
    ctx.warn("Systemd 257 detected. You may need to enable nesting.");
  }
  const opts = new Map(plan.options);
  opts.set("size", formatSize(size));
  config.rootfs = printProps(new Map([["volume", vol.volid], ...opts]), "volume");
  Object.assign(config, mountValues);
  const hostname = String(config.hostname);
  const guest = restore && backup ? copyGuestState(backup.guest) : newGuestState(hostname, distro);
  if (image) applyOciImage(ctx, config, guest, source.volume, image);
  // An application container has no OS setup (ostype unmanaged): no SSH host keys.
  if (!restore && !image) {
    ctx.log("Creating SSH host key 'ssh_host_ed25519_key' - this may take some time ...");
    ctx.log(
      `done: SHA256:${Buffer.from(rng.hex(32), "hex").toString("base64").replace(/=+$/, "")} root@${hostname}`,
    );
  }
  await ctx.work(rng.between(100, 300));
  ct.config = config;
  ct.guest = guest;
  ct.snapshots = [];
}

function regenerateMac(sim: Sim, net: string): string {
  const props = parseProps(net, "name");
  props.set("hwaddr", sim.cluster.newMac());
  return printProps(props, "name");
}

/** Brings a container up: running, a pid, Docker started if enabled, DHCP lease a little later. */
function bootUp(sim: Sim, ct: Container): void {
  const { cluster, rng, clock } = sim;
  if (ct.pending) {
    Object.assign(ct.config, ct.pending);
    ct.pending = undefined;
  }
  ct.status = "running";
  ct.startedAt = clock.now();
  ct.pid = rng.int(10_000, 4_000_000);
  ct.bootSeq++;
  ct.leases.clear();
  ct.guest.dockerRunning = ct.guest.dockerInstalled && ct.guest.dockerEnabled;
  writeAppData(cluster, ct, clock.now());
  const boot = ct.bootSeq;
  for (const key of netKeys(ct.config)) {
    const props = parseProps(String(ct.config[key]), "name");
    const name = props.get("name") ?? "eth0";
    const ip = props.get("ip");
    if (ip && ip !== "dhcp" && ip !== "manual") {
      ct.leases.set(name, ip);
    } else if (ip === "dhcp") {
      // The DHCP address appears a little after start, never while stopped.
      clock.wait(rng.between(1000, 3000)).then(() => {
        if (ct.status === "running" && ct.bootSeq === boot && cluster.containers.get(ct.vmid) === ct) {
          ct.leases.set(name, cluster.lease(props.get("hwaddr") ?? name));
        }
      });
    }
  }
}

function powerDown(ct: Container): void {
  ct.status = "stopped";
  ct.startedAt = undefined;
  ct.pid = undefined;
  ct.leases.clear();
  ct.guest.dockerRunning = false;
}

/** The vzstart worker; the lock and template checks happen inside the task, as in Status.pm. */
export function spawnStart(call: Call, ct: Container, skiplock = false): TaskRecord {
  const { sim } = call;
  return startTask(call, ct.node, "vzstart", String(ct.vmid), async (ctx) => {
    // A held lock fails the task at once (start sees `lock: create` and fails fast);
    // otherwise the worker takes the flock and checks again.
    if (!skiplock && ct.config.lock) throw new Error(`CT is locked (${ct.config.lock})`);
    const release = await acquireFlock(sim, ct);
    try {
      if (!skiplock && ct.config.lock) throw new Error(`CT is locked (${ct.config.lock})`);
      if (ct.config.template) throw new Error("you can't start a CT if it's a template");
      if (ct.status === "running") throw new Error(`CT ${ct.vmid} already running`);
      checkHostManagedStart({ ...ct.config, ...ct.pending });
      await ctx.work(sim.rng.between(1000, 2000));
      if (sim.cluster.containers.get(ct.vmid) !== ct) {
        throw new Error(`Configuration file 'nodes/${ct.node}/lxc/${ct.vmid}.conf' does not exist`);
      }
      bootUp(sim, ct);
    } finally {
      release();
    }
  });
}

function checkSkiplock(call: Call): boolean {
  const skiplock = bool(call.p, "skiplock");
  if (skiplock && !isRoot(call.authid)) paramFail({ skiplock: "Only root may use this option." });
  return skiplock;
}

export function startLxc(call: Call, node: string, vmid: number): string {
  const ct = call.sim.cluster.container(node, vmid);
  const skiplock = checkSkiplock(call);
  if (ct.haManaged) return haRequest(call, ct, "started");
  if (ct.status === "running") fail(`CT ${vmid} already running`);
  return spawnStart(call, ct, skiplock).upid;
}

/**
 * An HA-managed CT: the API only hands the request to the HA manager (`ha-manager set ct:<id> --state`),
 * in a task that ends OK at once; the CRM/LRM act on their next round, ~10 s later.
 */
function haRequest(call: Call, ct: Container, state: "started" | "stopped"): string {
  const { sim } = call;
  const type = state === "started" ? "hastart" : "hastop";
  const task = startTask(call, ct.node, type, String(ct.vmid), async (ctx) => {
    ctx.log(`Requesting HA ${state === "started" ? "start" : "stop"} for CT ${ct.vmid}`);
  });
  void sim.clock.wait(sim.rng.between(8000, 12000)).then(() => {
    if (sim.cluster.containers.get(ct.vmid) !== ct || ct.config.lock) return;
    if (state === "started" && ct.status !== "running") bootUp(sim, ct);
    if (state === "stopped" && ct.status === "running") powerDown(ct);
  });
  return task.upid;
}

/** stop / shutdown / reboot share a shape: pre-check running, then a worker that checks the lock. */
export function powerAction(
  call: Call,
  node: string,
  vmid: number,
  action: "stop" | "shutdown" | "reboot",
): string {
  const { sim } = call;
  const ct = sim.cluster.container(node, vmid);
  const skiplock = action === "stop" ? checkSkiplock(call) : false;
  if (ct.haManaged && action !== "reboot") return haRequest(call, ct, "stopped");
  if (ct.status !== "running") fail(`${action === "reboot" ? "VM" : "CT"} ${vmid} not running`);
  const type = { stop: "vzstop", shutdown: "vzshutdown", reboot: "vzreboot" }[action];
  return startTask(call, node, type, String(vmid), async (ctx) => {
    if (!skiplock && ct.config.lock) throw new Error(`CT is locked (${ct.config.lock})`);
    const release = await acquireFlock(sim, ct);
    try {
      if (!skiplock && ct.config.lock) throw new Error(`CT is locked (${ct.config.lock})`);
      const ms = action === "stop" ? sim.rng.between(500, 1500) : sim.rng.between(1500, 3000);
      await ctx.work(ms);
      powerDown(ct);
      if (action === "reboot") {
        await ctx.work(sim.rng.between(1000, 2000));
        bootUp(sim, ct);
      }
    } finally {
      release();
    }
  }).upid;
}

/** DELETE /nodes/{node}/lxc/{vmid} */
export function destroyLxc(call: Call, node: string, vmid: number): string {
  const { sim, p } = call;
  const ct = sim.cluster.container(node, vmid);
  if (ct.config.protection) fail(`can't remove CT ${vmid} - protection mode enabled`);
  checkLock(ct);
  if (ct.status === "running" && !bool(p, "force"))
    fail(`unable to destroy CT ${vmid} - container is running`);
  return startTask(call, node, "vzdestroy", String(vmid), async (ctx) => {
    const release = await acquireFlock(sim, ct);
    try {
      if (ct.status === "running") powerDown(ct);
      await ctx.work(sim.rng.between(1000, 2000));
      for (const s of sim.cluster.node(node).storages.values()) {
        for (const [name, v] of s.volumes) {
          if (v.vmid === vmid && v.content === "rootdir")
            ctx.log(`  Logical volume "${name}" successfully removed.`);
        }
      }
      sim.cluster.destroy(ct);
      if (bool(p, "purge")) ctx.log(`purging CT ${vmid} from related configurations..`);
    } finally {
      release();
    }
  }).upid;
}

/** PUT /nodes/{node}/lxc/{vmid}/config: synchronous, returns null. */
export async function updateConfig(call: Call, node: string, vmid: number): Promise<null> {
  const { sim, p } = call;
  const ct = sim.cluster.container(node, vmid);
  const release = await acquireFlock(sim, ct);
  try {
    if (sim.cluster.containers.get(vmid) !== ct) {
      fail(`Configuration file 'nodes/${node}/lxc/${vmid}.conf' does not exist`);
    }
    const digest = str(p, "digest");
    if (digest && digest !== configDigest(ct.config)) {
      fail("detected modified configuration - file changed by other user? Try again.");
    }
    checkLock(ct);
    const changes: Params = {};
    for (const [k, v] of Object.entries(p)) {
      if (!["node", "vmid", "delete", "revert", "digest"].includes(k)) changes[k] = v;
    }
    const deletes = (str(p, "delete") ?? "").split(/[,;\s]+/).filter(Boolean);
    if (Object.keys(changes).length === 0 && deletes.length === 0 && !p.revert) fail("no options specified");
    for (const k of deletes) {
      if (changes[k] !== undefined) fail(`cannot set and delete '${k}' at the same time`);
      if (k === "rootfs") fail("unable to delete required option 'rootfs'");
    }
    const unprivileged =
      p.unprivileged !== undefined ? bool(p, "unprivileged") : ct.config.unprivileged === 1;
    checkFeaturePerms(call, str(p, "features"), unprivileged);
    checkOptionPerms(call, vmid);
    if (ct.status === "running") {
      for (const k of PENDING_WHILE_RUNNING) {
        if (changes[k] === undefined) continue;
        ct.pending = { ...ct.pending, [k]: String(changes[k]) };
        delete changes[k];
      }
    }
    applyKeys(sim, ct.config, changes);
    if (changes.rootfs !== undefined) ct.config.rootfs = String(changes.rootfs);
    for (const k of deletes) {
      // A detached volume mount point stays with the container as an unused volume (add_unused_volume).
      const volid = /^mp\d+$/.test(k) ? parseProps(String(ct.config[k] ?? "")).get("volume") : undefined;
      if (volid?.includes(":")) {
        let n = 0;
        while (ct.config[`unused${n}`] !== undefined) n++;
        ct.config[`unused${n}`] = volid;
      }
      delete ct.config[k];
    }
  } finally {
    release();
  }
  return null;
}

/** PUT /nodes/{node}/lxc/{vmid}/resize → UPID (task type `resize`). */
export function resizeLxc(call: Call, node: string, vmid: number): string {
  const { sim, p } = call;
  const { cluster } = sim;
  const ct = cluster.container(node, vmid);
  checkLock(ct);
  const disk = str(p, "disk")!;
  const current = ct.config[disk];
  if (current === undefined) fail(`disk '${disk}' does not exist`);
  const props = parseProps(String(current));
  const cur = parseSize(props.get("size") ?? "0");
  const sizeText = str(p, "size")!;
  const delta = parseSize(sizeText);
  const newSize = sizeText.startsWith("+") ? cur + delta : delta;
  if (newSize < cur) fail("unable to shrink disk size");
  // resize_vm dies before forking when nothing would change (a retried resize hits this).
  if (newSize === cur) fail("disk is already at specified size");
  const found = cluster.findVolume(node, props.get("volume") ?? "");
  return startTask(call, node, "resize", String(vmid), async (ctx) => {
    await ctx.work(sim.rng.between(300, 800));
    if (newSize === cur) return;
    if (found) {
      const free = found.storage.total - cluster.storageUsed(found.storage);
      if (newSize - cur > free) {
        throw new Error(`lvextend 'pve/${found.name}' error:   Insufficient free space in thin pool`);
      }
      found.volume.size = newSize;
    }
    ctx.log(
      `  Size of logical volume pve/${found?.name ?? disk} changed from ${formatSize(cur)} to ${formatSize(newSize)}.`,
    );
    props.set("size", formatSize(newSize));
    ct.config[disk] = printProps(props, "volume");
  }).upid;
}

/** POST /nodes/{node}/lxc/{vmid}/clone → UPID (vzclone). */
export function cloneLxc(call: Call, node: string, vmid: number): string {
  const { sim, p } = call;
  const { cluster } = sim;
  const src = cluster.container(node, vmid);
  const newid = num(p, "newid")!;
  cluster.assertVmidFree(newid);
  checkLock(src);
  const isTemplate = Boolean(src.config.template);
  const full = p.full !== undefined ? bool(p, "full") : !isTemplate;
  const sid = str(p, "storage") ?? rootfsVolid(src.config)?.split(":")[0] ?? "local-lvm";
  if (p.storage !== undefined && !full) fail("parameter 'storage' not allowed for linked clones");
  if (!full && !isTemplate) fail("linked clone feature is not available for non-template containers");
  if (full && src.status === "running" && p.snapname === undefined) {
    fail(
      sim.pve.major >= 9
        ? "Full clone of a running container is only possible from a snapshot"
        : "Cannot do full clones on a running container without snapshots",
    );
  }
  const target = str(p, "target") ?? node;
  if (target !== node) {
    cluster.node(target);
    // Neither default storage is shared, which is exactly what PVE refuses here.
    fail(`can't clone to non-shared storage '${sid}'`);
  }
  const storage = cluster.storage(node, sid);
  if (!storage.content.includes("rootdir")) fail(`storage '${sid}' does not support container directories`);
  const snapname = str(p, "snapname");
  const snap = snapname ? src.snapshots.find((s) => s.name === snapname) : undefined;
  if (snapname && !snap) fail(`snapshot '${snapname}' does not exist`);

  src.config.lock = "disk";
  const dst = cluster.register(node, newid, "create");
  const unlockSource = () => {
    if (src.config.lock === "disk") delete src.config.lock;
  };
  return startTask(
    call,
    node,
    "vzclone",
    String(vmid),
    async (ctx) => {
      const base = snap ? snap.config : src.config;
      const size = rootfsSize(base);
      ctx.log(`create full clone of mountpoint rootfs (${rootfsVolid(base)})`);
      const vol = cluster.allocDisk(storage, newid, size);
      ctx.log(`  Logical volume "${vol.volid.split(":")[1]}" created.`);
      await ctx.work(sim.rng.between(2000, 4000));
      const config: LxcConfig = { ...base };
      delete config.lock;
      delete config.template;
      const rootProps = parseProps(String(base.rootfs));
      rootProps.set("volume", vol.volid);
      config.rootfs = printProps(rootProps, "volume");
      // The volumes' data as it is now: the simulator keeps no per-snapshot copy of a mount point.
      Object.assign(config, cloneMounts(cluster, src, base, storage, newid, ctx.log));
      for (const k of netKeys(config)) config[k] = regenerateMac(sim, String(config[k]));
      if (p.hostname !== undefined) config.hostname = String(p.hostname);
      if (p.description !== undefined) config.description = String(p.description);
      dst.config = config;
      dst.guest = copyGuestState(snap ? snap.guest : src.guest);
      unlockSource();
    },
    () => {
      unlockSource();
      if (cluster.containers.get(newid) === dst) cluster.destroy(dst);
    },
  ).upid;
}

/** POST /nodes/{node}/lxc/{vmid}/migrate → UPID (vzmigrate); restart migration only, like PVE. */
export function migrateLxc(call: Call, node: string, vmid: number): string {
  const { sim, p } = call;
  const { cluster } = sim;
  const ct = cluster.container(node, vmid);
  const target = str(p, "target")!;
  if (target === node) paramFail({ target: "target is local node." });
  cluster.node(target);
  checkLock(ct);
  const running = ct.status === "running";
  if (running && !bool(p, "online") && !bool(p, "restart")) {
    fail("can't migrate running container without --online or --restart");
  }
  if (running && !bool(p, "restart")) fail("lxc live migration is currently not implemented");
  ct.config.lock = "migrate";
  return startTask(
    call,
    node,
    "vzmigrate",
    String(vmid),
    async (ctx) => {
      ctx.log(`starting migration of CT ${vmid} to node '${target}' (${cluster.node(target).ip})`);
      if (running) {
        ctx.log(`shutdown CT ${vmid}`);
        await ctx.work(sim.rng.between(1500, 3000));
        powerDown(ct);
      }
      await ctx.work(sim.rng.between(2000, 4000));
      for (const s of cluster.node(node).storages.values()) {
        for (const [name, v] of [...s.volumes]) {
          if (v.vmid !== vmid || v.content !== "rootdir") continue;
          const dest = cluster.storage(target, s.id);
          if (v.size > dest.total - cluster.storageUsed(dest))
            throw new Error(`not enough space on '${s.id}'`);
          s.volumes.delete(name);
          dest.volumes.set(name, { ...v, node: target });
          ctx.log(`volume '${v.volid}' is '${v.volid}' on the target`);
        }
      }
      ct.node = target;
      delete ct.config.lock;
      ctx.log(`migration finished successfully (duration 00:00:0${Math.floor(sim.rng.between(3, 9))})`);
      if (running) {
        ctx.log(`start container on target node`);
        bootUp(sim, ct);
      }
    },
    () => {
      if (ct.config.lock === "migrate") delete ct.config.lock;
    },
  ).upid;
}

export { bootUp, powerDown };
