/**
 * Typed inputs → PVE parameter names. Every key is listed explicitly: an object with extra properties (a
 * request body spread by mistake) cannot smuggle a parameter to PVE.
 */
import {
  assertEntrypoint,
  formatEnv,
  formatFeatures,
  formatMountPoint,
  formatNet,
  formatPruneBackups,
  formatRootfs,
  formatStartup,
  indexed,
  type Params,
} from "./encoding.ts";
import type {
  CloneLxcParams,
  CreateLxcParams,
  LxcCommonConfig,
  MigrateLxcParams,
  UpdateLxcConfigParams,
  VzdumpParams,
} from "./types.ts";

const VMID_MIN = 100;
const VMID_MAX = 999_999_999;

/** PVE's pve-vmid range; checked client-side so a bad id never becomes a URL. */
export function assertVmid(vmid: number, name = "vmid"): number {
  if (!Number.isInteger(vmid) || vmid < VMID_MIN || vmid > VMID_MAX) {
    throw new TypeError(`${name} must be an integer in ${VMID_MIN}..${VMID_MAX}`);
  }
  return vmid;
}

/** pve-node: a host name label. */
export function assertNode(node: string): string {
  if (!/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(node)) throw new TypeError(`invalid node name`);
  return node;
}

function commonConfig(c: LxcCommonConfig): Params {
  return {
    hostname: c.hostname,
    cores: c.cores,
    cpulimit: c.cpulimit,
    cpuunits: c.cpuunits,
    memory: c.memory,
    swap: c.swap,
    ...indexed("net", c.net, formatNet),
    ...indexed("mp", c.mp, formatMountPoint),
    nameserver: c.nameserver,
    searchdomain: c.searchdomain,
    features: c.features ? formatFeatures(c.features) : undefined,
    unprivileged: c.unprivileged,
    onboot: c.onboot,
    startup: c.startup ? formatStartup(c.startup) : undefined,
    tags: c.tags?.join(";"),
    description: c.description,
    ostype: c.ostype,
    arch: c.arch,
    timezone: c.timezone,
    tty: c.tty,
    console: c.console,
    cmode: c.cmode,
    protection: c.protection,
    template: c.template,
    entrypoint: c.entrypoint === undefined ? undefined : assertEntrypoint(c.entrypoint),
    env: c.env === undefined ? undefined : formatEnv(c.env),
  };
}

export function createLxcParams(p: CreateLxcParams): Params {
  return {
    vmid: assertVmid(p.vmid),
    ostemplate: p.ostemplate,
    ...commonConfig(p),
    rootfs: p.rootfs ? formatRootfs(p.rootfs) : undefined,
    storage: p.storage,
    password: p.password,
    "ssh-public-keys": p.sshPublicKeys,
    start: p.start,
    pool: p.pool,
    restore: p.restore,
    force: p.force,
    unique: p.unique,
    "ignore-unpack-errors": p.ignoreUnpackErrors,
    bwlimit: p.bwlimit,
  };
}

export function updateLxcConfigParams(p: UpdateLxcConfigParams): Params {
  return {
    ...commonConfig(p),
    rootfs: p.rootfs ? formatRootfs(p.rootfs) : undefined,
    delete: p.delete?.length ? p.delete.join(",") : undefined,
    revert: p.revert?.length ? p.revert.join(",") : undefined,
    digest: p.digest,
  };
}

export function cloneLxcParams(p: CloneLxcParams): Params {
  return {
    newid: assertVmid(p.newid, "newid"),
    hostname: p.hostname,
    description: p.description,
    full: p.full,
    storage: p.storage,
    target: p.target,
    snapname: p.snapname,
    pool: p.pool,
    bwlimit: p.bwlimit,
  };
}

export function migrateLxcParams(p: MigrateLxcParams): Params {
  return {
    target: p.target,
    restart: p.restart,
    online: p.online,
    timeout: p.timeout,
    "target-storage": p.targetStorage,
    bwlimit: p.bwlimit,
  };
}

export function vzdumpParams(p: VzdumpParams): Params {
  const ids = Array.isArray(p.vmid) ? p.vmid : [p.vmid];
  if (ids.length === 0) throw new TypeError("vzdump needs at least one vmid");
  return {
    vmid: ids.map((id) => assertVmid(id)).join(","),
    storage: p.storage,
    mode: p.mode,
    compress: p.compress,
    zstd: p.zstd,
    "notes-template": p.notesTemplate,
    remove: p.remove,
    "prune-backups": p.pruneBackups ? formatPruneBackups(p.pruneBackups) : undefined,
    protected: p.protected,
    bwlimit: p.bwlimit,
    ionice: p.ionice,
    lockwait: p.lockwait,
    stopwait: p.stopwait,
    "exclude-path": p.excludePath,
    stdexcludes: p.stdexcludes,
    quiet: p.quiet,
    "notification-mode": p.notificationMode,
  };
}
