/**
 * Containers Proximity does not manage yet: discovery (each with a suggestion of what it runs) and adoption.
 * Both only read the container (its tags, description and config are never written): adopting records it as
 * an app with the `lxc` runtime, and what runs inside is left as it is. docs/adopt.md.
 */
import { and, eq } from "drizzle-orm";
import { ConflictError, ValidationError } from "../../core/errors.ts";
import type { UserActor } from "../../core/identity.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import { type Application, applications, users } from "../../db/schema.ts";
import { type ClusterResource, type LxcConfig, rootfsSizeBytes } from "../../proxmox/index.ts";
import { appUrl, lxcUrl } from "./app-url.ts";
import { hasHelperTag, type Suggestion, suggest, tagList } from "./helper-scripts/suggest.ts";
import type { AppDeps } from "./runtime.ts";

export interface DiscoveredContainer {
  node: string;
  vmid: number;
  name: string | null;
  status: string;
  tags: string[];
  lock: string | null;
  /** Whether Adopt can work now; `reason` says why not (an offline node, a lock). */
  adoptable: boolean;
  reason: string | null;
  suggestion: Suggestion;
}

export interface AdoptInput {
  host_id: string;
  node: string;
  vmid: number;
  owner_id?: string | undefined;
  catalog_id?: string | undefined;
  name?: string | undefined;
  port?: number | null | undefined;
}

/** Descriptions are read this many at a time (one config read per helper-script container). */
const CONFIG_READS_AT_ONCE = 16;

/** What Proximity made itself carries this tag (deploy's create); such containers are never offered. */
const OWN_TAG = "proximity";

/** Why a container cannot be adopted now, from the cluster's view of it; null when it can. */
function blocker(r: ClusterResource, online: Set<string>): string | null {
  if (!online.has(String(r.node)))
    return `Node ${r.node} is offline: its containers can be adopted when it is back`;
  if (r.lock) return lockReason(r.vmid ?? 0, r.lock);
  return null;
}

function lockReason(vmid: number, lock: string): string {
  return lock === "create"
    ? `CT ${vmid} is being created (its config is locked: create); adopt it once it is done`
    : `CT ${vmid} is locked (${lock}): an operation is running on it; adopt it once the lock is gone`;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export async function discover(deps: AppDeps, hostId: string): Promise<DiscoveredContainer[]> {
  const client = await deps.hosts.client(hostId);
  const [resources, nodes, rows] = await Promise.all([
    client.clusterResources("vm"),
    client.listNodes(),
    deps.db.select({ vmid: applications.vmid }).from(applications).where(eq(applications.hostId, hostId)),
  ]);
  const known = new Set(rows.map((r) => r.vmid));
  const online = new Set(nodes.filter((n) => n.status === "online").map((n) => n.node));
  const candidates = resources.filter(
    (r) =>
      r.type === "lxc" &&
      r.vmid !== undefined &&
      !Number(r.template ?? 0) &&
      !known.has(Number(r.vmid)) &&
      !tagList(r.tags).includes(OWN_TAG),
  );
  // The description (the script's slug) is read only for containers that carry the scripts' tag, and only on
  // nodes that answer: one config read each, a few at a time. Without it the tags and hostname still suggest.
  const descriptions = new Map<number, string>();
  await eachLimited(
    candidates.filter((r) => hasHelperTag(r.tags) && online.has(String(r.node))),
    CONFIG_READS_AT_ONCE,
    async (r) => {
      const config = await client.lxcConfig(String(r.node), Number(r.vmid)).catch(() => undefined);
      if (typeof config?.description === "string") descriptions.set(Number(r.vmid), config.description);
    },
  );
  return candidates
    .map((r): DiscoveredContainer => {
      const vmid = Number(r.vmid);
      const reason = blocker(r, online);
      return {
        node: String(r.node),
        vmid,
        name: r.name ?? null,
        status: String(r.status ?? "unknown"),
        tags: tagList(r.tags),
        lock: r.lock ?? null,
        adoptable: reason === null,
        reason,
        suggestion: suggest({
          ...(r.name ? { hostname: r.name } : {}),
          ...(r.tags ? { tags: r.tags } : {}),
          ...(descriptions.has(vmid) ? { description: descriptions.get(vmid)! } : {}),
        }),
      };
    })
    .sort((a, b) => a.vmid - b.vmid);
}

/**
 * The checks before anything is recorded, each a 422 (the request names the wrong thing) or a 409 (the
 * container cannot be adopted now). Returns the container's live config.
 */
async function inspect(
  deps: AppDeps,
  hostId: string,
  input: AdoptInput,
): Promise<{ config: LxcConfig; resource: ClusterResource }> {
  const client = await deps.hosts.client(hostId);
  const [resources, nodes] = await Promise.all([client.clusterResources("vm"), client.listNodes()]);
  const resource = resources.find((r) => Number(r.vmid) === input.vmid);
  const field = (message: string) => [{ field: "vmid", message }];
  if (!resource)
    throw new ValidationError("No such container", field(`there is no guest ${input.vmid} on this host`));
  if (resource.type === "qemu")
    throw new ValidationError(
      `${input.vmid} is a virtual machine`,
      field(`VM ${input.vmid} is a virtual machine; Proximity manages LXC containers only`),
    );
  if (resource.type !== "lxc")
    throw new ValidationError("Not a container", field(`guest ${input.vmid} is a ${resource.type}`));
  if (resource.node !== input.node)
    throw new ValidationError("Wrong node", [
      { field: "node", message: `CT ${input.vmid} is on ${resource.node}, not ${input.node}` },
    ]);
  if (Number(resource.template ?? 0))
    throw new ValidationError(
      `CT ${input.vmid} is a template`,
      field(`CT ${input.vmid} is a template, not a container that runs; clone it into one and adopt that`),
    );
  if (!nodes.some((n) => n.node === input.node && n.status === "online"))
    throw new ConflictError(`Node ${input.node} is offline: CT ${input.vmid} can be adopted when it is back`);
  const [row] = await deps.db
    .select({ hostname: applications.hostname, status: applications.status })
    .from(applications)
    .where(and(eq(applications.hostId, hostId), eq(applications.vmid, input.vmid)));
  if (row) {
    throw new ConflictError(
      row.status === "deploying"
        ? `CT ${input.vmid} is being created by Proximity (app ${row.hostname}); it is already managed`
        : `CT ${input.vmid} is already managed by Proximity (app ${row.hostname})`,
    );
  }
  if (tagList(resource.tags).includes(OWN_TAG))
    throw new ConflictError(
      `CT ${input.vmid} was made by Proximity (it carries the "${OWN_TAG}" tag); remove the tag to adopt it`,
    );
  // The live config: /cluster/resources can lag a few seconds behind a lock.
  const config = await client.lxcConfig(input.node, input.vmid);
  if (config.lock) throw new ConflictError(lockReason(input.vmid, config.lock));
  return { config, resource };
}

export async function adopt(deps: AppDeps, req: UserActor, input: AdoptInput): Promise<Application> {
  const host = await deps.hosts.get(input.host_id).catch(() => {
    throw new ValidationError("Unknown host", [{ field: "host_id", message: "no such Proxmox host" }]);
  });
  const entry = input.catalog_id ? deps.catalog.get(input.catalog_id) : undefined;
  if (input.catalog_id && !entry)
    throw new ValidationError("Unknown catalog app", [
      { field: "catalog_id", message: `"${input.catalog_id}" is not in the catalog` },
    ]);
  const ownerId = input.owner_id ?? req.user.id;
  const [owner] = await deps.db.select({ id: users.id }).from(users).where(eq(users.id, ownerId));
  if (!owner) throw new ValidationError("Unknown owner", [{ field: "owner_id", message: "no such user" }]);
  const { config, resource } = await inspect(deps, host.id, input);
  const client = await deps.hosts.client(host);
  const running = resource.status === "running";
  const ifaces = running ? await client.lxcInterfaces(input.node, input.vmid).catch(() => null) : null;
  const ip = ifaces?.find((i) => i.name === "eth0")?.inet?.split("/")[0] ?? null;
  const hostname = config.hostname ?? `ct${input.vmid}`;
  const suggestion = suggest({
    hostname,
    ...(config.tags ? { tags: config.tags } : {}),
    ...(typeof config.description === "string" ? { description: config.description } : {}),
  });
  // A catalog entry makes it a docker app of that entry (as if Proximity had deployed it); otherwise lxc.
  const lxc = !entry;
  const port = lxc ? (input.port === undefined ? suggestion.port : input.port) : null;
  const scheme = lxc && port !== null ? suggestion.scheme : null;
  const disk = rootfsSizeBytes(config.rootfs) ?? resource.maxdisk ?? 0;
  try {
    return await deps.db.transaction(async (db) => {
      const [app] = await db
        .insert(applications)
        .values({
          ownerId,
          hostId: host.id,
          node: input.node,
          vmid: input.vmid,
          catalogId: entry?.id ?? null,
          catalogVersion: entry?.version ?? null,
          name: input.name ?? entry?.name ?? suggestion.name,
          hostname,
          status: running ? "running" : "stopped",
          ip,
          url: lxc ? lxcUrl(scheme, ip, port) : appUrl(entry, ip),
          resources: {
            cores: Number(config.cores ?? 1),
            memory_mb: Number(config.memory ?? 512),
            disk_gb: Math.max(1, Math.round(disk / 1024 ** 3)),
          },
          adopted: true,
          runtime: lxc ? "lxc" : "docker",
          port,
          portScheme: scheme,
          scriptSlug: lxc && suggestion.source === "community-scripts" ? suggestion.slug : null,
        })
        .returning();
      await deps.audit.record(
        {
          actor: req,
          action: "app.adopt",
          target: { type: "app", id: app!.id },
          details: {
            vmid: input.vmid,
            node: input.node,
            owner_id: ownerId,
            runtime: app!.runtime,
            ...(app!.scriptSlug ? { script: app!.scriptSlug } : {}),
          },
        },
        db,
      );
      return app!;
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw new ConflictError(
        `CT ${input.vmid} or its hostname "${hostname}" is already managed by Proximity (hostnames are unique)`,
      );
    throw err;
  }
}
