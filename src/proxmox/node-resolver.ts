/**
 * node name → SSH address, from /cluster/status (`ip` of each node entry). pct exec must run on the node
 * that hosts the container, which is not necessarily the host the API URL points at.
 *
 * The admin's configured SSH address wins for the node it was given for: the node the API URL reaches
 * (`local: 1` in /cluster/status). Behind NAT or a VPN, the cluster-network `ip` of that node is not
 * reachable from Proximity.
 */
import type { ProxmoxClient } from "./client.ts";
import { ProxmoxError } from "./errors.ts";

export interface ClusterNodeResolverOptions {
  /** How long the map is trusted (default 5 min); an unknown node triggers a refresh anyway. */
  ttlMs?: number;
  now?: () => number;
  /** The configured SSH address: used for the local node instead of its cluster `ip`. */
  configuredAddress?: string;
}

export function clusterNodeResolver(
  client: Pick<ProxmoxClient, "clusterStatus">,
  options: ClusterNodeResolverOptions = {},
): (node: string) => Promise<string | undefined> {
  const ttlMs = options.ttlMs ?? 300_000;
  const now = options.now ?? Date.now;
  let map: Map<string, string> | undefined;
  let local: string | undefined;
  let loadedAt = 0;
  let denied: ProxmoxError | undefined;

  const load = async () => {
    const entries = await client.clusterStatus();
    const nodes = entries.filter((e) => e.type === "node");
    local = nodes.find((e) => e.local === 1 || e.local === true)?.name;
    map = new Map(nodes.filter((e) => e.ip).map((e) => [e.name, e.ip!]));
    if (local && options.configuredAddress) map.set(local, options.configuredAddress);
    loadedAt = now();
    denied = undefined;
  };

  return async (node) => {
    try {
      if (!map || now() - loadedAt > ttlMs || !map.has(node)) await load();
    } catch (err) {
      // A 403 (the token lacks Sys.Audit on /) is not "the API is down": without the map, commands for a
      // container on another node would silently go to the configured host, the wrong node.
      if (err instanceof ProxmoxError && err.pveStatus === 403) denied = err;
      // Otherwise the API being down must not block SSH: the caller falls back to the configured host.
    }
    const address = map?.get(node);
    if (address) return address;
    if (denied && node !== local) {
      throw new ProxmoxError(
        `cannot find the address of node ${node}: GET /cluster/status answered ${denied.pveMessage}; grant Sys.Audit on / to the token`,
        { kind: "auth", host: denied.host, node, method: "GET", path: "/cluster/status", status: 403 },
      );
    }
    return undefined;
  };
}
