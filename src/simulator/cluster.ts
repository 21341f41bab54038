/**
 * The cluster model: nodes with finite CPU and memory, their storages (`local` dir, `local-lvm`
 * lvmthin) whose volumes consume capacity, and the containers. It holds state and invariants only;
 * operations that take time run as tasks in `lxc.ts`, `storage-ops.ts` and `backup.ts`.
 */
import { type Rng, SimClock } from "./clock.ts";
import { fail } from "./errors.ts";
import { type GuestState, newGuestState } from "./guest.ts";

export const GIB = 1024 ** 3;
export const MIB = 1024 ** 2;

export type ContentType = "vztmpl" | "backup" | "iso" | "rootdir" | "images";

export interface Volume {
  volid: string;
  storage: string;
  node: string;
  content: ContentType;
  format: string;
  size: number;
  ctime: number;
  vmid?: number;
  notes?: string;
  protected?: boolean;
  /** Backups: the container as it was (config + guest), so restore can bring it back. */
  backup?: { config: LxcConfig; guest: GuestState };
  /** An OCI archive pulled by oci-registry-pull: which image it holds. */
  oci?: { repository: string; tag: string };
  /** A mount point volume: the files an application wrote on it (path relative to the mount → content). */
  files?: Record<string, string>;
  /** A backup: the mount points it includes, with their data (mountpoints.ts). */
  mounts?: Record<string, { size: number; files: Record<string, string> }>;
}

export type StorageLayout = "lvm" | "zfs" | "btrfs" | "dir";
export const STORAGE_LAYOUTS: readonly StorageLayout[] = ["lvm", "zfs", "btrfs", "dir"];

export interface Storage {
  id: string;
  node: string;
  type: "dir" | "lvmthin" | "zfspool" | "btrfs";
  content: ContentType[];
  total: number;
  path?: string;
  volumes: Map<string, Volume>;
}

export interface SimNode {
  name: string;
  index: number;
  ip: string;
  cpus: number;
  memory: number;
  bootedAt: number;
  storages: Map<string, Storage>;
  /**
   * The address /cluster/status reports (the node's cluster-network address). Equal to `ip` unless the
   * cluster sits behind NAT, where Proximity can only reach `ip`.
   */
  clusterIp: string;
  /** Powered off or cut from the cluster: /nodes says offline and its guests' status is `unknown`. */
  online: boolean;
  /**
   * pveproxy on the node the API URL points at cannot reach this one: calls naming it answer
   * 595/596 with AnyEvent::HTTP's reason and an empty body.
   */
  unreachable?: { status: 595 | 596; reason: string };
  /** vzdump's per-node global lock (VZDump.pm getlock): the UPID holding it, and who waits. */
  vzdumpLock?: Promise<void>;
  /** Installed package versions reported by /nodes/{node}/apt/versions. */
  packages: Record<string, string>;
}

/** Config values as PVE stores them: strings for property strings, numbers for numeric keys. */
export type LxcConfig = Record<string, string | number>;

export interface Snapshot {
  name: string;
  description: string;
  snaptime: number;
  parent?: string;
  config: LxcConfig;
  guest: GuestState;
}

export interface Container {
  vmid: number;
  node: string;
  config: LxcConfig;
  status: "running" | "stopped";
  /** Set while a task holds the config flock (PUT config waits for it). */
  flock?: Promise<void>;
  startedAt?: number;
  pid?: number;
  /** Incremented at every boot, so a DHCP lease timer from an earlier boot cannot fire late. */
  bootSeq: number;
  /** Under the HA manager: power actions only queue a request (`hastart`/`hastop`) that acts later. */
  haManaged?: boolean;
  /** DHCP lease per interface, once obtained after start. */
  leases: Map<string, string>;
  /** PUT config changes that wait for the next start (PVE 9: `entrypoint`, `env` while running). */
  pending?: LxcConfig;
  snapshots: Snapshot[];
  guest: GuestState;
}

export interface ClusterOptions {
  nodes: number;
  clock: SimClock;
  rng: Rng;
  /** Per node (pve1 first); the last entry repeats. Default: lvm everywhere. */
  storageLayouts?: StorageLayout[];
  packages?: Record<string, string>;
  /** Behind NAT: /cluster/status reports addresses Proximity cannot reach. */
  natted?: boolean;
}

/** What a PVE installer leaves: `local` (dir) plus the layout's guest storage, with their contents. */
function installerStorages(name: string, layout: StorageLayout): Storage[] {
  const local: Storage = {
    id: "local",
    node: name,
    type: "dir",
    content: ["iso", "vztmpl", "backup"],
    total: 100 * GIB,
    path: "/var/lib/vz",
    volumes: new Map(),
  };
  const guest = (id: string, type: Storage["type"]): Storage => ({
    id,
    node: name,
    type,
    content: ["rootdir", "images"],
    total: 200 * GIB,
    volumes: new Map(),
  });
  switch (layout) {
    case "lvm":
      return [local, guest("local-lvm", "lvmthin")];
    case "zfs":
      return [local, guest("local-zfs", "zfspool")];
    case "btrfs":
      return [{ ...local, type: "btrfs" }, guest("local-btrfs", "btrfs")];
    case "dir":
      return [{ ...local, content: ["iso", "vztmpl", "backup", "rootdir", "images"], total: 300 * GIB }];
  }
}

/**
 * A 127.B.0.0/16 is the simulated bridge network (loopback, so an app "inside" a container can really answer
 * HTTP on its address on this machine). B (100–254) and the first lease's third octet are drawn per cluster,
 * not from the seeded generator: two simulators on one machine (test files run side by side) must not hand
 * out the same addresses, or one's health checks would reach the other's apps.
 */
const DHCP_PREFIX = 16;

export class Cluster {
  readonly nodes = new Map<string, SimNode>();
  readonly containers = new Map<number, Container>();
  /**
   * Virtual machines, only as far as they take VMIDs and appear in /cluster/resources (the simulator has no
   * QEMU API): added with POST /_sim/vms.
   */
  readonly vms = new Map<
    number,
    { vmid: number; node: string; name: string; status: "running" | "stopped" }
  >();
  readonly clock: SimClock;
  readonly rng: Rng;
  readonly name = "proximity-sim";
  /** MAC → leased IPv4, so a container keeps its address across restarts like a real DHCP server. */
  private readonly leasesByMac = new Map<string, string>();
  private nextLease = 100;
  private readonly network = {
    b: 100 + (crypto.getRandomValues(new Uint8Array(1))[0]! % 155),
    c: crypto.getRandomValues(new Uint8Array(1))[0]! % 200,
  };

  constructor(opts: ClusterOptions) {
    this.clock = opts.clock ?? new SimClock(1);
    this.rng = opts.rng;
    for (let i = 1; i <= opts.nodes; i++) {
      const name = `pve${i}`;
      const node: SimNode = {
        name,
        index: i,
        ip: `127.0.0.${10 + i}`,
        cpus: 8,
        memory: 32 * GIB,
        bootedAt: this.clock.now() - 86400 * 3 - i * 3600,
        storages: new Map(),
        online: true,
        clusterIp: opts.natted ? `127.0.1.${10 + i}` : `127.0.0.${10 + i}`,
        packages: { ...(opts.packages ?? {}) },
      };
      const layouts = opts.storageLayouts?.length ? opts.storageLayouts : ["lvm" as const];
      const layout = layouts[Math.min(i - 1, layouts.length - 1)]!;
      for (const s of installerStorages(name, layout)) node.storages.set(s.id, s);
      this.nodes.set(name, node);
    }
  }

  node(name: string): SimNode {
    const node = this.nodes.get(name);
    // A node name outside the cluster falls back to DNS in PVE (Cluster.pm remote_node_ip).
    if (!node)
      fail(
        `hostname lookup '${name}' failed - failed to get address info for: ${name}: Name or service not known`,
      );
    return node;
  }

  storage(node: string, id: string): Storage {
    const s = this.node(node).storages.get(id);
    if (!s) fail(`storage '${id}' does not exist`);
    return s;
  }

  storageUsed(s: Storage): number {
    let used = 0;
    for (const v of s.volumes.values()) used += v.size;
    return used;
  }

  /** Looks a container up on the node the call was addressed to, as load_config does. */
  container(node: string, vmid: number): Container {
    const ct = this.containers.get(vmid);
    if (!ct || ct.node !== node) fail(`Configuration file 'nodes/${node}/lxc/${vmid}.conf' does not exist`);
    return ct;
  }

  /** check_vmid_unused: the id is cluster-wide. */
  assertVmidFree(vmid: number): void {
    const ct = this.containers.get(vmid);
    if (ct) fail(`CT ${vmid} already exists on node '${ct.node}'`);
    const vm = this.vms.get(vmid);
    if (vm) fail(`VM ${vmid} already exists on node '${vm.node}'`);
  }

  /** The id is taken by a container or a VM. */
  vmidUsed(vmid: number): boolean {
    return this.containers.has(vmid) || this.vms.has(vmid);
  }

  nextId(): number {
    for (let id = 100; id < 1_000_000; id++) if (!this.vmidUsed(id)) return id;
    fail("unable to get any free VMID in range [100, 1000000]");
  }

  /** Registers a new container holding only `lock: create`, as create_and_lock_config does. */
  register(node: string, vmid: number, lock: string): Container {
    const ct: Container = {
      vmid,
      node,
      config: { lock },
      status: "stopped",
      bootSeq: 0,
      leases: new Map(),
      snapshots: [],
      guest: newGuestState(`CT${vmid}`),
    };
    this.containers.set(vmid, ct);
    return ct;
  }

  /** Removes the container and every volume it owns on its node (purge of disks). */
  destroy(ct: Container): void {
    this.containers.delete(ct.vmid);
    for (const s of this.node(ct.node).storages.values()) {
      for (const [name, v] of s.volumes) {
        if (v.vmid === ct.vmid && (v.content === "rootdir" || v.content === "images")) s.volumes.delete(name);
      }
    }
  }

  /** Allocates a container disk (`vm-<vmid>-disk-<n>`) on an lvmthin/dir storage, checking space. */
  allocDisk(storage: Storage, vmid: number, sizeBytes: number): Volume {
    const free = storage.total - this.storageUsed(storage);
    const name = this.freeDiskName(storage, vmid);
    if (sizeBytes > free) {
      const extents = (b: number) => Math.ceil(b / (4 * MIB));
      // lvcreate's own wording when the volume group/thin pool cannot hold the volume.
      fail(
        `lvcreate 'pve/${name}' error:   Volume group "pve" has insufficient free space (${extents(free)} extents): ${extents(sizeBytes)} required.`,
      );
    }
    const vol: Volume = {
      volid: `${storage.id}:${name}`,
      storage: storage.id,
      node: storage.node,
      content: "rootdir",
      format: "raw",
      size: sizeBytes,
      ctime: this.clock.now(),
      vmid,
    };
    storage.volumes.set(name, vol);
    return vol;
  }

  /** The container's next unused `vm-<vmid>-disk-N` name on the storage (as the storage plugin picks it). */
  freeDiskName(storage: Storage, vmid: number): string {
    let n = 0;
    while (storage.volumes.has(this.diskName(storage, vmid, n))) n++;
    return this.diskName(storage, vmid, n);
  }

  private diskName(storage: Storage, vmid: number, n: number): string {
    if (storage.type === "dir") return `${vmid}/vm-${vmid}-disk-${n}.raw`;
    // ZFS and Btrfs hold container volumes as subvolumes.
    if (storage.type === "zfspool" || storage.type === "btrfs") return `subvol-${vmid}-disk-${n}`;
    return `vm-${vmid}-disk-${n}`;
  }

  /** Finds a volume by volid ("local:backup/x") on a node. */
  findVolume(node: string, volid: string): { storage: Storage; name: string; volume: Volume } | undefined {
    const i = volid.indexOf(":");
    if (i < 0) return undefined;
    const storage = this.nodes.get(node)?.storages.get(volid.slice(0, i));
    const name = volid.slice(i + 1);
    const volume = storage?.volumes.get(name);
    return storage && volume ? { storage, name, volume } : undefined;
  }

  /** A MAC in Proxmox's OUI (BC:24:11), as PVE generates them. */
  newMac(): string {
    const b = () => this.rng.int(0, 255).toString(16).padStart(2, "0").toUpperCase();
    return `BC:24:11:${b()}:${b()}:${b()}`;
  }

  /** The simulated DHCP server: one stable address per MAC. */
  lease(mac: string): string {
    let ip = this.leasesByMac.get(mac);
    if (!ip) {
      const n = this.nextLease++;
      ip = `127.${this.network.b}.${this.network.c + Math.floor(n / 256)}.${n % 256}`;
      this.leasesByMac.set(mac, ip);
    }
    return `${ip}/${DHCP_PREFIX}`;
  }
}
