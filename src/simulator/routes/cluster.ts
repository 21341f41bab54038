/** /version, /cluster/*, /nodes, /nodes/{node}/status and /network. */
import { GIB, type SimNode } from "../cluster.ts";
import type { Call, Sim } from "../context.ts";
import { num, str } from "../context.ts";
import { paramFail } from "../errors.ts";
import { lxcStatus } from "../lxc-config.ts";
import type { RouteTable } from "./types.ts";

export const PVE_VERSION = { version: "8.4.1", release: "8.4", repoid: "2a5fa54a8503f96d" };

/** Node usage: a base load plus what its running containers use. */
function nodeUsage(sim: Sim, node: SimNode) {
  let mem = 2.3 * GIB;
  let cpu = 0.012;
  for (const ct of sim.cluster.containers.values()) {
    if (ct.node !== node.name) continue;
    const s = lxcStatus(sim.cluster, ct);
    mem += Number(s.mem);
    cpu += Number(s.cpu) / node.cpus;
  }
  return { mem: Math.round(mem), cpu: Math.min(1, cpu), uptime: sim.clock.now() - node.bootedAt };
}

function nodeEntry(sim: Sim, node: SimNode, fingerprint: string | undefined) {
  const u = nodeUsage(sim, node);
  return {
    node: node.name,
    status: "online",
    cpu: u.cpu,
    maxcpu: node.cpus,
    mem: u.mem,
    maxmem: node.memory,
    disk: Math.round(9.8 * GIB),
    maxdisk: Math.round(94.2 * GIB),
    uptime: u.uptime,
    level: "",
    id: `node/${node.name}`,
    type: "node",
    ...(fingerprint ? { ssl_fingerprint: fingerprint } : {}),
  };
}

export function clusterRoutes(fingerprint: () => string | undefined): RouteTable {
  return {
    "GET /version": () => PVE_VERSION,

    "GET /cluster/nextid": ({ sim, p }: Call) => {
      const vmid = num(p, "vmid");
      if (vmid === undefined) return sim.cluster.nextId();
      // Says "VM" even when a CT owns the id (Cluster.pm).
      if (sim.cluster.containers.has(vmid)) paramFail({ vmid: `VM ${vmid} already exists` });
      return vmid;
    },

    "GET /cluster/status": ({ sim }: Call) => {
      const nodes = [...sim.cluster.nodes.values()];
      return [
        {
          type: "cluster",
          id: "cluster",
          name: sim.cluster.name,
          nodes: nodes.length,
          quorate: 1,
          version: nodes.length + 2,
        },
        ...nodes.map((n) => ({
          type: "node",
          id: `node/${n.name}`,
          name: n.name,
          ip: n.ip,
          nodeid: n.index,
          online: 1,
          local: n.index === 1 ? 1 : 0,
          level: "",
        })),
      ];
    },

    "GET /cluster/resources": ({ sim, p }: Call) => {
      const type = str(p, "type");
      const out: unknown[] = [];
      if (!type || type === "node") {
        for (const n of sim.cluster.nodes.values()) {
          const { ssl_fingerprint: _fp, ...rest } = nodeEntry(sim, n, undefined);
          out.push({ ...rest, "cgroup-mode": 2 });
        }
      }
      if (!type || type === "storage") {
        for (const n of sim.cluster.nodes.values()) {
          for (const s of n.storages.values()) {
            out.push({
              id: `storage/${n.name}/${s.id}`,
              type: "storage",
              storage: s.id,
              node: n.name,
              plugintype: s.type,
              status: "available",
              shared: 0,
              content: s.content.join(","),
              disk: sim.cluster.storageUsed(s),
              maxdisk: s.total,
            });
          }
        }
      }
      if (!type || type === "vm") {
        for (const ct of sim.cluster.containers.values()) {
          // status/name/stats come from the RRD cache (refreshed every 10 s); tags and lock are live.
          const cached = sim.rrdCache.get(ct.vmid);
          const live = lxcStatus(sim.cluster, ct);
          const entry: Record<string, unknown> = {
            id: `lxc/${ct.vmid}`,
            type: "lxc",
            vmid: ct.vmid,
            node: ct.node,
            status: cached?.status ?? "unknown",
            template: ct.config.template ? 1 : 0,
            maxcpu: live.cpus,
            maxmem: live.maxmem,
            maxdisk: live.maxdisk,
            cpu: cached?.status === "running" ? live.cpu : 0,
            mem: cached?.status === "running" ? live.mem : 0,
            disk: cached?.status === "running" ? live.disk : 0,
            uptime: cached?.uptime ?? 0,
            netin: 0,
            netout: 0,
            diskread: 0,
            diskwrite: 0,
          };
          if (cached) entry.name = cached.name;
          if (ct.config.tags) entry.tags = ct.config.tags;
          if (ct.config.lock) entry.lock = ct.config.lock;
          out.push(entry);
        }
      }
      return out;
    },

    "GET /nodes": ({ sim }: Call) =>
      [...sim.cluster.nodes.values()].map((n) => nodeEntry(sim, n, fingerprint())),

    "GET /nodes/{node}/status": ({ sim, p }: Call) => {
      const n = sim.cluster.node(str(p, "node")!);
      const u = nodeUsage(sim, n);
      return {
        uptime: u.uptime,
        idle: 0,
        loadavg: [(u.cpu * n.cpus).toFixed(2), "0.05", "0.01"],
        kversion: "Linux 6.8.12-11-pve #1 SMP PREEMPT_DYNAMIC PMX 6.8.12-11 (2025-05-22T09:39Z)",
        "current-kernel": {
          sysname: "Linux",
          release: "6.8.12-11-pve",
          version: "#1 SMP PREEMPT_DYNAMIC PMX 6.8.12-11 (2025-05-22T09:39Z)",
          machine: "x86_64",
        },
        "boot-info": { mode: "efi", secureboot: 0 },
        cpuinfo: {
          model: "Intel(R) Xeon(R) E-2388G CPU @ 3.20GHz",
          cpus: n.cpus,
          cores: n.cpus,
          sockets: 1,
          mhz: "3200.000",
          hvm: "1",
          flags: "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov",
          user_hz: 100,
        },
        cpu: u.cpu,
        wait: 0.0004,
        memory: { total: n.memory, used: u.mem, free: n.memory - u.mem },
        swap: { total: 8 * GIB, used: 0, free: 8 * GIB },
        ksm: { shared: 0 },
        pveversion: `pve-manager/${PVE_VERSION.version}/${PVE_VERSION.repoid}`,
        rootfs: {
          total: Math.round(94.2 * GIB),
          used: Math.round(9.8 * GIB),
          free: Math.round(84.4 * GIB),
          avail: Math.round(79.6 * GIB),
        },
      };
    },

    "GET /nodes/{node}/network": ({ sim, p }: Call) => {
      const n = sim.cluster.node(str(p, "node")!);
      const type = str(p, "type");
      const ifaces = [
        {
          iface: "eno1",
          type: "eth",
          active: 1,
          autostart: 1,
          method: "manual",
          method6: "manual",
          families: ["inet"],
          exists: 1,
          priority: 3,
        },
        {
          iface: "vmbr0",
          type: "bridge",
          active: 1,
          autostart: 1,
          method: "static",
          method6: "manual",
          families: ["inet"],
          address: n.ip,
          netmask: "8",
          cidr: `${n.ip}/8`,
          bridge_ports: "eno1",
          bridge_stp: "off",
          bridge_fd: "0",
          priority: 4,
        },
      ];
      const matches = (t: string) =>
        !type || type === t || ((type === "any_bridge" || type === "any_local_bridge") && t === "bridge");
      return ifaces.filter((i) => matches(i.type));
    },
  };
}
