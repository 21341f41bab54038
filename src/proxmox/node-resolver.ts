/**
 * node name → SSH address, from /cluster/status (`ip` of each node entry). pct exec must run on the node
 * that hosts the container, which is not necessarily the host the API URL points at.
 */
import type { ProxmoxClient } from "./client.ts";

export interface ClusterNodeResolverOptions {
  /** How long the map is trusted (default 5 min); an unknown node triggers a refresh anyway. */
  ttlMs?: number;
  now?: () => number;
}

export function clusterNodeResolver(
  client: Pick<ProxmoxClient, "clusterStatus">,
  options: ClusterNodeResolverOptions = {},
): (node: string) => Promise<string | undefined> {
  const ttlMs = options.ttlMs ?? 300_000;
  const now = options.now ?? Date.now;
  let map: Map<string, string> | undefined;
  let loadedAt = 0;

  const load = async () => {
    const entries = await client.clusterStatus();
    map = new Map(entries.filter((e) => e.type === "node" && e.ip).map((e) => [e.name, e.ip!]));
    loadedAt = now();
  };

  return async (node) => {
    try {
      if (!map || now() - loadedAt > ttlMs || !map.has(node)) await load();
    } catch {
      // The API being down must not block SSH: the caller falls back to the configured host.
    }
    return map?.get(node);
  };
}
