/**
 * Public types of the Proxmox client: options, the typed inputs of every method and the shapes PVE 8.4
 * returns (from pve-api-subset.json and research/proxmox-api.md). Inputs use camelCase; the client maps
 * them explicitly to PVE's parameter names, so nothing outside these types can reach a request.
 */
import type { ProxmoxErrorKind } from "./errors.ts";
import type { ParsedUpid } from "./upid.ts";

export type ProxmoxAuth =
  | { kind: "token" /** USER@REALM!TOKENID */; tokenId: string; tokenSecret: string }
  | { kind: "ticket" /** USER@REALM */; username: string; password: string };

export interface ProxmoxCallInfo {
  method: HttpMethod;
  /** The path template (never the concrete URL with ids), e.g. /nodes/{node}/lxc/{vmid}/status/start. */
  path: string;
  node?: string | undefined;
  /** HTTP status, 0 when no response arrived. */
  status: number;
  durationMs: number;
  /** 1 for the first try, 2+ for retries. */
  attempt: number;
  /** UPID when the call started a task. */
  upid?: string | undefined;
  error?: string | undefined;
  errorKind?: ProxmoxErrorKind | undefined;
}

export interface ProxmoxClientOptions {
  /** e.g. https://pve:8006; a trailing /api2/json is accepted. */
  apiUrl: string;
  auth: ProxmoxAuth;
  /** Verify the certificate chain and host name (default true). Ignored when `fingerprint` is set. */
  verifyTls?: boolean;
  /** SHA-256 certificate fingerprint "AA:BB:…" to pin (self-signed PVE certificates). */
  fingerprint?: string;
  /** Per HTTP call (default 30 s). */
  timeoutMs?: number;
  /** Shown in errors and breadcrumbs instead of the URL host. */
  hostLabel?: string;
  /** Observer called after every HTTP call; it never receives parameters or secrets. */
  onCall?: (info: ProxmoxCallInfo) => void;
  /** Attempts for retryable calls (default 3). */
  maxAttempts?: number;
  /** Base delay of the jittered exponential backoff (default 250 ms). */
  retryBaseMs?: number;
  /** Clock in ms, injectable so tests can age a ticket. */
  now?: () => number;
}

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

export interface CallOptions {
  /**
   * The caller knows that repeating this write is harmless: then a "locked"/"got timeout" answer is retried.
   * Writes are otherwise only retried when the request never left (connection refused, DNS).
   */
  idempotent?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** UPID string of an asynchronous PVE task. */
export type Upid = string;

// ---------------------------------------------------------------- property strings

/** net[n]: name is required by PVE. */
export interface LxcNetConfig {
  name: string;
  bridge?: string;
  /** "dhcp" | "manual" | "A.B.C.D/nn" */
  ip?: string;
  gw?: string;
  /** "auto" | "dhcp" | "manual" | CIDR */
  ip6?: string;
  gw6?: string;
  hwaddr?: string;
  firewall?: boolean;
  /** PVE 9.1+: the host configures the address (OCI application containers have no network stack). */
  hostManaged?: boolean;
  tag?: number;
  mtu?: number;
  rate?: number;
  linkDown?: boolean;
  trunks?: number[];
  type?: "veth";
}

export interface LxcFeatures {
  nesting?: boolean;
  keyctl?: boolean;
  fuse?: boolean;
  mknod?: boolean;
  forceRwSys?: boolean;
  /** Allowed fs types, e.g. ["nfs", "cifs"]. */
  mount?: string[];
}

/** rootfs: a new volume `<storage>:<GiB>` or an existing volume. */
export type LxcRootfs =
  | { storage: string; sizeGb: number; acl?: boolean; quota?: boolean; ro?: boolean; mountoptions?: string[] }
  | { volume: string; size?: string; acl?: boolean; quota?: boolean; ro?: boolean; mountoptions?: string[] };

export type LxcMountPoint = LxcRootfs & { mp: string; backup?: boolean };

export interface LxcStartup {
  order?: number;
  up?: number;
  down?: number;
}

// ---------------------------------------------------------------- inputs

/** Keys both create and update accept. */
export interface LxcCommonConfig {
  hostname?: string;
  cores?: number;
  cpulimit?: number;
  cpuunits?: number;
  memory?: number;
  swap?: number;
  /** Indexed: {0: {...}} → net0. */
  net?: Record<number, LxcNetConfig>;
  mp?: Record<number, LxcMountPoint>;
  nameserver?: string;
  searchdomain?: string;
  features?: LxcFeatures;
  unprivileged?: boolean;
  onboot?: boolean;
  startup?: LxcStartup;
  /** Joined with ";" (PVE stores them lowercased, sorted, de-duplicated). */
  tags?: string[];
  description?: string;
  ostype?:
    | "debian"
    | "devuan"
    | "ubuntu"
    | "centos"
    | "fedora"
    | "opensuse"
    | "archlinux"
    | "alpine"
    | "gentoo"
    | "nixos"
    | "unmanaged";
  arch?: "amd64" | "i386" | "arm64" | "armhf" | "riscv32" | "riscv64";
  timezone?: string;
  tty?: number;
  console?: boolean;
  cmode?: "shell" | "console" | "tty";
  protection?: boolean;
  template?: boolean;
  /** PVE 9.1+: the init command. A create from an OCI image overwrites it with the image's. */
  entrypoint?: string;
  /**
   * PVE 9.1+: the container's runtime environment; replaces the whole list. A create from an OCI image
   * overwrites it with the image's, so set overrides afterwards (read, merge, write).
   */
  env?: Record<string, string>;
}

export interface CreateLxcParams extends LxcCommonConfig {
  vmid: number;
  /** Template volid (local:vztmpl/…), or a backup volid with restore. */
  ostemplate: string;
  rootfs?: LxcRootfs;
  /** Storage for `rootfs=<number>` and restore; always pass rootfs explicitly for new CTs. */
  storage?: string;
  /** Root password inside the CT (min 5 chars). */
  password?: string;
  /** One key per line. */
  sshPublicKeys?: string;
  start?: boolean;
  pool?: string;
  restore?: boolean;
  /** With restore: overwrite an existing stopped CT. */
  force?: boolean;
  unique?: boolean;
  ignoreUnpackErrors?: boolean;
  bwlimit?: number;
}

export interface UpdateLxcConfigParams extends LxcCommonConfig {
  rootfs?: LxcRootfs;
  /** Keys to remove, e.g. ["net1", "mp0"]. */
  delete?: string[];
  revert?: string[];
  /** Refuse the change if the config changed since this digest. */
  digest?: string;
}

export interface DeleteLxcOptions {
  purge?: boolean;
  destroyUnreferencedDisks?: boolean;
  force?: boolean;
}

export interface CloneLxcParams {
  newid: number;
  hostname?: string;
  description?: string;
  full?: boolean;
  storage?: string;
  target?: string;
  snapname?: string;
  pool?: string;
  bwlimit?: number;
}

export interface MigrateLxcParams {
  target: string;
  restart?: boolean;
  online?: boolean;
  timeout?: number;
  targetStorage?: string;
  bwlimit?: number;
}

export interface VzdumpParams {
  /** One guest or several. */
  vmid: number | number[];
  storage?: string;
  mode?: "snapshot" | "suspend" | "stop";
  compress?: "0" | "1" | "gzip" | "lzo" | "zstd";
  zstd?: number;
  notesTemplate?: string;
  remove?: boolean;
  /** e.g. {keepLast: 3, keepDaily: 7} → "keep-last=3,keep-daily=7" */
  pruneBackups?: PruneBackups;
  protected?: boolean;
  bwlimit?: number;
  ionice?: number;
  lockwait?: number;
  stopwait?: number;
  excludePath?: string[];
  stdexcludes?: boolean;
  quiet?: boolean;
  notificationMode?: "auto" | "legacy-sendmail" | "notification-system";
}

export interface PruneBackups {
  keepAll?: boolean;
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
}

export interface ShutdownLxcOptions {
  timeout?: number;
  forceStop?: boolean;
}

export interface StopLxcOptions {
  skiplock?: boolean;
  overruleShutdown?: boolean;
}

export interface StartLxcOptions {
  skiplock?: boolean;
  debug?: boolean;
}

export interface ListStorageQuery {
  content?: string;
  enabled?: boolean;
  storage?: string;
  target?: string;
  format?: boolean;
}

export interface ListTasksQuery {
  start?: number;
  limit?: number;
  vmid?: number;
  typefilter?: string;
  userfilter?: string;
  statusfilter?: string;
  errors?: boolean;
  since?: number;
  until?: number;
  source?: "archive" | "active" | "all";
}

export type RrdTimeframe = "hour" | "day" | "week" | "month" | "year";
export type StorageContentType = "vztmpl" | "backup" | "rootdir" | "images" | "iso" | "snippets" | "import";
export type ClusterResourceType = "vm" | "storage" | "node" | "sdn";
export type NetworkType =
  | "bridge"
  | "bond"
  | "eth"
  | "alias"
  | "vlan"
  | "OVSBridge"
  | "OVSBond"
  | "OVSPort"
  | "OVSIntPort"
  | "vnet"
  | "any_bridge"
  | "any_local_bridge";

// ---------------------------------------------------------------- returns

export interface PveVersion {
  version: string;
  release: string;
  repoid: string;
  console?: string;
}

export interface TicketResult {
  username: string;
  ticket: string;
  CSRFPreventionToken: string;
  clustername?: string;
  NeedTFA?: number;
}

/** CPU (fraction of `maxcpu` cores), memory and root disk in bytes, as PVE reports them for nodes and guests. */
export interface ResourceUsage {
  cpu?: number;
  maxcpu?: number;
  mem?: number;
  maxmem?: number;
  disk?: number;
  maxdisk?: number;
}

export interface NodeListEntry extends ResourceUsage {
  node: string;
  status: "online" | "offline" | "unknown";
  uptime?: number;
  level?: string;
  id?: string;
  type?: string;
  ssl_fingerprint?: string;
}

export interface NodeStatus {
  uptime: number;
  cpu: number;
  loadavg: string[];
  memory: { total: number; used: number; free: number };
  swap?: { total: number; used: number; free: number };
  rootfs: { total: number; used: number; free: number; avail: number };
  cpuinfo: { model: string; cpus: number; cores: number; sockets: number; mhz?: string };
  pveversion: string;
  kversion?: string;
  [key: string]: unknown;
}

export interface ClusterStatusEntry {
  type: "cluster" | "node";
  id: string;
  name: string;
  ip?: string;
  online?: boolean | number;
  local?: boolean | number;
  nodeid?: number;
  level?: string;
  quorate?: boolean | number;
  nodes?: number;
  version?: number;
}

export interface ClusterResource extends ResourceUsage {
  id: string;
  /** PVE 9 adds `network` (the localnetwork zone moved there from `sdn`); unknown types are ignored. */
  type: "node" | "storage" | "pool" | "qemu" | "lxc" | "openvz" | "sdn" | "network" | (string & {});
  node?: string;
  vmid?: number;
  name?: string;
  status?: string;
  storage?: string;
  content?: string;
  plugintype?: string;
  shared?: number;
  tags?: string;
  lock?: string;
  template?: boolean | number;
  uptime?: number;
  netin?: number;
  netout?: number;
  pool?: string;
  hastate?: string;
}

export interface StorageEntry {
  storage: string;
  type: string;
  content: string;
  active?: boolean | number;
  enabled?: boolean | number;
  shared?: boolean | number;
  total?: number;
  used?: number;
  avail?: number;
  used_fraction?: number;
}

export interface StorageVolume {
  volid: string;
  content?: string;
  /** "tzst", "txz", … or, since PVE 9, "tar" for plain .tar templates. */
  format: string;
  /** Optional since PVE 9.2 (LVM qcow2 volumes report `approximate-size` instead). */
  size: number;
  "approximate-size"?: number;
  ctime?: number;
  vmid?: number;
  subtype?: string;
  notes?: string;
  protected?: boolean | number;
  used?: number;
  parent?: string;
}

export interface VolumeAttributes {
  path: string;
  format: string;
  size: number;
  used: number;
  notes?: string;
  protected?: boolean | number;
}

export interface AptPackageVersion {
  Package: string;
  Version: string;
  OldVersion?: string;
  CurrentState?: string;
  [key: string]: unknown;
}

export interface AplInfoEntry {
  template: string;
  package: string;
  version: string;
  type: string;
  os: string;
  section: string;
  headline: string;
  location?: string;
  sha512sum?: string;
  [key: string]: unknown;
}

export interface LxcListEntry {
  vmid: number;
  /** `unknown` when the node is offline or pvestatd has no fresh data: neither running nor stopped. */
  status: "running" | "stopped" | "unknown";
  name?: string;
  type?: "lxc";
  cpus?: number;
  cpu?: number;
  mem?: number;
  maxmem?: number;
  swap?: number;
  maxswap?: number;
  disk?: number;
  maxdisk?: number;
  netin?: number;
  netout?: number;
  diskread?: number;
  diskwrite?: number;
  uptime?: number;
  tags?: string;
  lock?: string;
  template?: boolean | number;
  pid?: number;
}

export interface LxcStatus extends LxcListEntry {
  ha: { managed: number; [key: string]: unknown };
}

/** The stored config: property strings stay strings (net0: "name=eth0,bridge=vmbr0,…"). */
export interface LxcConfig {
  digest: string;
  hostname?: string;
  cores?: number;
  memory?: number;
  swap?: number;
  rootfs?: string;
  ostype?: string;
  arch?: string;
  unprivileged?: number | boolean;
  features?: string;
  tags?: string;
  description?: string;
  onboot?: number | boolean;
  lock?: string;
  /** PVE 9.1+: NUL-separated `KEY=value` list (parseEnv reads it). */
  env?: string;
  entrypoint?: string;
  [key: string]: unknown;
}

export interface LxcInterface {
  name: string;
  hwaddr: string;
  "hardware-address"?: string;
  inet?: string;
  inet6?: string;
  "ip-addresses"?: { "ip-address"?: string; "ip-address-type"?: string; prefix?: number }[];
}

export interface RrdPoint extends ResourceUsage {
  time: number;
  netin?: number;
  netout?: number;
  diskread?: number;
  diskwrite?: number;
}

export interface LxcSnapshot {
  name: string;
  description: string;
  snaptime?: number;
  parent?: string;
  running?: number;
  digest?: string;
}

export interface NetworkInterface {
  iface: string;
  type: string;
  active?: boolean | number;
  autostart?: boolean | number;
  method?: string;
  address?: string;
  netmask?: string;
  cidr?: string;
  gateway?: string;
  bridge_ports?: string;
  bridge_vlan_aware?: boolean | number;
  comments?: string;
  [key: string]: unknown;
}

/** Task status and task list entries carry the decoded UPID fields (see upid.ts). */
export interface TaskStatus extends ParsedUpid {
  tokenid?: string;
  status: "running" | "stopped";
  exitstatus?: string;
}

export interface TaskListEntry extends ParsedUpid {
  endtime?: number;
  status?: string;
}

export interface TaskLogLine {
  n: number;
  t: string;
}

export interface TaskLog {
  lines: TaskLogLine[];
  total: number;
}
