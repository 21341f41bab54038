import { expect, test } from "bun:test";
import { ProxmoxError } from "../../../src/proxmox/errors.ts";
import { clusterNodeResolver } from "../../../src/proxmox/node-resolver.ts";
import type { ClusterStatusEntry } from "../../../src/proxmox/types.ts";

test("maps node names to /cluster/status ips, refreshes on unknown nodes and after the TTL, survives API errors", async () => {
  let now = 0;
  let calls = 0;
  let entries: ClusterStatusEntry[] = [
    { type: "cluster", id: "cluster", name: "homelab", quorate: 1, nodes: 2 },
    { type: "node", id: "node/pve1", name: "pve1", ip: "10.0.0.11", online: 1 },
    { type: "node", id: "node/pve2", name: "pve2", online: 0 },
  ];
  let fail = false;
  const resolve = clusterNodeResolver(
    {
      clusterStatus: async () => {
        calls++;
        if (fail) throw new Error("down");
        return entries;
      },
    },
    { ttlMs: 1_000, now: () => now },
  );
  expect(await resolve("pve1")).toBe("10.0.0.11");
  expect(await resolve("pve1")).toBe("10.0.0.11");
  expect(calls).toBe(1);
  expect(await resolve("pve2")).toBeUndefined(); // no ip: the caller falls back to the configured host
  expect(calls).toBe(2);
  entries = [{ type: "node", id: "node/pve1", name: "pve1", ip: "10.0.0.99" }];
  now = 2_000;
  expect(await resolve("pve1")).toBe("10.0.0.99");
  fail = true;
  now = 4_000;
  expect(await resolve("pve1")).toBe("10.0.0.99");
});

test("the configured SSH address wins for the node the API reaches (local: 1); the others keep their ip", async () => {
  const resolve = clusterNodeResolver(
    {
      clusterStatus: async () => [
        { type: "node", id: "node/pve1", name: "pve1", ip: "10.0.0.11", local: 1 },
        { type: "node", id: "node/pve2", name: "pve2", ip: "10.0.0.12", local: 0 },
      ],
    },
    { configuredAddress: "pve.example.net" },
  );
  expect(await resolve("pve1")).toBe("pve.example.net");
  expect(await resolve("pve2")).toBe("10.0.0.12");
});

test("a 403 on /cluster/status is surfaced with PVE's text instead of silently using the configured host", async () => {
  const resolve = clusterNodeResolver({
    clusterStatus: async () => {
      throw new ProxmoxError("Permission check failed (/, Sys.Audit)", {
        kind: "auth",
        host: "pve",
        status: 403,
      });
    },
  });
  await expect(resolve("pve2")).rejects.toThrow("Permission check failed (/, Sys.Audit)");
});
