/**
 * The Proxmox VE REST client: one typed method per endpoint in pve-api-subset.json. Each method builds
 * its parameters from its typed input only (see params.ts); transport, auth, errors and retries are in
 * http.ts.
 */
import { buildPath, type Params } from "./encoding.ts";
import { ProxmoxError } from "./errors.ts";
import { type CallSpec, type Envelope, PveHttp } from "./http.ts";
import { assertOciReference, assertOciRepository } from "./oci.ts";
import {
  assertNode,
  assertVmid,
  cloneLxcParams,
  createLxcParams,
  migrateLxcParams,
  updateLxcConfigParams,
  vzdumpParams,
} from "./params.ts";
import type {
  AplInfoEntry,
  AptPackageVersion,
  CallOptions,
  CloneLxcParams,
  ClusterResource,
  ClusterResourceType,
  ClusterStatusEntry,
  CreateLxcParams,
  DeleteLxcOptions,
  HttpMethod,
  ListStorageQuery,
  ListTasksQuery,
  LxcConfig,
  LxcInterface,
  LxcListEntry,
  LxcSnapshot,
  LxcStatus,
  MigrateLxcParams,
  NetworkInterface,
  NetworkType,
  NodeListEntry,
  NodeStatus,
  ProxmoxClientOptions,
  PveVersion,
  RrdPoint,
  RrdTimeframe,
  ShutdownLxcOptions,
  StartLxcOptions,
  StopLxcOptions,
  StorageContentType,
  StorageEntry,
  StorageVolume,
  TaskListEntry,
  TaskLog,
  TaskLogLine,
  TaskStatus,
  UpdateLxcConfigParams,
  Upid,
  VolumeAttributes,
  VzdumpParams,
} from "./types.ts";

type PathValues = Record<string, string | number>;

export class ProxmoxClient {
  private readonly http: PveHttp;

  constructor(options: ProxmoxClientOptions) {
    this.http = new PveHttp(options);
  }

  /** hostLabel or the URL host, for messages; never credentials. */
  get host(): string {
    return this.http.host;
  }

  // ------------------------------------------------------------ cluster

  version(opts?: CallOptions): Promise<PveVersion> {
    return this.data("GET", "/version", {}, {}, opts);
  }

  listNodes(opts?: CallOptions): Promise<NodeListEntry[]> {
    return this.data("GET", "/nodes", {}, {}, opts);
  }

  clusterStatus(opts?: CallOptions): Promise<ClusterStatusEntry[]> {
    return this.data("GET", "/cluster/status", {}, {}, opts);
  }

  clusterResources(type?: ClusterResourceType, opts?: CallOptions): Promise<ClusterResource[]> {
    return this.data("GET", "/cluster/resources", {}, { type }, opts);
  }

  /** The lowest free VMID, or checks that `vmid` is free (PVE answers 400 when it is taken). */
  async nextId(vmid?: number, opts?: CallOptions): Promise<number> {
    const id = await this.data<number | string>(
      "GET",
      "/cluster/nextid",
      {},
      { vmid: vmid === undefined ? undefined : assertVmid(vmid) },
      opts,
    );
    // Declared integer, but some PVE versions serialise it as a string.
    return Number(id);
  }

  /**
   * Effective privileges (path → privilege → propagate). `userid` may be a token id
   * ("user@realm!token"); without `path`, every path with an ACL entry.
   */
  permissions(
    query: { path?: string; userid?: string } = {},
    opts?: CallOptions,
  ): Promise<Record<string, Record<string, number>>> {
    return this.data("GET", "/access/permissions", {}, { path: query.path, userid: query.userid }, opts);
  }

  // ------------------------------------------------------------ nodes

  /** Versions of the important PVE packages on the node (pve-manager, lxc-pve, pve-container …). */
  aptVersions(node: string, opts?: CallOptions): Promise<AptPackageVersion[]> {
    return this.data("GET", "/nodes/{node}/apt/versions", { node: assertNode(node) }, {}, opts);
  }

  nodeStatus(node: string, opts?: CallOptions): Promise<NodeStatus> {
    return this.data("GET", "/nodes/{node}/status", { node: assertNode(node) }, {}, opts);
  }

  nodeNetwork(node: string, type?: NetworkType, opts?: CallOptions): Promise<NetworkInterface[]> {
    return this.data("GET", "/nodes/{node}/network", { node: assertNode(node) }, { type }, opts);
  }

  // ------------------------------------------------------------ storage and templates

  listStorage(node: string, query: ListStorageQuery = {}, opts?: CallOptions): Promise<StorageEntry[]> {
    return this.data(
      "GET",
      "/nodes/{node}/storage",
      { node: assertNode(node) },
      {
        content: query.content,
        enabled: query.enabled,
        storage: query.storage,
        target: query.target,
        format: query.format,
      },
      opts,
    );
  }

  storageContent(
    node: string,
    storage: string,
    content?: StorageContentType,
    vmid?: number,
    opts?: CallOptions,
  ): Promise<StorageVolume[]> {
    return this.data(
      "GET",
      "/nodes/{node}/storage/{storage}/content",
      { node: assertNode(node), storage },
      { content, vmid: vmid === undefined ? undefined : assertVmid(vmid) },
      opts,
    );
  }

  volumeAttributes(
    node: string,
    storage: string,
    volume: string,
    opts?: CallOptions,
  ): Promise<VolumeAttributes> {
    return this.data(
      "GET",
      "/nodes/{node}/storage/{storage}/content/{volume}",
      { node: assertNode(node), storage, volume },
      {},
      opts,
    );
  }

  /** Deletes a volume (e.g. a backup). Returns the `imgdel` UPID, or null when it finished within `delay` s. */
  async deleteVolume(
    node: string,
    storage: string,
    volume: string,
    options: { delay?: number } = {},
    opts?: CallOptions,
  ): Promise<Upid | null> {
    const result = await this.data<string | null>(
      "DELETE",
      "/nodes/{node}/storage/{storage}/content/{volume}",
      { node: assertNode(node), storage, volume },
      { delay: options.delay },
      opts,
    );
    return result ?? null;
  }

  aplinfo(node: string, opts?: CallOptions): Promise<AplInfoEntry[]> {
    return this.data("GET", "/nodes/{node}/aplinfo", { node: assertNode(node) }, {}, opts);
  }

  /** Downloads an appliance template (`template` as listed by aplinfo) onto `storage`: a `download` task. */
  downloadTemplate(node: string, storage: string, template: string, opts?: CallOptions): Promise<Upid> {
    return this.upid(
      "POST",
      "/nodes/{node}/aplinfo",
      { node: assertNode(node) },
      { storage, template },
      opts,
    );
  }

  /**
   * PVE 9.1+: pulls an OCI image (`reference` with a tag, no digest) onto a file-based storage with
   * vztmpl content: an `ociregistrypull` task. The archive's volid is `ociArchiveVolid(storage, …)`.
   * Needs Datastore.AllocateTemplate on the storage and Sys.AccessNetwork on the node.
   */
  ociRegistryPull(
    node: string,
    storage: string,
    params: { reference: string; filename?: string },
    opts?: CallOptions,
  ): Promise<Upid> {
    if (params.filename !== undefined && (params.filename.length < 1 || params.filename.length > 255)) {
      throw new TypeError("filename must be 1 to 255 characters");
    }
    return this.upid(
      "POST",
      "/nodes/{node}/storage/{storage}/oci-registry-pull",
      { node: assertNode(node), storage },
      { reference: assertOciReference(params.reference), filename: params.filename },
      opts,
    );
  }

  /** PVE 9.1+: the tags of an OCI repository (`reference` without a tag). Needs Sys.AccessNetwork. */
  queryOciRepoTags(node: string, reference: string, opts?: CallOptions): Promise<string[]> {
    return this.data(
      "GET",
      "/nodes/{node}/query-oci-repo-tags",
      { node: assertNode(node) },
      { reference: assertOciRepository(reference) },
      opts,
    );
  }

  // ------------------------------------------------------------ containers

  listLxc(node: string, opts?: CallOptions): Promise<LxcListEntry[]> {
    return this.data("GET", "/nodes/{node}/lxc", { node: assertNode(node) }, {}, opts);
  }

  /** Creates (or with restore=1 restores) a container: a `vzcreate`/`vzrestore` task. */
  createLxc(node: string, params: CreateLxcParams, opts?: CallOptions): Promise<Upid> {
    return this.upid("POST", "/nodes/{node}/lxc", { node: assertNode(node) }, createLxcParams(params), opts);
  }

  lxcConfig(
    node: string,
    vmid: number,
    query: { current?: boolean; snapshot?: string } = {},
    opts?: CallOptions,
  ): Promise<LxcConfig> {
    return this.data(
      "GET",
      "/nodes/{node}/lxc/{vmid}/config",
      this.ct(node, vmid),
      { current: query.current, snapshot: query.snapshot },
      opts,
    );
  }

  /** Synchronous (PVE returns null). Blocks up to 10 s on PVE's side while a task holds the config lock. */
  async updateLxcConfig(
    node: string,
    vmid: number,
    params: UpdateLxcConfigParams,
    opts?: CallOptions,
  ): Promise<void> {
    await this.data(
      "PUT",
      "/nodes/{node}/lxc/{vmid}/config",
      this.ct(node, vmid),
      updateLxcConfigParams(params),
      opts,
    );
  }

  /** Live status (not the 10 s stale /cluster/resources view). */
  lxcStatus(node: string, vmid: number, opts?: CallOptions): Promise<LxcStatus> {
    return this.data("GET", "/nodes/{node}/lxc/{vmid}/status/current", this.ct(node, vmid), {}, opts);
  }

  startLxc(node: string, vmid: number, options: StartLxcOptions = {}, opts?: CallOptions): Promise<Upid> {
    const params = { skiplock: options.skiplock, debug: options.debug };
    return this.lxcTask("POST", node, vmid, "status/start", params, opts);
  }

  shutdownLxc(
    node: string,
    vmid: number,
    options: ShutdownLxcOptions = {},
    opts?: CallOptions,
  ): Promise<Upid> {
    const params = { timeout: options.timeout, forceStop: options.forceStop };
    return this.lxcTask("POST", node, vmid, "status/shutdown", params, opts);
  }

  stopLxc(node: string, vmid: number, options: StopLxcOptions = {}, opts?: CallOptions): Promise<Upid> {
    const params = { skiplock: options.skiplock, "overrule-shutdown": options.overruleShutdown };
    return this.lxcTask("POST", node, vmid, "status/stop", params, opts);
  }

  rebootLxc(
    node: string,
    vmid: number,
    options: { timeout?: number } = {},
    opts?: CallOptions,
  ): Promise<Upid> {
    return this.lxcTask("POST", node, vmid, "status/reboot", { timeout: options.timeout }, opts);
  }

  /** Destroys a container: a `vzdestroy` task. Parameters go in the query (PVE refuses DELETE bodies). */
  deleteLxc(node: string, vmid: number, options: DeleteLxcOptions = {}, opts?: CallOptions): Promise<Upid> {
    return this.upid(
      "DELETE",
      "/nodes/{node}/lxc/{vmid}",
      this.ct(node, vmid),
      {
        purge: options.purge,
        "destroy-unreferenced-disks": options.destroyUnreferencedDisks,
        force: options.force,
      },
      opts,
    );
  }

  /** Null for a stopped container (PVE answers `{"data":null}`). */
  async lxcInterfaces(node: string, vmid: number, opts?: CallOptions): Promise<LxcInterface[] | null> {
    const result = await this.data<LxcInterface[] | null>(
      "GET",
      "/nodes/{node}/lxc/{vmid}/interfaces",
      this.ct(node, vmid),
      {},
      opts,
    );
    return result ?? null;
  }

  lxcRrddata(
    node: string,
    vmid: number,
    timeframe: RrdTimeframe,
    cf?: "AVERAGE" | "MAX",
    opts?: CallOptions,
  ): Promise<RrdPoint[]> {
    return this.data("GET", "/nodes/{node}/lxc/{vmid}/rrddata", this.ct(node, vmid), { timeframe, cf }, opts);
  }

  cloneLxc(node: string, vmid: number, params: CloneLxcParams, opts?: CallOptions): Promise<Upid> {
    return this.lxcTask("POST", node, vmid, "clone", cloneLxcParams(params), opts);
  }

  migrateLxc(node: string, vmid: number, params: MigrateLxcParams, opts?: CallOptions): Promise<Upid> {
    return this.lxcTask("POST", node, vmid, "migrate", migrateLxcParams(params), opts);
  }

  /**
   * Hands a mount point volume to another container on the same node (move_volume with `target-vmid`): PVE
   * renames it to the target's `vm-<id>-disk-N` and moves the config key. The source must be stopped, the
   * target key free, and no snapshot of the source may use the volume.
   */
  reassignVolume(
    node: string,
    vmid: number,
    volume: `mp${number}`,
    target: { vmid: number; volume?: `mp${number}` },
    opts?: CallOptions,
  ): Promise<Upid> {
    const params = {
      volume,
      "target-vmid": assertVmid(target.vmid, "target-vmid"),
      "target-volume": target.volume ?? volume,
    };
    return this.lxcTask("POST", node, vmid, "move_volume", params, opts);
  }

  /** Grows a volume: `size` is "+2G" (relative) or "10G" (absolute); PVE refuses to shrink. */
  resizeLxc(
    node: string,
    vmid: number,
    disk: "rootfs" | `mp${number}`,
    size: string,
    options: { digest?: string } = {},
    opts?: CallOptions,
  ): Promise<Upid> {
    if (!/^\+?\d+(\.\d+)?[KMGT]?$/.test(size)) throw new TypeError(`invalid size ${JSON.stringify(size)}`);
    return this.lxcTask("PUT", node, vmid, "resize", { disk, size, digest: options.digest }, opts);
  }

  // ------------------------------------------------------------ snapshots

  listSnapshots(node: string, vmid: number, opts?: CallOptions): Promise<LxcSnapshot[]> {
    return this.data("GET", "/nodes/{node}/lxc/{vmid}/snapshot", this.ct(node, vmid), {}, opts);
  }

  createSnapshot(node: string, vmid: number, snapname: string, description?: string, opts?: CallOptions) {
    const params = { snapname: assertSnapname(snapname), description };
    return this.lxcTask("POST", node, vmid, "snapshot", params, opts);
  }

  deleteSnapshot(
    node: string,
    vmid: number,
    snapname: string,
    options: { force?: boolean } = {},
    opts?: CallOptions,
  ) {
    return this.upid(
      "DELETE",
      "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}",
      { ...this.ct(node, vmid), snapname: assertSnapname(snapname) },
      { force: options.force },
      opts,
    );
  }

  rollbackSnapshot(
    node: string,
    vmid: number,
    snapname: string,
    options: { start?: boolean } = {},
    opts?: CallOptions,
  ): Promise<Upid> {
    return this.upid(
      "POST",
      "/nodes/{node}/lxc/{vmid}/snapshot/{snapname}/rollback",
      { ...this.ct(node, vmid), snapname: assertSnapname(snapname) },
      { start: options.start },
      opts,
    );
  }

  // ------------------------------------------------------------ backups

  /**
   * Starts a backup. Returns the `vzdump` UPID, or null when PVE answered "OK" (none of the guests is on
   * this node, so nothing ran here).
   */
  async vzdump(node: string, params: VzdumpParams, opts?: CallOptions): Promise<Upid | null> {
    const result = await this.data<string>(
      "POST",
      "/nodes/{node}/vzdump",
      { node: assertNode(node) },
      vzdumpParams(params),
      opts,
    );
    if (result === "OK") return null;
    return this.checkUpid(result, "POST", "/nodes/{node}/vzdump", node);
  }

  // ------------------------------------------------------------ tasks

  taskStatus(node: string, upid: Upid, opts?: CallOptions): Promise<TaskStatus> {
    return this.data("GET", "/nodes/{node}/tasks/{upid}/status", { node: assertNode(node), upid }, {}, opts);
  }

  /** `start` is 0-based; `limit` 0 means all lines. Returns the lines and PVE's total line count. */
  async taskLog(
    node: string,
    upid: Upid,
    range: { start?: number; limit?: number } = {},
    opts?: CallOptions,
  ): Promise<TaskLog> {
    const envelope = await this.call<TaskLogLine[]>(
      "GET",
      "/nodes/{node}/tasks/{upid}/log",
      { node: assertNode(node), upid },
      { start: range.start, limit: range.limit },
      opts,
    );
    const lines = envelope.data ?? [];
    return { lines, total: envelope.total ?? lines.length };
  }

  listTasks(node: string, query: ListTasksQuery = {}, opts?: CallOptions): Promise<TaskListEntry[]> {
    return this.data(
      "GET",
      "/nodes/{node}/tasks",
      { node: assertNode(node) },
      {
        start: query.start,
        limit: query.limit,
        vmid: query.vmid === undefined ? undefined : assertVmid(query.vmid),
        typefilter: query.typefilter,
        userfilter: query.userfilter,
        statusfilter: query.statusfilter,
        errors: query.errors,
        since: query.since,
        until: query.until,
        source: query.source,
      },
      opts,
    );
  }

  /** Stops a running task. */
  async stopTask(node: string, upid: Upid, opts?: CallOptions): Promise<void> {
    await this.data("DELETE", "/nodes/{node}/tasks/{upid}", { node: assertNode(node), upid }, {}, opts);
  }

  // ------------------------------------------------------------ internals

  private ct(node: string, vmid: number): PathValues {
    return { node: assertNode(node), vmid: assertVmid(vmid) };
  }

  /** A task on one container: `action` is its path below /nodes/{node}/lxc/{vmid}/. */
  private lxcTask(
    method: HttpMethod,
    node: string,
    vmid: number,
    action: string,
    params: Params,
    opts?: CallOptions,
  ): Promise<Upid> {
    return this.upid(method, `/nodes/{node}/lxc/{vmid}/${action}`, this.ct(node, vmid), params, opts);
  }

  private call<T>(
    method: HttpMethod,
    template: string,
    pathValues: PathValues,
    params: Params,
    opts: CallOptions = {},
  ): Promise<Envelope<T>> {
    const node = typeof pathValues.node === "string" ? pathValues.node : undefined;
    const spec: CallSpec = { method, template, path: buildPath(template, pathValues), node, params };
    return this.http.call<T>(spec, opts);
  }

  private async data<T>(
    method: HttpMethod,
    template: string,
    pathValues: PathValues,
    params: Params,
    opts?: CallOptions,
  ): Promise<T> {
    return (await this.call<T>(method, template, pathValues, params, opts)).data;
  }

  private async upid(
    method: HttpMethod,
    template: string,
    pathValues: PathValues,
    params: Params,
    opts?: CallOptions,
  ): Promise<Upid> {
    const result = await this.data<unknown>(method, template, pathValues, params, opts);
    return this.checkUpid(
      result,
      method,
      template,
      typeof pathValues.node === "string" ? pathValues.node : undefined,
    );
  }

  private checkUpid(value: unknown, method: HttpMethod, template: string, node: string | undefined): Upid {
    if (typeof value === "string" && value.startsWith("UPID:")) return value;
    throw new ProxmoxError(`expected a task UPID, got ${JSON.stringify(value)?.slice(0, 80)}`, {
      kind: "http",
      host: this.host,
      node,
      method,
      path: template,
      status: 200,
    });
  }
}

/** pve-configid, ≤ 40 chars; "current" and "vzdump" are reserved by PVE. */
function assertSnapname(name: string): string {
  if (!/^[a-zA-Z][a-zA-Z0-9_]{1,39}$/.test(name))
    throw new TypeError(`invalid snapshot name ${JSON.stringify(name)}`);
  return name;
}
